// Opaque page cursors shared by every list operation: base64url of "|"-joined parts. Most lists page on the
// keyset (created_at, id) of the last item returned; search uses the same encoding for its own keyset.
import { ApiError } from "../problems.js";

export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** A cursor from its parts, joined with "|" (no part may contain one). */
export function joinCursor(parts: Array<string | number>): string {
  return Buffer.from(parts.join("|")).toString("base64url");
}

/** The parts of a cursor made by joinCursor (anything may come back: callers check them). */
export function splitCursor(cursor: string): string[] {
  return Buffer.from(cursor, "base64url").toString("utf8").split("|");
}

/** 400 validation_failed naming the cursor. */
export function invalidCursor(message = "is not a cursor returned by this API"): ApiError {
  return new ApiError(400, "validation_failed", `query/cursor: ${message}`, {
    errors: [{ location: "query/cursor", message }],
  });
}

export function encodeCursor(row: { created_at: Date; id: string }): string {
  return joinCursor([row.created_at.toISOString(), row.id]);
}

/** Reads a cursor whose id must match `idPattern`; 400 validation_failed otherwise. */
export function decodeCursor(cursor: string | undefined, idPattern: RegExp): PageCursor | undefined {
  if (cursor === undefined) return undefined;
  const [at, id, ...rest] = splitCursor(cursor);
  const createdAt = new Date(at ?? "");
  if (rest.length > 0 || !id || !idPattern.test(id) || Number.isNaN(createdAt.getTime())) throw invalidCursor();
  return { createdAt, id };
}

/** The page (limit items) and the cursor of the next one, from limit + 1 rows. */
export function pageOf<R extends { created_at: Date; id: string }, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
): { data: T[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(view), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
}
