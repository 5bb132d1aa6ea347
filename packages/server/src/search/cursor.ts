// Search pages follow the keyset (rank, id): rank descending, then id descending. The cursor carries the last
// hit's rank exactly as PostgreSQL gave it (a float4, whose shortest decimal form casts back to the same value)
// and a digest of the search it belongs to, so a cursor replayed against another query is refused rather than
// silently skipping or repeating hits.
import { createHash } from "node:crypto";
import { invalidCursor, joinCursor, splitCursor } from "../store/pagination.js";

export interface SearchCursor {
  rank: number;
  id: string;
}

const HIT_ID = /^(acc|cr)_[0-9a-z]{26}$/;

/** A short digest of what defines the result list (text and filters). */
export function searchScope(parts: Array<string | undefined>): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 12);
}

export function encodeSearchCursor(last: SearchCursor, scope: string): string {
  return joinCursor([last.rank, last.id, scope]);
}

export function decodeSearchCursor(cursor: string | undefined, scope: string): SearchCursor | undefined {
  if (cursor === undefined) return undefined;
  const [rankText, id, cursorScope, ...rest] = splitCursor(cursor);
  const rank = Number(rankText);
  if (rest.length > 0 || !rankText || !Number.isFinite(rank) || !id || !HIT_ID.test(id) || !cursorScope) {
    throw invalidCursor();
  }
  if (cursorScope !== scope) throw invalidCursor("belongs to another search (same q, type and kind are needed)");
  return { rank, id };
}
