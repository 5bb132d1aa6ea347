import { afterEach, describe, expect, it } from "vitest";
import {
  Oto,
  OtoApiError,
  OtoAuthError,
  OtoBadRequestError,
  OtoConflictError,
  OtoConnectionError,
  OtoNotFoundError,
  OtoRateLimitError,
  OtoTimeoutError,
  type OtoOptions,
} from "../src/index.js";
import {
  closedPort,
  sampleAccount,
  sampleAuthResult,
  sendJson,
  sendProblem,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from "./support/scripted-server.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const registration = { handle: "ada", password: "correct horse battery staple" };

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script, options: OtoOptions = {}): Promise<{ oto: Oto; server: ScriptedServer }> {
  server = await startScriptedServer(script);
  const oto = new Oto({ baseUrl: server.url, apiKey: "oto_test0000_secret", retryBaseDelayMs: 10, ...options });
  return { oto, server };
}

/** Fails the first `failures` requests with `status`, then answers `body`. */
function failThenAnswer(failures: number, status: number, body: unknown, okStatus = 200): Script {
  return (_req, res, n) =>
    n < failures ? sendProblem(res, status, "internal_error", `failure #${n + 1}`) : sendJson(res, okStatus, body);
}

describe("retries", () => {
  it("retries a POST after 503 twice, with the same generated UUID Idempotency-Key every time", async () => {
    const { oto, server } = await serve(failThenAnswer(2, 503, sampleAuthResult, 201));

    const result = await oto.register(registration);

    expect(result.account.id).toBe(sampleAccount.id);
    expect(server.requests).toHaveLength(3);
    const keys = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(UUID);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    for (const request of server.requests) expect(JSON.parse(request.body)).toEqual(registration);
  });

  it("keeps the Idempotency-Key the caller gave across retries", async () => {
    const { oto, server } = await serve(failThenAnswer(1, 500, sampleAuthResult, 201));

    await oto.register(registration, { idempotencyKey: "my-key-1" });

    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["my-key-1", "my-key-1"]);
  });

  it("gives each call its own Idempotency-Key", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 201, sampleAuthResult));

    await oto.register(registration);
    await oto.register(registration);

    const [first, second] = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it("retries 408", async () => {
    const { oto, server } = await serve(failThenAnswer(1, 408, sampleAccount));
    await expect(oto.me()).resolves.toEqual(sampleAccount);
    expect(server.requests).toHaveLength(2);
  });

  it("waits as long as a 429's Retry-After says, then succeeds", async () => {
    const { oto, server } = await serve((_req, res, n) =>
      n === 0
        ? sendProblem(res, 429, "rate_limited", "Too many attempts; try again in 1 second.", {
            headers: { "retry-after": "1" },
          })
        : sendJson(res, 200, sampleAuthResult),
    );

    const started = performance.now();
    await oto.login(registration);

    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it("gives up at once with OtoRateLimitError when Retry-After is longer than a minute", async () => {
    const { oto, server } = await serve((_req, res) =>
      sendProblem(res, 429, "rate_limited", "Too many attempts; try again in 3600 seconds.", {
        headers: { "retry-after": "3600" },
        body: { retry_after_s: 3600 },
      }),
    );

    const error = await oto.login(registration).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoRateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfterS: 3600 });
    expect(server.requests).toHaveLength(1);
  });

  it("throws OtoRateLimitError once the retries are used up", async () => {
    const { oto, server } = await serve((_req, res) => sendProblem(res, 429, "rate_limited", "Slow down."), {
      maxRetries: 1,
    });

    await expect(oto.me()).rejects.toBeInstanceOf(OtoRateLimitError);
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    [400, "validation_failed", OtoBadRequestError],
    [401, "invalid_api_key", OtoAuthError],
    [404, "not_found", OtoNotFoundError],
    [409, "handle_taken", OtoConflictError],
  ] as const)("never retries %i", async (status, code, ErrorClass) => {
    const { oto, server } = await serve((_req, res) => sendProblem(res, status, code, "no"));

    const error = await oto.register(registration).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ status, code });
    expect(server.requests).toHaveLength(1);
  });

  it("throws the last 5xx as OtoApiError after maxRetries + 1 attempts", async () => {
    const { oto, server } = await serve((_req, res) => sendProblem(res, 503, "not_ready", "The database does not answer."), {
      maxRetries: 3,
    });

    const error = await oto.ready().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoApiError);
    expect(error).toMatchObject({ status: 503, code: "not_ready" });
    expect(server.requests).toHaveLength(4);
  });

  it("makes a single attempt when maxRetries is 0", async () => {
    const { oto, server } = await serve(failThenAnswer(1, 503, sampleAccount), { maxRetries: 0 });

    await expect(oto.me()).rejects.toBeInstanceOf(OtoApiError);
    expect(server.requests).toHaveLength(1);
  });

  it("takes maxRetries from the call over the client's", async () => {
    const { oto, server } = await serve(failThenAnswer(1, 503, sampleAccount), { maxRetries: 0 });

    await expect(oto.me({ maxRetries: 1 })).resolves.toEqual(sampleAccount);
    expect(server.requests).toHaveLength(2);
  });

  it("retries when the server drops the connection before answering", async () => {
    const { oto, server } = await serve((req, res, n) => (n === 0 ? req.socket.destroy() : sendJson(res, 200, sampleAccount)));

    await expect(oto.me()).resolves.toEqual(sampleAccount);
    expect(server.requests).toHaveLength(2);
  });

  it("retries when the server drops the connection in the middle of the body", async () => {
    const { oto, server } = await serve((req, res, n) => {
      if (n > 0) return sendJson(res, 201, sampleAuthResult);
      res.writeHead(201, { "content-type": "application/json", "content-length": "500" });
      res.write('{"account":{"id":"acc_');
      setTimeout(() => req.socket.destroy(), 20);
    });

    const result = await oto.register(registration);

    expect(result).toEqual(sampleAuthResult);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.headers["idempotency-key"]).toBe(server.requests[0]?.headers["idempotency-key"]);
  });
});

