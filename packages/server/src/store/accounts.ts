import type { Queryable } from "../db/types.js";
import { newAccountId } from "../ids.js";
import { ACCOUNT_COLUMNS, type AccountRow } from "./rows.js";

export interface NewAccount {
  handle: string;
  displayName: string;
  role: "user" | "admin";
  passwordHash: string;
}

/** Inserts the account, or answers undefined when the handle (in any case) is taken. */
export async function insertAccount(db: Queryable, account: NewAccount): Promise<AccountRow | undefined> {
  // home_index comes from its sequence. A taken handle is filtered out by the SELECT first, so that (outside a
  // race for the same handle) it does not draw a home number and leave a hole in the spiral.
  const rows = await db.query<AccountRow>(
    `INSERT INTO accounts (id, handle, handle_lower, display_name, role, password_hash, created_at)
     SELECT $1, $2, $3::text, $4, $5, $6, $7::timestamptz
      WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE handle_lower = $3::text)
     ON CONFLICT (handle_lower) DO NOTHING
     RETURNING ${ACCOUNT_COLUMNS}`,
    [
      newAccountId(),
      account.handle,
      account.handle.toLowerCase(),
      account.displayName,
      account.role,
      account.passwordHash,
      new Date(),
    ],
  );
  return rows[0];
}

export async function findAccountForLogin(
  db: Queryable,
  handle: string,
): Promise<(AccountRow & { password_hash: string }) | undefined> {
  const rows = await db.query<AccountRow & { password_hash: string }>(
    `SELECT ${ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE handle_lower = $1`,
    [handle.toLowerCase()],
  );
  return rows[0];
}
