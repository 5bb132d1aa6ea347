// Opaque page cursors shared by every list operation: base64url of "<created_at ISO>|<id>" of the last
// item returned, read back into the keyset (created_at, id) that the next page starts after.
import { ApiError } from "../problems.js";

export interface PageCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString("base64url");
}

/** Reads a cursor whose id must match `idPattern`; 400 validation_failed otherwise. */
export function decodeCursor(cursor: string | undefined, idPattern: RegExp): PageCursor | undefined {
  if (cursor === undefined) return undefined;
  const [at, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (rest.length > 0 || !id || !idPattern.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new ApiError(400, "validation_failed", "query/cursor: is not a cursor returned by this API", {
      errors: [{ location: "query/cursor", message: "is not a cursor returned by this API" }],
    });
  }
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
