import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, expectProblem, register, uniqueHandle } from "../helpers.js";

let server: RunningServer;
const ADMIN = uniqueHandle("admin");
let admin: Awaited<ReturnType<typeof register>>;

beforeAll(async () => {
  server = await startTestServer({ OTO_ADMIN_HANDLES: ADMIN, OTO_STARTER_TOKENS: "10", OTO_AUTH_RATE_LIMIT: "10000" });
  admin = await register(server, ADMIN);
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const grant = (apiKey: string | undefined, json: unknown, headers?: Record<string, string>) =>
  call(server, "POST", "/v1/admin/grants", { ...(apiKey ? { apiKey } : {}), json, ...(headers ? { headers } : {}) });
const balance = async (apiKey: string) => (await call(server, "GET", "/v1/tokens/balance", { apiKey })).body;

describe("POST /v1/admin/grants", () => {
  it("an admin grants tokens: one adjustment entry with the reason", async () => {
    const user = await register(server);
    const res = await grant(admin.apiKey, { handle: user.handle, tokens: 100, reason: "conference demo" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: "adjustment",
      amount: 100,
      held_change: 0,
      available_after: 110,
      job_id: null,
    });
    expect(res.body.description).toContain("conference demo");
    expect(res.body.description).toContain(`@${ADMIN}`);
    expect(res.body.reference).toMatch(/^admin:le_/);
    expect(await balance(user.apiKey)).toEqual({ available: 110, held: 0 });
    const history = (await call(server, "GET", "/v1/tokens/history", { apiKey: user.apiKey })).body.data;
    expect(history[0]).toEqual(res.body);
  });

  it("a negative grant removes tokens, never below zero", async () => {
    const user = await register(server);
    const removed = await grant(admin.apiKey, { handle: user.handle, tokens: -4, reason: "typo" });
    expect(removed.status).toBe(201);
    expect(removed.body).toMatchObject({ amount: -4, available_after: 6 });
    const tooMuch = await grant(admin.apiKey, { handle: user.handle, tokens: -7, reason: "too much" });
    expectProblem(tooMuch, 402, "insufficient_tokens");
    expect(tooMuch.body).toMatchObject({ price: 7, available: 6 });
    expect(await balance(user.apiKey)).toEqual({ available: 6, held: 0 });
  });

  it("an unknown handle answers 404", async () => {
    const user = await register(server);
    expect((await grant(admin.apiKey, { handle: user.handle, tokens: 1, reason: "x" })).status).toBe(201);
    expectProblem(await grant(admin.apiKey, { handle: uniqueHandle("ghost"), tokens: 5, reason: "x" }), 404, "not_found");
  });

  it("only admins may grant: users get 403, anonymous callers 401, and nothing changes", async () => {
    const user = await register(server);
    const before = await server.app.db.query("SELECT count(*)::int AS n FROM ledger_entries");
    const res = await grant(user.apiKey, { handle: user.handle, tokens: 1000, reason: "please" });
    expectProblem(res, 403, "forbidden");
    expectProblem(await grant(undefined, { handle: user.handle, tokens: 1000, reason: "please" }), 401, "missing_api_key");
    expect(await server.app.db.query("SELECT count(*)::int AS n FROM ledger_entries")).toEqual(before);
    expect(await balance(user.apiKey)).toEqual({ available: 10, held: 0 });
  });

  it("rejects a zero, oversized or reasonless grant", async () => {
    const user = await register(server);
    for (const body of [
      { handle: user.handle, tokens: 0, reason: "x" },
      { handle: user.handle, tokens: 2_000_000, reason: "x" },
      { handle: user.handle, tokens: 5 },
      { handle: user.handle, tokens: 5, reason: "" },
      { handle: user.handle, tokens: 1.5, reason: "x" },
    ]) {
      expectProblem(await grant(admin.apiKey, body), 400, "validation_failed");
    }
    expect(await balance(user.apiKey)).toEqual({ available: 10, held: 0 });
  });

  it("each grant counts, but a retried request with its Idempotency-Key counts once", async () => {
    const user = await register(server);
    const body = { handle: user.handle, tokens: 5, reason: "twice on purpose" };
    await grant(admin.apiKey, body);
    await grant(admin.apiKey, body);
    expect(await balance(user.apiKey)).toEqual({ available: 20, held: 0 });
    const headers = { "idempotency-key": "grant-retry-1" };
    const first = await grant(admin.apiKey, body, headers);
    const retry = await grant(admin.apiKey, body, headers);
    expect(retry.body).toEqual(first.body);
    expect(await balance(user.apiKey)).toEqual({ available: 25, held: 0 });
  });
});
