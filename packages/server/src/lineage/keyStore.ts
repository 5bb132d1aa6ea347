// The server's lineage signing keys, kept in the database (migration 0007) so that every process signs with the
// same key and publishes the same JWKS. The private key sits in the database, as server_secrets does.
import type { Db, Queryable } from "../db/types.js";
import { SigningKey, type Jwks, type PrivateJwk, type PublicJwk } from "./keys.js";

interface KeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
}

// Keys never change once written, so a key read by kid can be kept; only which one is active is re-read.
const imported = new Map<string, SigningKey>();

function signingKeyOf(row: KeyRow): SigningKey {
  let key = imported.get(row.kid);
  if (!key) {
    key = SigningKey.import({ kid: row.kid, format: "jwk", private_key: JSON.parse(row.private_jwk) as PrivateJwk });
    imported.set(row.kid, key);
  }
  return key;
}

async function insertKey(q: Queryable, key: SigningKey, now: Date): Promise<void> {
  const stored = key.export("jwk");
  // The unique index on the active key makes a second process's insert do nothing: the first key wins.
  await q.query(
    `INSERT INTO lineage_keys (kid, private_jwk, public_jwk, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [key.kid, JSON.stringify(stored.private_key), JSON.stringify(key.publicJwk()), now],
  );
}

async function readActive(q: Queryable): Promise<KeyRow | undefined> {
  const rows = await q.query<KeyRow>("SELECT kid, private_jwk, public_jwk FROM lineage_keys WHERE retired_at IS NULL");
  return rows[0];
}

/** The key new records are signed with; made on first use by whichever process gets there first. */
export async function activeSigningKey(q: Queryable): Promise<SigningKey> {
  let row = await readActive(q);
  if (!row) {
    await insertKey(q, SigningKey.generate(new Date()), new Date());
    row = await readActive(q);
  }
  if (!row) throw new Error("no active lineage signing key after creating one");
  return signingKeyOf(row);
}

/** Makes sure a signing key exists (called at start, so the JWKS is never empty). */
export async function ensureSigningKey(q: Queryable): Promise<void> {
  await activeSigningKey(q);
}

/**
 * Retires the active key and makes a new one; records signed before stay verifiable (the old public key
 * stays in the JWKS). Answers the new key's kid.
 */
export async function rotateSigningKey(db: Db, now: Date = new Date()): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query("UPDATE lineage_keys SET retired_at = $1 WHERE retired_at IS NULL", [now]);
    const taken = new Set((await tx.query<{ kid: string }>("SELECT kid FROM lineage_keys")).map((r) => r.kid));
    let next = SigningKey.generate(now);
    // Two keys of one month with the same 8-hex thumbprint prefix would share a kid: draw again.
    while (taken.has(next.kid)) next = SigningKey.generate(now);
    await insertKey(tx, next, now);
    const active = await readActive(tx);
    return active!.kid;
  });
}

/** Every key that may have signed a record, active first, then retired ones newest first. */
export async function publishedKeys(q: Queryable): Promise<Jwks & { keys: Array<PublicJwk & { use: "sig"; alg: "EdDSA" }> }> {
  const rows = await q.query<{ public_jwk: string }>(
    "SELECT public_jwk FROM lineage_keys ORDER BY (retired_at IS NULL) DESC, created_at DESC, kid",
  );
  return { keys: rows.map((row) => ({ ...(JSON.parse(row.public_jwk) as PublicJwk), use: "sig", alg: "EdDSA" })) };
}
