import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Handler } from "../src/handlers/types.js";
import { decryptReply } from "../src/idempotency.js";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { PASSWORD, call, expectProblem, register, rowCounts, uniqueHandle } from "./helpers.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

const registerWith = (key: string | undefined, body: object, target: RunningServer = server) =>
  call(target, "POST", "/v1/accounts", { json: body, headers: key ? { "idempotency-key": key } : {} });

describe("replays", () => {
  test("the same key and body replays the first answer; the work is done once", async () => {
    const body = { handle: uniqueHandle("idem"), password: PASSWORD };
    const before = await rowCounts(server);
    const first = await registerWith("k-replay-1", body);
    const second = await registerWith("k-replay-1", body);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    const after = await rowCounts(server);
    expect(after.accounts).toBe(before.accounts! + 1);
    expect(after.api_keys).toBe(before.api_keys! + 1);
    expect(after.idempotency_keys).toBe(before.idempotency_keys! + 1);
  });

  test("the same body with fields in another order is the same request", async () => {
    const handle = uniqueHandle("order");
    const first = await call(server, "POST", "/v1/accounts", {
      raw: `{"handle":"${handle}","password":"${PASSWORD}"}`,
      contentType: "application/json",
      headers: { "idempotency-key": "k-order" },
    });
    const second = await call(server, "POST", "/v1/accounts", {
      raw: `{ "password": "${PASSWORD}", "handle": "${handle}" }`,
      contentType: "application/json",
      headers: { "idempotency-key": "k-order" },
    });
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  test("4xx answers are stored and replayed too", async () => {
    const { handle } = await register(server);
    const first = await registerWith("k-taken", { handle, password: PASSWORD });
    expectProblem(first, 409, "handle_taken");
    const second = await registerWith("k-taken", { handle, password: PASSWORD });
    expect(second.status).toBe(409);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.code).toBe("handle_taken");
  });

  test("without a key, every request runs", async () => {
    const account = await register(server);
    const a = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "same" } });
    const b = await call(server, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "same" } });
    expect(a.body.id).not.toBe(b.body.id);
  });
});

describe("conflicts and scopes", () => {
  test("the same key with another body → 409 idempotency_key_reused, nothing written", async () => {
    await registerWith("k-reused", { handle: uniqueHandle("first"), password: PASSWORD });
    const before = await rowCounts(server);
    const res = await registerWith("k-reused", { handle: uniqueHandle("second"), password: PASSWORD });
    expectProblem(res, 409, "idempotency_key_reused");
    expect(await rowCounts(server)).toEqual(before);
  });

  test("keys are scoped per operation", async () => {
    const account = await register(server);
    const login = await call(server, "POST", "/v1/auth/login", {
      json: { handle: account.handle, password: PASSWORD },
      headers: { "idempotency-key": "k-scope-op" },
    });
    const reg = await registerWith("k-scope-op", { handle: uniqueHandle("scope"), password: PASSWORD });
    expect(login.status).toBe(200);
    expect(reg.status).toBe(201);
    expect(reg.headers.get("idempotent-replayed")).toBeNull();
  });

  test("keys are scoped per account", async () => {
    const a = await register(server);
    const b = await register(server);
    const ka = await call(server, "POST", "/v1/api-keys", { apiKey: a.apiKey, json: { name: "n" }, headers: { "idempotency-key": "shared" } });
    const kb = await call(server, "POST", "/v1/api-keys", { apiKey: b.apiKey, json: { name: "n" }, headers: { "idempotency-key": "shared" } });
    expect(kb.status).toBe(201);
    expect(kb.headers.get("idempotent-replayed")).toBeNull();
    expect(kb.body.id).not.toBe(ka.body.id);
    const listB = await call(server, "GET", "/v1/api-keys", { apiKey: b.apiKey });
    expect(listB.body.data.map((k: { id: string }) => k.id)).toContain(kb.body.id);
  });

  test("an expired key is free again", async () => {
    const body = { handle: uniqueHandle("exp"), password: PASSWORD };
    const first = await registerWith("k-expired", body);
    expect(first.status).toBe(201);
    await server.app.db.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'");
    const second = await registerWith("k-expired", body);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expectProblem(second, 409, "handle_taken"); // it ran again, and the handle is now taken
  });
});

