// The signing keys in the database: one active key however many processes race to make it, the same key after a
// restart, and the private half never published.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeSigningKey, publishedKeys } from "../../src/lineage/keyStore.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call } from "../helpers.js";

describe("lineage signing keys", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("makes exactly one active key when many callers race for the first one", async () => {
    const db = server.app.db;
    await db.query("DELETE FROM lineage_keys");
    const keys = await Promise.all(Array.from({ length: 8 }, () => activeSigningKey(db)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    const rows = await db.query<{ kid: string; retired_at: Date | null }>("SELECT kid, retired_at FROM lineage_keys");
    expect(rows).toEqual([{ kid: keys[0]!.kid, retired_at: null }]);
    // A second active key cannot exist, whoever writes it.
    await expect(
      db.query("INSERT INTO lineage_keys (kid, private_jwk, public_jwk) VALUES ('oto-2020-01-00000000', '{}', '{}')"),
    ).rejects.toThrow();
    const jwks = await publishedKeys(db);
    expect(jwks.keys).toEqual([{ ...keys[0]!.publicJwk(), use: "sig", alg: "EdDSA" }]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });
});

describe("lineage signing keys shared by processes and restarts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "oto-lineage-keys-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes the same key from every server on one database, and after a restart", async () => {
    const keysOf = async (target: RunningServer) => (await call(target, "GET", "/v1/lineage/keys")).body;
    if (process.env.OTO_TEST_DATABASE_URL) {
      // PostgreSQL: two server processes on one database at the same time.
      const first = await startTestServer();
      try {
        const second = await startTestServer({ databaseUrl: first.app.otoConfig.databaseUrl });
        try {
          expect(await keysOf(second)).toEqual(await keysOf(first));
        } finally {
          await second.close();
        }
      } finally {
        await first.close();
      }
      return;
    }
    // PGlite: a data folder belongs to one process at a time, so the same folder is opened again.
    const first = await startTestServer({ OTO_DATA_DIR: dir });
    const before = await keysOf(first);
    await first.close();
    const second = await startTestServer({ OTO_DATA_DIR: dir });
    try {
      expect(await keysOf(second)).toEqual(before);
    } finally {
      await second.close();
    }
  });
});
