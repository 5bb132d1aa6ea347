import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { Authenticator } from "../src/auth.js";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { call, expectProblem, register, rowCounts } from "./helpers.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

describe("create and list", () => {
  test("a created key works, and its secret never shows again", async () => {
    const account = await register(server);
    const created = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "ci", last_used_at: null, revoked_at: null });
    expect(created.body.secret).toMatch(/^oto_[0-9a-z]{8}_[0-9A-Za-z]{32}$/);
    expect(created.body.secret.slice(4, 12)).toBe(created.body.prefix);

    const me = await call(server, "GET", "/v1/me", { apiKey: created.body.secret });
    expect(me.body.id).toBe(account.accountId);

    const list = await call(server, "GET", "/v1/api-keys", { apiKey: account.apiKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toEqual([created.body.id, account.keyId]);
    expect(list.text).not.toContain(created.body.secret.slice(13));
    expect(list.body.data[0]).not.toHaveProperty("secret");
    expect(list.body.next_cursor).toBeNull();
  });

  test("pages follow next_cursor, newest first, each key once", async () => {
    const account = await register(server);
    const ids = [account.keyId];
    for (let i = 0; i < 6; i++) {
      const res = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: `k${i}` } });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
      const res = await call(server, "GET", `/v1/api-keys${query}`, { apiKey: account.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((k: { id: string }) => k.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  test("the default page size is 20 and the largest is 100", async () => {
    const account = await register(server);
    for (let i = 0; i < 21; i++) {
      await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: `k${i}` } });
    }
    const first = await call(server, "GET", "/v1/api-keys", { apiKey: account.apiKey });
    expect(first.body.data).toHaveLength(20);
    expect(first.body.next_cursor).not.toBeNull();
    const all = await call(server, "GET", "/v1/api-keys?limit=100", { apiKey: account.apiKey });
    expect(all.body.data).toHaveLength(22);
    expect(all.body.next_cursor).toBeNull();
  });

  test("an account only sees its own keys", async () => {
    const a = await register(server);
    const b = await register(server);
    const list = await call(server, "GET", "/v1/api-keys", { apiKey: b.apiKey });
    expect(list.body.data.map((k: { id: string }) => k.id)).toEqual([b.keyId]);
    expect(list.text).not.toContain(a.keyId);
  });
});

describe("revoke", () => {
  test("a revoked key answers 401 at once, even right after it was used", async () => {
    const account = await register(server);
    const extra = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "soon gone" } });
    expect((await call(server, "GET", "/v1/me", { apiKey: extra.body.secret })).status).toBe(200);
    const revoked = await call(server, "DELETE", `/v1/api-keys/${extra.body.id}`, { apiKey: account.apiKey });
    expect(revoked.status).toBe(200);
    expect(revoked.body.id).toBe(extra.body.id);
    expect(Date.parse(revoked.body.revoked_at)).toBeGreaterThan(Date.now() - 60_000);
    expectProblem(await call(server, "GET", "/v1/me", { apiKey: extra.body.secret }), 401, "invalid_api_key");
    // Revoked keys stay in the list.
    const list = await call(server, "GET", "/v1/api-keys", { apiKey: account.apiKey });
    expect(list.body.data.find((k: { id: string }) => k.id === extra.body.id).revoked_at).toBe(revoked.body.revoked_at);
  });

  test("revoking twice answers the key unchanged", async () => {
    const account = await register(server);
    const extra = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "x" } });
    const first = await call(server, "DELETE", `/v1/api-keys/${extra.body.id}`, { apiKey: account.apiKey });
    await new Promise((r) => setTimeout(r, 5));
    const second = await call(server, "DELETE", `/v1/api-keys/${extra.body.id}`, { apiKey: account.apiKey });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  test("a key can revoke itself", async () => {
    const account = await register(server);
    const res = await call(server, "DELETE", `/v1/api-keys/${account.keyId}`, { apiKey: account.apiKey });
    expect(res.status).toBe(200);
    expectProblem(await call(server, "GET", "/v1/me", { apiKey: account.apiKey }), 401, "invalid_api_key");
  });

  test("another account's key answers 404 and keeps working", async () => {
    const a = await register(server);
    const b = await register(server);
    const before = await rowCounts(server);
    const res = await call(server, "DELETE", `/v1/api-keys/${a.keyId}`, { apiKey: b.apiKey });
    expectProblem(res, 404, "not_found");
    expect(await rowCounts(server)).toEqual(before);
    expect((await call(server, "GET", "/v1/me", { apiKey: a.apiKey })).status).toBe(200);
    const rows = await server.app.db.query<{ revoked_at: Date | null }>("SELECT revoked_at FROM api_keys WHERE id = $1", [a.keyId]);
    expect(rows[0]!.revoked_at).toBeNull();
  });
});

describe("last_used_at", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("is set on first use, then written at most once a minute", async () => {
    const account = await register(server);
    const created = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "t" } });
    const lastUsed = async () =>
      (
        await server.app.db.query<{ last_used_at: Date | null }>("SELECT last_used_at FROM api_keys WHERE id = $1", [
          created.body.id,
        ])
      )[0]!.last_used_at;
    expect(await lastUsed()).toBeNull();

    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    await call(server, "GET", "/v1/me", { apiKey: created.body.secret });
    expect((await lastUsed())!.getTime()).toBe(start);

    vi.setSystemTime(start + 30_000);
    await call(server, "GET", "/v1/me", { apiKey: created.body.secret });
    expect((await lastUsed())!.getTime()).toBe(start);

    vi.setSystemTime(start + 61_000);
    await call(server, "GET", "/v1/me", { apiKey: created.body.secret });
    expect((await lastUsed())!.getTime()).toBe(start + 61_000);

    const listed = await call(server, "GET", "/v1/api-keys", { apiKey: account.apiKey });
    const entry = listed.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(entry.last_used_at).toBe(new Date(start + 61_000).toISOString());
  });
});

describe.skipIf(!process.env.OTO_TEST_DATABASE_URL)("two servers on one PostgreSQL database", () => {
  test(`a revocation through one is seen by the other within ${Authenticator.CACHE_TTL_MS} ms`, async () => {
    const other = await startTestServer({ databaseUrl: server.app.otoConfig.databaseUrl });
    try {
      const account = await register(server);
      const extra = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "shared" } });
      expect((await call(other, "GET", "/v1/me", { apiKey: extra.body.secret })).status).toBe(200); // now cached there
      expect((await call(server, "DELETE", `/v1/api-keys/${extra.body.id}`, { apiKey: account.apiKey })).status).toBe(200);
      const revokedAt = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - revokedAt < 5_000) {
        status = (await call(other, "GET", "/v1/me", { apiKey: extra.body.secret })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThanOrEqual(Authenticator.CACHE_TTL_MS + 300);
    } finally {
      await other.close();
    }
  });
});
