import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, expectProblem, register, uniqueHandle } from "../helpers.js";

let server: RunningServer;
const ADMIN = uniqueHandle("admin");

beforeAll(async () => {
  // The default starter grant (50 tokens).
  server = await startTestServer({ OTO_ADMIN_HANDLES: ADMIN, OTO_AUTH_RATE_LIMIT: "10000" });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe("starter grant", () => {
  it("a new account starts with the configured tokens, explained by one ledger entry", async () => {
    const { apiKey, accountId } = await register(server);
    const balance = await call(server, "GET", "/v1/tokens/balance", { apiKey });
    expect(balance.status).toBe(200);
    expect(balance.body).toEqual({ available: 50, held: 0 });
    const history = await call(server, "GET", "/v1/tokens/history", { apiKey });
    expect(history.status).toBe(200);
    expect(history.body.next_cursor).toBeNull();
    expect(history.body.data).toEqual([
      {
        id: expect.stringMatching(/^le_[0-9a-z]{26}$/),
        kind: "starter_grant",
        amount: 50,
        held_change: 0,
        available_after: 50,
        reference: `account:${accountId}:starter_grant`,
        job_id: null,
        description: expect.stringContaining("50 tokens"),
        created_at: expect.any(String),
      },
    ]);
  });

  it("a starter grant of 0 opens an empty balance without an entry", async () => {
    const stingy = await startTestServer({ OTO_STARTER_TOKENS: "0" });
    try {
      const { apiKey, accountId } = await register(stingy);
      expect((await call(stingy, "GET", "/v1/tokens/balance", { apiKey })).body).toEqual({ available: 0, held: 0 });
      expect((await call(stingy, "GET", "/v1/tokens/history", { apiKey })).body).toEqual({ data: [], next_cursor: null });
      const rows = await stingy.app.db.query("SELECT available, held FROM token_balances WHERE account_id = $1", [accountId]);
      expect(rows).toEqual([{ available: 0, held: 0 }]);
    } finally {
      await stingy.close();
    }
  });

  it("a refused registration (handle taken) grants nothing", async () => {
    const { handle } = await register(server);
    const before = await server.app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_entries");
    const again = await call(server, "POST", "/v1/accounts", { json: { handle, password: "another long password" } });
    expectProblem(again, 409, "handle_taken");
    expect(await server.app.db.query("SELECT count(*)::int AS n FROM ledger_entries")).toEqual(before);
  });
});

describe("GET /v1/tokens/history", () => {
  it("pages through every entry, newest first, with opaque cursors", async () => {
    const admin = await register(server, ADMIN);
    const user = await register(server);
    for (let i = 1; i <= 24; i++) {
      const res = await call(server, "POST", "/v1/admin/grants", {
        apiKey: admin.apiKey,
        json: { handle: user.handle, tokens: i, reason: `grant ${i}` },
      });
      expect(res.status).toBe(201);
    }
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=10&cursor=${cursor}` : "?limit=10";
      const res = await call(server, "GET", `/v1/tokens/history${query}`, { apiKey: user.apiKey });
      expect(res.status).toBe(200);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25); // starter grant + 24 grants
    expect(new Set(seen.map((e) => e.id)).size).toBe(25);
    expect(seen[0].description).toContain("grant 24");
    expect(seen.at(-1).kind).toBe("starter_grant");
    // available_after runs backwards from the balance to the starter grant.
    const balance = (await call(server, "GET", "/v1/tokens/balance", { apiKey: user.apiKey })).body;
    expect(balance.available).toBe(50 + (24 * 25) / 2);
    expect(seen[0].available_after).toBe(balance.available);
    for (let i = 0; i < seen.length - 1; i++) {
      expect(seen[i].available_after - seen[i].amount).toBe(seen[i + 1].available_after);
    }
    // Another account sees only its own entries.
    expect((await call(server, "GET", "/v1/tokens/history", { apiKey: admin.apiKey })).body.data).toHaveLength(1);
  });

  it("rejects bad cursors and limits, and anonymous callers", async () => {
    const { apiKey } = await register(server);
    const forged = Buffer.from("2026-01-01T00:00:00.000Z|key_00000000000000000000000000").toString("base64url");
    for (const query of ["?cursor=nonsense", `?cursor=${forged}`, "?limit=0", "?limit=101"]) {
      expectProblem(await call(server, "GET", `/v1/tokens/history${query}`, { apiKey }), 400, "validation_failed");
    }
    expectProblem(await call(server, "GET", "/v1/tokens/history"), 401, "missing_api_key");
    expectProblem(await call(server, "GET", "/v1/tokens/balance"), 401, "missing_api_key");
  });
});
