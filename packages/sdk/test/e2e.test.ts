import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Oto,
  OtoAuthError,
  OtoBadRequestError,
  OtoConflictError,
  OtoNotFoundError,
  OtoRateLimitError,
  type ApiKey,
} from "../src/index.js";
import { type RunningServer, startTestServer } from "./support/real-server.js";

// The SDK against the real server (see support/real-server.ts).

const SECRET = /^oto_[0-9a-z]{8}_[0-9A-Za-z]{32}$/;
const password = "correct horse battery staple";

describe("SDK against the real server", () => {
  let server: RunningServer;
  let anonymous: Oto;

  beforeAll(async () => {
    server = await startTestServer();
    anonymous = new Oto({ baseUrl: server.url, apiKey: "" });
  });
  afterAll(() => server?.close());

  it("answers health and readiness", async () => {
    await expect(anonymous.health()).resolves.toMatchObject({ status: "ok" });
    await expect(anonymous.ready()).resolves.toMatchObject({ status: "ready" });
  });

  it("registers, logs in, manages API keys, and rejects a revoked key", async () => {
    const registered = await anonymous.register({ handle: "ada", password, display_name: "Ada Lovelace" });
    expect(registered.account).toMatchObject({ handle: "ada", display_name: "Ada Lovelace", role: "user" });
    expect(registered.account.id).toMatch(/^acc_[0-9a-z]{26}$/);
    expect(registered.api_key.secret).toMatch(SECRET);

    const loggedIn = await anonymous.login({ handle: "ada", password, key_name: "laptop" });
    expect(loggedIn.account.id).toBe(registered.account.id);
    expect(loggedIn.api_key).toMatchObject({ name: "laptop", revoked_at: null });
    expect(loggedIn.api_key.secret).not.toBe(registered.api_key.secret);

    const ada = new Oto({ baseUrl: server.url, apiKey: loggedIn.api_key.secret });
    await expect(ada.me()).resolves.toEqual(registered.account);

    const created = await ada.apiKeys.create({ name: "n8n workflow" });
    expect(created).toMatchObject({ name: "n8n workflow", revoked_at: null });
    expect(created.secret).toMatch(SECRET);
    expect(created.secret.split("_")[1]).toBe(created.prefix);

    const firstPage = await ada.apiKeys.list({ limit: 1 });
    expect(firstPage.data).toHaveLength(1);
    expect(firstPage.next_cursor).toEqual(expect.any(String));

    const all: ApiKey[] = [];
    for await (const key of ada.apiKeys.listAll({ limit: 1 })) all.push(key);
    expect(all.map((k) => k.name)).toEqual(["n8n workflow", "laptop", registered.api_key.name]);
    expect(all[0]).not.toHaveProperty("secret");

    const revoked = await ada.apiKeys.revoke(created.id);
    expect(revoked).toMatchObject({ id: created.id, name: "n8n workflow" });
    expect(revoked.revoked_at).toEqual(expect.any(String));

    const withRevokedKey = new Oto({ baseUrl: server.url, apiKey: created.secret });
    const error = await withRevokedKey.me().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoAuthError);
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key", requestId: expect.any(String) });

    const listedAfter = await ada.apiKeys.list({ limit: 100 });
    expect(listedAfter.data.find((k) => k.id === created.id)?.revoked_at).toBe(revoked.revoked_at);

    const missing = await ada.apiKeys.revoke("key_00000000000000000000000000").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OtoNotFoundError);
  });

  it("refuses a taken handle with OtoConflictError handle_taken", async () => {
    await anonymous.register({ handle: "grace", password });

    const error = await anonymous.register({ handle: "grace", password }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoConflictError);
    expect(error).toMatchObject({ status: 409, code: "handle_taken" });
    expect((error as Error).message).toMatch(/ \(handle_taken, HTTP 409, request \S+\)$/);
  });

  it("replays a register repeated with the same idempotency key", async () => {
    const idempotencyKey = `e2e-${crypto.randomUUID()}`;
    const body = { handle: "hopper", password };

    const first = await anonymous.register(body, { idempotencyKey });
    const again = await anonymous.register(body, { idempotencyKey });

    expect(again.account.id).toBe(first.account.id);
    expect(again.api_key.id).toBe(first.api_key.id);

    const reused = await anonymous.register({ handle: "hopper2", password }, { idempotencyKey }).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(OtoConflictError);
    expect(reused).toMatchObject({ code: "idempotency_key_reused" });
  });

  it("reports invalid input as OtoBadRequestError validation_failed", async () => {
    const error = await anonymous.register({ handle: "A", password: "short" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoBadRequestError);
    expect(error).toMatchObject({ status: 400, code: "validation_failed" });
  });
});

describe("SDK against a rate-limited server", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it("throws OtoRateLimitError with retryAfterS once log-ins are limited", async () => {
    const oto = new Oto({ baseUrl: server.url, apiKey: "", maxRetries: 0 });
    let error: unknown;
    for (let attempt = 0; attempt < 30 && !(error instanceof OtoRateLimitError); attempt++) {
      error = await oto.login({ handle: "nobody", password: "wrong password" }).catch((e: unknown) => e);
      if (!(error instanceof OtoRateLimitError)) expect(error).toBeInstanceOf(OtoAuthError);
    }

    expect(error).toBeInstanceOf(OtoRateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited" });
    expect((error as OtoRateLimitError).retryAfterS).toBeGreaterThan(0);
  });
});
