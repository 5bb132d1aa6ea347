import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { migrationsDir } from "../paths.js";
import type { Db, Queryable } from "./types.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Any fixed number: serializes migration runs of every process sharing a PostgreSQL database.
const MIGRATION_LOCK = 7_424_301;

/** The migration files (NNNN_name.sql), in order. */
export function readMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(path.join(dir, file), "utf8"),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && migrations[i - 1]!.version === m.version) {
      throw new Error(`Two migrations have the version ${m.version}`);
    }
  });
  return migrations;
}

async function lockAndPrepare(tx: Queryable): Promise<Set<number>> {
  // Held until the transaction ends; a second process starting at the same time waits here.
  await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
  await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
  return new Set(rows.map((r) => r.version));
}

/**
 * Applies the pending migrations, each in its own transaction, and records them in
 * schema_migrations. Returns the versions applied by this call.
 */
export async function migrate(db: Db, migrations: Migration[] = readMigrations()): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      const existing = await lockAndPrepare(tx);
      if (existing.has(migration.version)) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

/** How many migrations are recorded as applied (0 when the table does not exist yet). */
export async function appliedMigrationCount(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM schema_migrations",
  );
  return rows[0]?.n ?? 0;
}