describe("storage", () => {
  test("the stored reply is encrypted and the raw key is not stored", async () => {
    const rawKey = "k-secret-storage-0123456789";
    const res = await registerWith(rawKey, { handle: uniqueHandle("enc"), password: PASSWORD });
    const secret = res.body.api_key.secret as string;
    const keyHash = createHash("sha256").update(`register\nanon\n${rawKey}`).digest("hex");
    const rows = await server.app.db.query<Record<string, unknown>>("SELECT * FROM idempotency_keys WHERE key_hash = $1", [keyHash]);
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(rawKey);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(res.body.account.id);
    expect(rows[0]!.state).toBe("done");
    expect(rows[0]!.status_code).toBe(201);
    // Readable with the raw key, and only with it.
    expect(JSON.parse(decryptReply(rawKey, keyHash, rows[0]!.response_body as string))).toEqual(res.body);
    expect(() => decryptReply(`${rawKey}x`, keyHash, rows[0]!.response_body as string)).toThrow();
    const expiresIn = (rows[0]!.expires_at as Date).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(23.9 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);
  });
});

describe("concurrency and failures (with instrumented handlers)", () => {
  let gated: RunningServer;
  let runs = 0;
  let failNext = false;
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();

  const createApiKey: Handler<"createApiKey"> = async ({ body }) => {
    runs++;
    await gate;
    if (failNext) {
      failNext = false;
      throw new Error("simulated crash");
    }
    return {
      status: 201,
      body: {
        id: `key_${String(runs).padStart(26, "0")}`,
        name: body.name,
        prefix: "abcdefgh",
        created_at: new Date().toISOString(),
        last_used_at: null,
        revoked_at: null,
        secret: `oto_abcdefgh_${"A".repeat(32)}`,
      },
    };
  };

  beforeAll(async () => {
    gated = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" }, { handlers: { createApiKey } });
  });
  afterAll(async () => {
    await gated?.close();
  });

  test("of concurrent requests with one key exactly one runs; the others wait with 409 in progress", async () => {
    const account = await register(gated);
    runs = 0;
    gate = new Promise((r) => (release = r));
    const send = () =>
      call(gated, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "once" }, headers: { "idempotency-key": "k-concurrent" } });
    const first = send();
    while (runs === 0) await new Promise((r) => setTimeout(r, 5));
    const others = await Promise.all(Array.from({ length: 8 }, send));
    for (const res of others) expectProblem(res, 409, "idempotency_key_in_progress");
    release();
    expect((await first).status).toBe(201);
    const replay = await send();
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual((await first).body);
    expect(runs).toBe(1);
  });

  test("truly simultaneous requests (no head start) still run once", async () => {
    const account = await register(gated);
    runs = 0;
    gate = new Promise((r) => (release = r));
    const sends = Array.from({ length: 10 }, () =>
      call(gated, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "race" }, headers: { "idempotency-key": "k-race" } }),
    );
    setTimeout(() => release(), 200);
    const results = await Promise.all(sends);
    expect(runs).toBe(1);
    expect(results.filter((r) => r.status === 201 && !r.headers.get("idempotent-replayed"))).toHaveLength(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
  });

  test("a client that gave up mid-request gets the stored answer when it retries", async () => {
    const account = await register(gated);
    runs = 0;
    gate = new Promise((r) => (release = r));
    const abort = new AbortController();
    const gaveUp = fetch(`${gated.url}/v1/api-keys`, {
      method: "POST",
      signal: abort.signal,
      headers: { "content-type": "application/json", authorization: `Bearer ${account.apiKey}`, "idempotency-key": "k-abort" },
      body: JSON.stringify({ name: "patience" }),
    });
    while (runs === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await expect(gaveUp).rejects.toThrow();
    release();
    let retry = await call(gated, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "patience" }, headers: { "idempotency-key": "k-abort" } });
    for (let i = 0; i < 50 && retry.status === 409; i++) {
      await new Promise((r) => setTimeout(r, 20));
      retry = await call(gated, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "patience" }, headers: { "idempotency-key": "k-abort" } });
    }
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(runs).toBe(1);
  });

  test("a 5xx releases the key so that the request can be retried", async () => {
    const account = await register(gated);
    runs = 0;
    gate = Promise.resolve();
    failNext = true;
    const send = () =>
      call(gated, "POST", "/v1/api-keys", { apiKey: account.apiKey, json: { name: "retry" }, headers: { "idempotency-key": "k-5xx" } });
    expectProblem(await send(), 500, "internal_error");
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(runs).toBe(2);
  });
});

describe("concurrent registrations with the real handler", () => {
  test("create exactly one account", async () => {
    const body = { handle: uniqueHandle("race"), password: PASSWORD };
    const before = await rowCounts(server);
    const results = await Promise.all(Array.from({ length: 6 }, () => registerWith("k-real-race", body)));
    const fresh = results.filter((r) => r.status === 201 && !r.headers.get("idempotent-replayed"));
    expect(fresh).toHaveLength(1);
    for (const r of results) {
      if (r.status !== 201) expectProblem(r, 409, "idempotency_key_in_progress");
    }
    const after = await rowCounts(server);
    expect(after.accounts).toBe(before.accounts! + 1);
  });
});
