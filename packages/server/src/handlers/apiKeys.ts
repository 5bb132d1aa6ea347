import type { Authenticator } from "../auth.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { insertApiKey, listApiKeys, revokeApiKey } from "../store/apiKeys.js";
import { decodeCursor, pageOf } from "../store/pagination.js";
import { toApiKey } from "../store/rows.js";
import { type Handler, requireAuth } from "./types.js";

export interface ApiKeyDeps {
  db: Db;
  authenticator: Authenticator;
}

const API_KEY_ID = /^key_[0-9a-z]{26}$/;

export function apiKeyHandlers(deps: ApiKeyDeps): {
  listApiKeys: Handler<"listApiKeys">;
  createApiKey: Handler<"createApiKey">;
  revokeApiKey: Handler<"revokeApiKey">;
} {
  const { db } = deps;
  return {
    async listApiKeys({ auth, query }) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, API_KEY_ID);
      const rows = await listApiKeys(db, requireAuth(auth).account.id, limit, after);
      return { status: 200, body: pageOf(rows, limit, toApiKey) };
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
