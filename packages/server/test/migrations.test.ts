import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { appliedMigrationCount, migrate, readMigrations } from "../src/db/migrations.js";
import { openPglite } from "../src/db/pglite.js";
import { openPostgres } from "../src/db/postgres.js";
import type { Db } from "../src/db/types.js";
import { migrationsDir } from "../src/paths.js";
import { startTestServer } from "../src/testing.js";
import { PASSWORD, call, register } from "./helpers.js";

const adminUrl = process.env.OTO_TEST_DATABASE_URL;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh empty database of the kind the tests run on (PGlite in memory, or a new PostgreSQL database). */
async function freshDb(): Promise<{ db: Db; open(): Promise<Db> }> {
  if (!adminUrl) {
    const db = await openPglite("memory:");
    cleanups.push(() => db.close());
    return { db, open: async () => db };
  }
  const name = `oto_test_mig_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await openPostgres(adminUrl, { max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const opened: Db[] = [];
  const open = async () => {
    const db = await openPostgres(url.toString());
    opened.push(db);
    return db;
  };
  const db = await open();
  cleanups.push(async () => {
    for (const d of opened) await d.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  });
  return { db, open };
}

describe("migration files", () => {
  test("are numbered NNNN_name.sql, in order, without gaps", () => {
    const files = readdirSync(migrationsDir()).filter((f) => f.endsWith(".sql")).sort();
    expect(files.length).toBeGreaterThan(0);
    files.forEach((file, i) => expect(file).toMatch(new RegExp(`^${String(i + 1).padStart(4, "0")}_[a-z0-9_]+\\.sql$`)));
    expect(readMigrations().map((m) => m.version)).toEqual(files.map((_, i) => i + 1));
  });
});

describe("migrate", () => {
  test("applies every migration once and records it", async () => {
    const { db } = await freshDb();
    const all = readMigrations();
    expect(await migrate(db)).toEqual(all.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    expect(await appliedMigrationCount(db)).toBe(all.length);
    const rows = await db.query<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version");
    expect(rows).toEqual(all.map((m) => ({ version: m.version, name: m.name })));
  });

  test("a failing migration is rolled back and not recorded", async () => {
    const { db } = await freshDb();
    const broken = [
      ...readMigrations(),
      { version: 999, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT no_such_function();" },
    ];
    await expect(migrate(db, broken)).rejects.toThrow(/no_such_function/);
    expect(await appliedMigrationCount(db)).toBe(broken.length - 1);
    const tables = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(tables).toHaveLength(0);
  });

  test("processes starting at the same time apply each migration exactly once", async () => {
    const { open } = await freshDb();
    const dbs = await Promise.all([open(), open(), open()]);
    const results = await Promise.all(dbs.map((db) => migrate(db)));
    const applied = results.flat().sort((a, b) => a - b);
    expect(applied).toEqual(readMigrations().map((m) => m.version));
    expect(await appliedMigrationCount(dbs[0]!)).toBe(readMigrations().length);
  });
});

describe("readiness", () => {
  test("answers 503 not_ready while a migration is missing", async () => {
    const server = await startTestServer();
    try {
      expect((await call(server, "GET", "/v1/ready")).body).toMatchObject({ status: "ready", migrations: readMigrations().length });
      await server.app.db.query("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)");
      const res = await call(server, "GET", "/v1/ready");
      expect(res.status).toBe(503);
      expect(res.body.code).toBe("not_ready");
      expect((await call(server, "GET", "/v1/health")).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(Boolean(adminUrl))("PGlite on disk", () => {
  test("creates the data folder on first start and keeps the data across restarts", async () => {
    const parent = mkdtempSync(path.join(tmpdir(), "oto-pglite-"));
    cleanups.push(async () => rmSync(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, "nested", "data");
    const first = await startTestServer({ OTO_DATA_DIR: dataDir });
    const account = await register(first);
    await first.close();
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);

    const second = await startTestServer({ OTO_DATA_DIR: dataDir });
    try {
      const login = await call(second, "POST", "/v1/auth/login", { json: { handle: account.handle, password: PASSWORD } });
      expect(login.status).toBe(200);
      expect((await call(second, "GET", "/v1/me", { apiKey: account.apiKey })).status).toBe(200);
      expect((await call(second, "GET", "/v1/ready")).body.migrations).toBe(readMigrations().length);
    } finally {
      await second.close();
    }
  });
});
