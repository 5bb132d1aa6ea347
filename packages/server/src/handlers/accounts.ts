import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "../security/passwords.js";
import { findAccountForLogin, insertAccount } from "../store/accounts.js";
import { insertApiKey } from "../store/apiKeys.js";
import { toAccount, toApiKey } from "../store/rows.js";
import { grantStarterTokens } from "../tokens/starter.js";
import { type Handler, requireAuth } from "./types.js";

export interface AccountDeps {
  db: Db;
  adminHandles: string[];
  /** Tokens each new account starts with (0: none, and no ledger entry). */
  starterTokens: number;
}

export function accountHandlers(deps: AccountDeps): {
  register: Handler<"register">;
  login: Handler<"login">;
  getMe: Handler<"getMe">;
} {
  const { db } = deps;
  return {
    async register({ body }) {
      const passwordHash = await hashPassword(body.password);
      const handle = body.handle;
      const result = await db.transaction(async (tx) => {
        const account = await insertAccount(tx, {
          handle,
          displayName: body.display_name ?? handle,
          role: deps.adminHandles.includes(handle.toLowerCase()) ? "admin" : "user",
          passwordHash,
        });
        if (!account) return undefined;
        await grantStarterTokens(tx, account.id, deps.starterTokens);
        const key = await insertApiKey(tx, account.id, "registration");
        return { account, key };
      });
      if (!result) throw new ApiError(409, "handle_taken", `The handle "${handle}" is already taken.`);
      return {
        status: 201,
        body: { account: toAccount(result.account), api_key: { ...toApiKey(result.key.row), secret: result.key.secret } },
      };
    },

    async login({ body }) {
      const account = await findAccountForLogin(db, body.handle);
      // Unknown handles are checked against a dummy hash: same answer, about the same time.
      const valid = await verifyPassword(body.password, account?.password_hash ?? (await dummyPasswordHash()));
      if (!account || !valid) {
        throw new ApiError(401, "invalid_credentials", "The handle or the password is wrong.");
      }
      const key = await insertApiKey(db, account.id, body.key_name ?? "login");
      const { password_hash: _, ...row } = account;
      return { status: 200, body: { account: toAccount(row), api_key: { ...toApiKey(key.row), secret: key.secret } } };
    },

    async getMe({ auth }) {
      return { status: 200, body: requireAuth(auth).view };
    },
  };
}
