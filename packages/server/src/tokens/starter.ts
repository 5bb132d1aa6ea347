import type { Queryable } from "../db/types.js";
import { openBalance, postEntry } from "./ledger.js";

/**
 * Opens a new account's balance and credits the starter grant, in the transaction that creates
 * the account. A grant of 0 writes no entry.
 */
export async function grantStarterTokens(tx: Queryable, accountId: string, tokens: number): Promise<void> {
  await openBalance(tx, accountId);
  if (tokens <= 0) return;
  await postEntry(tx, {
    accountId,
    kind: "starter_grant",
    amount: tokens,
    reference: `account:${accountId}:starter_grant`,
    description: `Welcome to oTo: ${tokens} ${tokens === 1 ? "token" : "tokens"} to start with`,
  });
}
