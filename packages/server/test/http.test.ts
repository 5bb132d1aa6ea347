import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { call, expectProblem, register } from "./helpers.js";
import { SPEC_FILE } from "./spec-validator.js";

let server: RunningServer;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  server = await startTestServer(
    { OTO_CORS_ORIGINS: "https://viewer.oto.dev", OTO_LOG_LEVEL: "info" },
    { logStream: { write: (line) => logLines.push(JSON.parse(line)) } },
  );
});
afterAll(async () => {
  await server?.close();
});

describe("X-Request-Id", () => {
  test("every response has one; a new one looks like req_…", async () => {
    for (const path of ["/v1/health", "/v1/nope", "/openapi.yaml", "/"]) {
      const res = await call(server, "GET", path);
      expect(res.headers.get("x-request-id"), path).toMatch(/^req_[0-9a-z]{26}$/);
    }
  });

  test("a safe incoming id is kept, and appears in problems and logs", async () => {
    const id = "trace-2026.11.26_abc";
    const res = await call(server, "GET", "/v1/me", { headers: { "x-request-id": id } });
    expect(res.headers.get("x-request-id")).toBe(id);
    expectProblem(res, 401, "missing_api_key");
    expect(res.body.request_id).toBe(id);
    expect(logLines.some((l) => l.request_id === id && l.status === 401)).toBe(true);
  });

  test.each([["has spaces"], ["x".repeat(129)], ["semi;colon"], ["ünïcode"]])("an unsafe incoming id (%s) is replaced", async (id) => {
    const res = await fetch(`${server.url}/v1/health`, { headers: { "x-request-id": encodeURI(id) === id ? id : "a/b" } });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{26}$/);
  });
});

describe("errors outside operations are problems too", () => {
  test("unknown path → 404 not_found", async () => {
    const res = await call(server, "GET", "/v1/does-not-exist");
    expectProblem(res, 404, "not_found");
    expect(res.body.instance).toBe("/v1/does-not-exist");
  });

  test("known path, wrong method → 405 method_not_allowed with Allow", async () => {
    const res = await call(server, "PUT", "/v1/api-keys");
    expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    const withParam = await call(server, "PATCH", "/v1/api-keys/key_00000000000000000000000000");
    expectProblem(withParam, 405, "method_not_allowed");
    expect(withParam.headers.get("allow")).toBe("DELETE");
  });
});

describe("headers", () => {
  test("helmet's security headers are set", async () => {
    const res = await call(server, "GET", "/v1/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  test("CORS answers only the configured origins", async () => {
    const preflight = await fetch(`${server.url}/v1/me`, {
      method: "OPTIONS",
      headers: {
        origin: "https://viewer.oto.dev",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://viewer.oto.dev");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");

    const allowed = await fetch(`${server.url}/v1/health`, { headers: { origin: "https://viewer.oto.dev" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://viewer.oto.dev");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    const other = await fetch(`${server.url}/v1/health`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("HEAD works on GET operations", async () => {
    const res = await fetch(`${server.url}/v1/health`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

describe("documents", () => {
  test("GET /openapi.yaml serves the spec file", async () => {
    const res = await call(server, "GET", "/openapi.yaml");
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/yaml/);
    expect(res.text).toBe(readFileSync(SPEC_FILE, "utf8"));
  });

  test("GET /docs serves the API reference of the same spec", async () => {
    const page = await call(server, "GET", "/docs/");
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    const json = await call(server, "GET", "/docs/json");
    expect(json.body.openapi).toBe("3.1.0");
    expect(Object.keys(json.body.paths)).toContain("/v1/api-keys/{key_id}");
    // "Try it out" calls the server the page came from, not the spec's example address.
    expect(json.body.servers).toEqual([{ url: server.url, description: "This server" }]);
  });

  test("GET / answers an HTML page", async () => {
    const res = await call(server, "GET", "/");
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
  });
});

describe("logs", () => {
  test("one line per request with its id, and never the API key", async () => {
    const account = await register(server);
    logLines.length = 0;
    const res = await call(server, "GET", "/v1/me", { apiKey: account.apiKey });
    const id = res.headers.get("x-request-id");
    const lines = logLines.filter((l) => l.request_id === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "GET", url: "/v1/me", status: 200 });
    expect(JSON.stringify(logLines)).not.toContain(account.apiKey.slice(13));
  });
});

describe("errors before routing", () => {
  test("a URL that cannot be decoded → 400 problem with a request id", async () => {
    const res = await call(server, "GET", "/v1/api-keys/%zz");
    expectProblem(res, 400, "validation_failed");
  });

  test("401 answers say how to authenticate", async () => {
    const missing = await call(server, "GET", "/v1/me");
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="oto"');
    const invalid = await call(server, "GET", "/v1/me", { apiKey: "oto_zzzzzzzz_0123456789abcdefABCDEF0123456789" });
    expect(invalid.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
