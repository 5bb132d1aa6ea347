import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { PASSWORD, call, expectProblem, register, rowCounts, uniqueHandle } from "./helpers.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_ADMIN_HANDLES: "root_admin" });
});
afterAll(async () => {
  await server?.close();
});

describe("register", () => {
  test("creates the account and a first key, shown once", async () => {
    const handle = uniqueHandle("ada");
    const res = await call(server, "POST", "/v1/accounts", {
      json: { handle, password: PASSWORD, display_name: "Ada Lovelace" },
    });
    expect(res.status).toBe(201);
    expect(res.body.account).toEqual({
      id: expect.stringMatching(/^acc_[0-9a-z]{26}$/),
      handle,
      display_name: "Ada Lovelace",
      role: "user",
      home: { index: expect.any(Number), x: expect.any(Number), y: expect.any(Number) },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(res.body.api_key).toMatchObject({
      id: expect.stringMatching(/^key_[0-9a-z]{26}$/),
      name: "registration",
      last_used_at: null,
      revoked_at: null,
    });
    expect(res.body.api_key.secret).toMatch(new RegExp(`^oto_${res.body.api_key.prefix}_[0-9A-Za-z]{32}$`));
  });

  test("the display name defaults to the handle", async () => {
    const { handle } = await register(server);
    const login = await call(server, "POST", "/v1/auth/login", { json: { handle, password: PASSWORD } });
    expect(login.body.account.display_name).toBe(handle);
  });

  test("a taken handle answers 409 handle_taken and writes nothing", async () => {
    const { handle } = await register(server);
    const before = await rowCounts(server);
    const res = await call(server, "POST", "/v1/accounts", { json: { handle, password: "another password" } });
    expectProblem(res, 409, "handle_taken");
    expect(res.body.detail).toContain(handle);
    expect(await rowCounts(server)).toEqual(before);
  });

  test("handles are unique regardless of case", async () => {
    const { handle } = await register(server);
    // The spec only lets lowercase handles in, so write the mixed-case twin below the API.
    const rows = await server.app.db.query<{ handle_lower: string }>(
      "SELECT handle_lower FROM accounts WHERE handle = $1",
      [handle],
    );
    expect(rows[0]!.handle_lower).toBe(handle);
    await expect(
      server.app.db.query(
        `INSERT INTO accounts (id, handle, handle_lower, display_name, password_hash, created_at)
         VALUES ('acc_x', $1, $2, 'x', 'x', now())`,
        [handle.toUpperCase(), handle.toUpperCase().toLowerCase()],
      ),
    ).rejects.toThrow();
  });

  test.each([
    ["ab", false],
    ["abc", true],
    [`a${"b".repeat(31)}`, true],
    [`a${"b".repeat(32)}`, false],
    ["1abc", false],
    ["_abc", false],
    ["Abc", false],
    ["ab c", false],
    ["a-b_c9", true],
  ])("handle %s is accepted: %s", async (handle, ok) => {
    const res = await call(server, "POST", "/v1/accounts", { json: { handle, password: PASSWORD } });
    if (ok) expect(res.status).toBe(201);
    else expectProblem(res, 400, "validation_failed");
  });

  test.each([
    [9, false],
    [10, true],
    [256, true],
    [257, false],
  ])("a password of %i characters is accepted: %s", async (length, ok) => {
    const res = await call(server, "POST", "/v1/accounts", {
      json: { handle: uniqueHandle("pw"), password: "p".repeat(length) },
    });
    if (ok) expect(res.status).toBe(201);
    else expectProblem(res, 400, "validation_failed");
  });

  test("handles listed in OTO_ADMIN_HANDLES become admins", async () => {
    const res = await call(server, "POST", "/v1/accounts", { json: { handle: "root_admin", password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(res.body.account.role).toBe("admin");
  });

  test("the password is stored only as a salted scrypt hash, the key only as sha256", async () => {
    const a = await register(server);
    const b = await register(server);
    const rows = await server.app.db.query<{ id: string; password_hash: string }>(
      "SELECT id, password_hash FROM accounts WHERE id = ANY($1)",
      [[a.accountId, b.accountId]],
    );
    const hashes = rows.map((r) => r.password_hash);
    for (const hash of hashes) {
      expect(hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(hash).not.toContain(PASSWORD);
    }
    expect(hashes[0]).not.toBe(hashes[1]); // same password, different salts

    const keys = await server.app.db.query<Record<string, unknown>>("SELECT * FROM api_keys WHERE id = $1", [a.keyId]);
    const stored = JSON.stringify(keys[0]);
    expect(stored).not.toContain(a.apiKey.slice(13));
    expect(keys[0]!.secret_hash).toBe(createHash("sha256").update(a.apiKey).digest("hex"));
  });
});

describe("login", () => {
  test("issues a new key named after key_name (or 'login')", async () => {
    const account = await register(server);
    const named = await call(server, "POST", "/v1/auth/login", {
      json: { handle: account.handle, password: PASSWORD, key_name: "laptop" },
    });
    expect(named.status).toBe(200);
    expect(named.body.account.id).toBe(account.accountId);
    expect(named.body.api_key.name).toBe("laptop");
    expect(named.body.api_key.secret).not.toBe(account.apiKey);
    const unnamed = await call(server, "POST", "/v1/auth/login", { json: { handle: account.handle, password: PASSWORD } });
    expect(unnamed.body.api_key.name).toBe("login");
    const me = await call(server, "GET", "/v1/me", { apiKey: unnamed.body.api_key.secret });
    expect(me.body.id).toBe(account.accountId);
  });

  test("the handle is matched without regard to case", async () => {
    const account = await register(server);
    const res = await call(server, "POST", "/v1/auth/login", {
      json: { handle: account.handle.toUpperCase(), password: PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body.account.handle).toBe(account.handle);
  });

  test("a wrong password and an unknown handle get the same answer, nothing written", async () => {
    const account = await register(server);
    const before = await rowCounts(server);
    const wrong = await call(server, "POST", "/v1/auth/login", { json: { handle: account.handle, password: "not it at all" } });
    const unknown = await call(server, "POST", "/v1/auth/login", { json: { handle: uniqueHandle("ghost"), password: PASSWORD } });
    expectProblem(wrong, 401, "invalid_credentials");
    expectProblem(unknown, 401, "invalid_credentials");
    const strip = ({ request_id: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(await rowCounts(server)).toEqual(before);
  });

  test("an unknown handle takes about as long as a wrong password (a hash is checked either way)", async () => {
    const account = await register(server);
    const time = async (handle: string) => {
      const start = performance.now();
      await call(server, "POST", "/v1/auth/login", { json: { handle, password: "not the password" } });
      return performance.now() - start;
    };
    await time(account.handle); // warm-up (the dummy hash is made on first use)
    await time("nobody_at_all");
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
      known.push(await time(account.handle));
      unknown.push(await time(uniqueHandle("nobody")));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe("me", () => {
  test("answers the key's account", async () => {
    const account = await register(server);
    const res = await call(server, "GET", "/v1/me", { apiKey: account.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: account.accountId,
      handle: account.handle,
      display_name: account.handle,
      role: "user",
      home: { index: expect.any(Number), x: expect.any(Number), y: expect.any(Number) },
      created_at: expect.any(String),
    });
  });

  test("accepts the Bearer scheme in any case", async () => {
    const account = await register(server);
    const res = await call(server, "GET", "/v1/me", { headers: { authorization: `bearer ${account.apiKey}` } });
    expect(res.status).toBe(200);
  });
});
