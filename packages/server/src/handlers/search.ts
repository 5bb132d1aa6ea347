import { baseUrlFor } from "../creations/share.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import {
  decodeSearchCursor,
  encodeSearchCursor,
  parseSearchText,
  searchRows,
  searchScope,
  toSearchHit,
} from "../search/index.js";
import type { Handler } from "./types.js";

export interface SearchDeps {
  db: Db;
  /** config.publicUrl: the base of thumbnail URLs (else the request's own scheme and host). */
  publicUrl: string | undefined;
}

export function searchHandlers(deps: SearchDeps): { search: Handler<"search"> } {
  return {
    async search({ query, request }) {
      if (query.type === "account" && query.kind !== undefined) {
        const message = "only creations have a kind: drop type=account or kind";
        throw new ApiError(400, "validation_failed", `query/kind: ${message}`, {
          errors: [{ location: "query/kind", message }],
        });
      }
      const limit = query.limit ?? 20;
      const text = parseSearchText(query.q);
      const scope = searchScope([text.full, query.type, query.kind]);
      const after = decodeSearchCursor(query.cursor, scope);
      const rows = await searchRows(deps.db, text, { type: query.type, kind: query.kind }, limit, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const base = baseUrlFor(request, deps.publicUrl);
      return {
        status: 200,
        body: {
          data: page.map((row) => toSearchHit(row, base)),
          next_cursor: rows.length > limit && last ? encodeSearchCursor(last, scope) : null,
        },
      };
    },
  };
}
