import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrate, readMigrations } from "../../src/db/migrations.js";
import { openPglite } from "../../src/db/pglite.js";
import { openPostgres } from "../../src/db/postgres.js";
import type { Db } from "../../src/db/types.js";
import { openBalance, postEntry } from "../../src/tokens/ledger.js";

export interface TestDb {
  db: Db;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for ledger tests: in-memory PGlite, or — when OTO_TEST_DATABASE_URL
 * is set — a new PostgreSQL database with a pool of `connections` (real parallel transactions),
 * dropped by close().
 */
export async function openTestDb(connections = 20): Promise<TestDb> {
  const adminUrl = process.env.OTO_TEST_DATABASE_URL;
  if (!adminUrl) {
    const db = await openPglite("memory:");
    await migrate(db, readMigrations());
    return { db, close: () => db.close() };
  }
  const name = `oto_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: connections });
  await migrate(db, readMigrations());
  return {
    db,
    async close() {
      await db.close();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => client.end());
    },
  };
}

let accountCounter = 0;

/** An account inserted directly (the ledger only needs the id), funded by an adjustment entry. */
export async function insertTestAccount(db: Db, opts: { balance?: number } = {}): Promise<string> {
  const id = `acc_${randomBytes(13).toString("hex").slice(0, 26)}`;
  const handle = `ledger_${process.pid}_${++accountCounter}_${randomBytes(3).toString("hex")}`;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO accounts (id, handle, handle_lower, display_name, password_hash, created_at)
       VALUES ($1, $2, $2, $2, 'x', now())`,
      [id, handle],
    );
    await openBalance(tx, id);
    if (opts.balance) {
      await postEntry(tx, { accountId: id, kind: "adjustment", amount: opts.balance, reference: `test:fund:${id}`, description: "test funds" });
    }
  });
  return id;
}

/** The ledger explains the balance: the entries of the account add up to it. */
export async function ledgerTotals(db: Db, accountId: string): Promise<{ available: number; held: number }> {
  const rows = await db.query<{ available: number; held: number }>(
    `SELECT COALESCE(sum(amount), 0)::int AS available, COALESCE(sum(held_change), 0)::int AS held
       FROM ledger_entries WHERE account_id = $1`,
    [accountId],
  );
  return rows[0]!;
}