describe("connection failures and timeouts", () => {
  it("throws OtoConnectionError after maxRetries + 1 attempts when the port is closed", async () => {
    const port = await closedPort();
    let attempts = 0;
    const countingFetch: typeof fetch = (input, init) => {
      attempts++;
      return fetch(input, init);
    };
    const baseUrl = `http://127.0.0.1:${port}`;
    const oto = new Oto({ baseUrl, maxRetries: 2, retryBaseDelayMs: 10, fetch: countingFetch });

    const error = await oto.health().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoConnectionError);
    expect(error).toMatchObject({ status: 0, code: "connection_error" });
    expect((error as Error).message).toBe(`cannot reach ${baseUrl}: ECONNREFUSED`);
    expect(attempts).toBe(3);
  });

  it("throws OtoTimeoutError within timeoutMs when the server never answers, without retrying", async () => {
    const { oto, server } = await serve(() => {}, { timeoutMs: 300, maxRetries: 2 });

    const started = performance.now();
    const error = await oto.me().catch((e: unknown) => e);
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(OtoTimeoutError);
    expect(error).toMatchObject({ status: 0, code: "timeout" });
    expect((error as Error).message).toBe(`${server.url} did not answer within 300 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("times out a body that stops halfway", async () => {
    const { oto } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      res.write('{"id":');
    });

    await expect(oto.me({ timeoutMs: 300 })).rejects.toBeInstanceOf(OtoTimeoutError);
  });
});

describe("caller abort", () => {
  it("stops a hanging request at once and does not retry", async () => {
    const { oto, server } = await serve(() => {}, { timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);

    const started = performance.now();
    const error = await oto.me({ signal: controller.signal }).catch((e: unknown) => e);

    expect((error as Error).name).toBe("AbortError");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("stops during the wait before a retry", async () => {
    const { oto, server } = await serve((_req, res) => sendProblem(res, 503, "internal_error", "down"), {
      retryBaseDelayMs: 10_000,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user pressed Ctrl-C")), 150);

    const started = performance.now();
    await expect(oto.me({ signal: controller.signal })).rejects.toThrow("user pressed Ctrl-C");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing when the signal is already aborted", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 200, sampleAccount));

    await expect(oto.me({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(0);
  });
});

describe("headers", () => {
  it("sends the API key, Accept and User-Agent, and no Idempotency-Key on GET", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 200, sampleAccount), { userAgent: "oto-cli/9.9.9" });

    await oto.me();

    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.url).toBe("/v1/me");
    expect(request?.headers["authorization"]).toBe("Bearer oto_test0000_secret");
    expect(request?.headers["accept"]).toBe("application/json");
    expect(request?.headers["user-agent"]).toBe(`oto-sdk/0.0.0-dev node/${process.versions.node} oto-cli/9.9.9`);
    expect(request?.headers).not.toHaveProperty("idempotency-key");
  });

  it("sends no Authorization header without an API key", async () => {
    const previous = process.env["OTO_API_KEY"];
    delete process.env["OTO_API_KEY"];
    try {
      server = await startScriptedServer((_req, res) => sendJson(res, 200, { status: "ok", version: "0.1.0", uptime_s: 1 }));
      await new Oto({ baseUrl: server.url }).health();
      expect(server.requests[0]?.headers).not.toHaveProperty("authorization");
    } finally {
      if (previous !== undefined) process.env["OTO_API_KEY"] = previous;
    }
  });

  it("takes the server and API key from OTO_SERVER and OTO_API_KEY", async () => {
    server = await startScriptedServer((_req, res) => sendJson(res, 200, sampleAccount));
    const previous = { server: process.env["OTO_SERVER"], key: process.env["OTO_API_KEY"] };
    process.env["OTO_SERVER"] = server.url;
    process.env["OTO_API_KEY"] = "oto_fromenv0_secret";
    try {
      const oto = new Oto();
      expect(oto.baseUrl).toBe(server.url);
      await oto.me();
      expect(server.requests[0]?.headers["authorization"]).toBe("Bearer oto_fromenv0_secret");
    } finally {
      for (const [name, value] of [["OTO_SERVER", previous.server], ["OTO_API_KEY", previous.key]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("rejects a base URL that is not http(s)", () => {
    expect(() => new Oto({ baseUrl: "127.0.0.1:4000" })).toThrow(/invalid oTo server URL/);
    expect(() => new Oto({ baseUrl: "ftp://example.com" })).toThrow(/only http and https/);
  });
});
