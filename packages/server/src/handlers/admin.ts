import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { findAccountForLogin } from "../store/accounts.js";
import { newLedgerEntryId, postEntry, toLedgerEntry } from "../tokens/ledger.js";
import { type Handler, requireAuth } from "./types.js";

export interface AdminDeps {
  db: Db;
}

export function adminHandlers(deps: AdminDeps): { adminGrantTokens: Handler<"adminGrantTokens"> } {
  const { db } = deps;
  return {
    async adminGrantTokens({ auth, body }) {
      const admin = requireAuth(auth).account;
      if (admin.role !== "admin") throw new ApiError(403, "forbidden", "Only an admin can grant or remove tokens.");
      const entry = await db.transaction(async (tx) => {
        const target = await findAccountForLogin(tx, body.handle);
        if (!target) throw new ApiError(404, "not_found", `There is no account with the handle "${body.handle}".`);
        const n = Math.abs(body.tokens);
        return postEntry(tx, {
          accountId: target.id,
          kind: "adjustment",
          amount: body.tokens,
          // Each grant is its own event; a retried request is caught by its Idempotency-Key.
          reference: `admin:${newLedgerEntryId()}`,
          description: `${body.tokens > 0 ? "Granted" : "Removed"} ${n} ${n === 1 ? "token" : "tokens"} by @${admin.handle}: ${body.reason}`,
        });
      });
      return { status: 201, body: toLedgerEntry(entry!) };
    },
  };
}
