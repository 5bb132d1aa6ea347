import type { Queryable } from "../db/types.js";
import { newApiKeyId } from "../ids.js";
import { generateApiKey } from "../security/apiKeys.js";
import type { PageCursor } from "./pagination.js";
import { ACCOUNT_COLUMNS, API_KEY_COLUMNS, type AccountRow, type ApiKeyRow } from "./rows.js";

/** Creates a key for the account; answers its row and the whole key (to show once). */
export async function insertApiKey(
  db: Queryable,
  accountId: string,
  name: string,
): Promise<{ row: ApiKeyRow; secret: string }> {
  // A prefix collision (36^8 prefixes) is very unlikely; try again with a fresh key if it happens.
  for (let attempt = 0; attempt < 5; attempt++) {
    const key = generateApiKey();
    const rows = await db.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (prefix) DO NOTHING
       RETURNING ${API_KEY_COLUMNS}`,
      [newApiKeyId(), accountId, name, key.prefix, key.hash, new Date()],
    );
    if (rows[0]) return { row: rows[0], secret: key.secret };
  }
  throw new Error("Could not find a free API key prefix");
}

export interface KeyWithAccount {
  key_id: string;
  secret_hash: string;
  revoked_at: Date | null;
  last_used_at: Date | null;
  account: AccountRow;
}

/** The key with this prefix and its account, in one indexed query. */
export async function findKeyByPrefix(db: Queryable, prefix: string): Promise<KeyWithAccount | undefined> {
  const rows = await db.query<AccountRow & { key_id: string; secret_hash: string; revoked_at: Date | null; last_used_at: Date | null }>(
    `SELECT k.id AS key_id, k.secret_hash, k.revoked_at, k.last_used_at,
            ${ACCOUNT_COLUMNS.split(", ").map((c) => `a.${c}`).join(", ")}
       FROM api_keys k JOIN accounts a ON a.id = k.account_id
      WHERE k.prefix = $1`,
    [prefix],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { key_id, secret_hash, revoked_at, last_used_at, ...account } = row;
  return { key_id, secret_hash, revoked_at, last_used_at, account };
}

/** Records a use of the key, unless one was recorded less than a minute ago. */
export async function touchApiKey(db: Queryable, keyId: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used_at = $2
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
    [keyId, at],
  );
}


/** Keys of the account, newest first, after the cursor; fetches limit + 1 to know if more follow. */
export async function listApiKeys(
  db: Queryable,
  accountId: string,
  limit: number,
  after: PageCursor | undefined,
): Promise<ApiKeyRow[]> {
  if (after) {
    return db.query<ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys
        WHERE account_id = $1 AND (created_at, id) < ($2::timestamptz, $3::text)
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [accountId, after.createdAt, after.id, limit + 1],
    );
  }
  return db.query<ApiKeyRow>(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE account_id = $1
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    [accountId, limit + 1],
  );
}

/** Revokes the account's key (keeping the first revocation time); undefined when it is not theirs. */
export async function revokeApiKey(db: Queryable, accountId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
      WHERE id = $1 AND account_id = $2
      RETURNING ${API_KEY_COLUMNS}`,
    [keyId, accountId, new Date()],
  );
  return rows[0];
}
