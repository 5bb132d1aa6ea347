import type { Authenticator } from "../auth.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { type PageCursor, insertApiKey, listApiKeys, revokeApiKey } from "../store/apiKeys.js";
import { type ApiKeyRow, toApiKey } from "../store/rows.js";
import { type Handler, requireAuth } from "./types.js";

export interface ApiKeyDeps {
  db: Db;
  authenticator: Authenticator;
}

// Cursors are opaque to clients: base64url of "<created_at ISO>|<key id>" of the last key returned.
export function encodeCursor(row: Pick<ApiKeyRow, "created_at" | "id">): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): PageCursor {
  const [at, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (rest.length > 0 || !id || !/^key_[0-9a-z]{26}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new ApiError(400, "validation_failed", "query/cursor: is not a cursor returned by this API", {
      errors: [{ location: "query/cursor", message: "is not a cursor returned by this API" }],
    });
  }
  return { createdAt, id };
}

export function apiKeyHandlers(deps: ApiKeyDeps): {
  listApiKeys: Handler<"listApiKeys">;
  createApiKey: Handler<"createApiKey">;
  revokeApiKey: Handler<"revokeApiKey">;
} {
  const { db } = deps;
  return {
    async listApiKeys({ auth, query }) {
      const limit = query.limit ?? 20;
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const rows = await listApiKeys(db, requireAuth(auth).account.id, limit, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        status: 200,
        body: { data: page.map(toApiKey), next_cursor: rows.length > limit && last ? encodeCursor(last) : null },
      };
    },

    async createApiKey({ auth, body }) {
      const key = await insertApiKey(db, requireAuth(auth).account.id, body.name);
      return { status: 201, body: { ...toApiKey(key.row), secret: key.secret } };
    },

    async revokeApiKey({ auth, params }) {
      const row = await revokeApiKey(db, requireAuth(auth).account.id, params.key_id);
      if (!row) throw new ApiError(404, "not_found", `No API key ${params.key_id} on this account.`);
      deps.authenticator.forgetKey(row.id);
      return { status: 200, body: toApiKey(row) };
    },
  };
}
