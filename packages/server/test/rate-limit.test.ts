import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { PASSWORD, call, expectProblem, register, rowCounts, uniqueHandle } from "./helpers.js";

const LIMIT = 3;
let server: RunningServer;
let ipCounter = 0;
const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

beforeAll(async () => {
  // Behind a trusted proxy, X-Forwarded-For sets the client address, so one test can be many clients.
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: String(LIMIT), OTO_TRUST_PROXY: "true" });
});
afterAll(async () => {
  await server?.close();
});

const login = (handle: string, ip: string, password = "wrong password") =>
  call(server, "POST", "/v1/auth/login", { json: { handle, password }, headers: { "x-forwarded-for": ip } });

function expectRateLimited(res: Awaited<ReturnType<typeof login>>): void {
  expectProblem(res, 429, "rate_limited");
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.body.retry_after_s).toBe(retryAfter);
  expect(res.body.detail).toContain(`${retryAfter} seconds`);
}

describe("login", () => {
  test(`is limited to ${LIMIT} attempts per minute per handle, from any address`, async () => {
    const handle = uniqueHandle("victim");
    for (let i = 0; i < LIMIT; i++) expect((await login(handle, freshIp())).status).toBe(401);
    const before = await rowCounts(server);
    expectRateLimited(await login(handle, freshIp()));
    // Even the right password is refused while limited, and nothing is written.
    expect((await login(handle, freshIp(), PASSWORD)).status).toBe(429);
    expect(await rowCounts(server)).toEqual(before);
  });

  test(`is limited to ${LIMIT} attempts per minute per address, whatever the handle`, async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMIT; i++) expect((await login(uniqueHandle("h"), ip)).status).toBe(401);
    expectRateLimited(await login(uniqueHandle("h"), ip));
    // Another client with another handle is not affected.
    expect((await login(uniqueHandle("h"), freshIp())).status).toBe(401);
  });

  test("handles are counted without regard to case", async () => {
    const handle = uniqueHandle("case");
    expect((await login(handle, freshIp())).status).toBe(401);
    expect((await login(handle.toUpperCase(), freshIp())).status).toBe(401);
    expect((await login(handle, freshIp())).status).toBe(401);
    expect((await login(handle.toUpperCase(), freshIp())).status).toBe(429);
  });
});

describe("register", () => {
  test(`is limited to ${LIMIT} attempts per minute per address`, async () => {
    const ip = freshIp();
    const attempt = () =>
      call(server, "POST", "/v1/accounts", {
        json: { handle: uniqueHandle("reg"), password: PASSWORD },
        headers: { "x-forwarded-for": ip },
      });
    for (let i = 0; i < LIMIT; i++) expect((await attempt()).status).toBe(201);
    const before = await rowCounts(server);
    expectRateLimited(await attempt());
    expect(await rowCounts(server)).toEqual(before);
  });

  test("and per handle", async () => {
    const handle = uniqueHandle("same");
    const attempt = () =>
      call(server, "POST", "/v1/accounts", { json: { handle, password: PASSWORD }, headers: { "x-forwarded-for": freshIp() } });
    expect((await attempt()).status).toBe(201);
    expect((await attempt()).status).toBe(409);
    expect((await attempt()).status).toBe(409);
    expect((await attempt()).status).toBe(429);
  });
});

test("other operations are not limited", async () => {
  const account = await register(server, uniqueHandle("free"));
  for (let i = 0; i < LIMIT * 3; i++) {
    expect((await call(server, "GET", "/v1/me", { apiKey: account.apiKey })).status).toBe(200);
  }
});

test("rejected input does not count as an attempt", async () => {
  const ip = freshIp();
  for (let i = 0; i < LIMIT * 2; i++) {
    const res = await call(server, "POST", "/v1/auth/login", { json: { handle: 5 }, headers: { "x-forwarded-for": ip } });
    expect(res.status).toBe(400);
  }
  expect((await login(uniqueHandle("after"), ip)).status).toBe(401);
});
