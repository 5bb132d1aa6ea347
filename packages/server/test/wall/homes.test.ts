import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate, readMigrations } from "../../src/db/migrations.js";
import { openPglite } from "../../src/db/pglite.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { homeCell } from "../../src/wall/placement/index.js";
import { PASSWORD, call, expectProblem, register, uniqueHandle } from "../helpers.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

describe("homes", () => {
  test("sign-ups get consecutive homes along the spiral, the first one at the centre", async () => {
    const homes = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(server, "POST", "/v1/accounts", { json: { handle: uniqueHandle("home"), password: PASSWORD } });
      expect(res.status, res.text).toBe(201);
      homes.push(res.body.account.home);
    }
    // A fresh database: the first account of this file is home 0, at the centre of the wall.
    expect(homes[0]).toEqual({ index: 0, x: 0, y: 0 });
    homes.forEach((home, i) => expect(home).toEqual({ index: i, ...homeCell(i) }));
    // Ring 1 of the spiral: the eight cells around the centre, one cell (2,640 units) away.
    expect(homes.slice(1).every((h) => Math.max(Math.abs(h.x), Math.abs(h.y)) === 2640)).toBe(true);
  });

  test("login and me show the same home as the sign-up", async () => {
    const res = await call(server, "POST", "/v1/accounts", { json: { handle: uniqueHandle("same"), password: PASSWORD } });
    const home = res.body.account.home;
    expect(home).toEqual({ index: home.index, ...homeCell(home.index) });
    const login = await call(server, "POST", "/v1/auth/login", { json: { handle: res.body.account.handle, password: PASSWORD } });
    expect(login.body.account.home).toEqual(home);
    const me = await call(server, "GET", "/v1/me", { apiKey: login.body.api_key.secret });
    expect(me.body.home).toEqual(home);
  });

  test("a taken handle does not use up a home", async () => {
    const first = await register(server);
    const firstHome = (await call(server, "GET", "/v1/me", { apiKey: first.apiKey })).body.home;
    expectProblem(await call(server, "POST", "/v1/accounts", { json: { handle: first.handle, password: PASSWORD } }), 409, "handle_taken");
    const next = await register(server);
    const nextHome = (await call(server, "GET", "/v1/me", { apiKey: next.apiKey })).body.home;
    expect(nextHome.index).toBe(firstHome.index + 1);
  });

  test("every account row has a distinct home", async () => {
    const rows = await server.app.db.query<{ n: number; distinct: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT home_index)::int AS distinct FROM accounts",
    );
    expect(rows[0]!.n).toBeGreaterThan(5);
    expect(rows[0]!.distinct).toBe(rows[0]!.n);
  });
});

describe("migration 0006", () => {
  test("gives existing accounts homes in sign-up order, and later sign-ups the next ones", async () => {
    const db = await openPglite("memory:");
    try {
      const all = readMigrations();
      const wall = all.findIndex((m) => m.name.includes("wall"));
      expect(wall).toBeGreaterThan(0);
      await migrate(db, all.slice(0, wall));
      // Ids out of sign-up order, so the order can only come from created_at.
      for (const [id, at] of [["acc_c", "2024-01-01"], ["acc_a", "2024-03-01"], ["acc_b", "2024-02-01"]]) {
        await db.query(
          `INSERT INTO accounts (id, handle, handle_lower, display_name, role, password_hash, created_at)
           VALUES ($1, $1, $1, $1, 'user', 'x', $2)`,
          [id, at],
        );
      }
      await migrate(db, all);
      const homes = await db.query("SELECT id, home_index FROM accounts ORDER BY home_index");
      expect(homes).toEqual([
        { id: "acc_c", home_index: 0 },
        { id: "acc_b", home_index: 1 },
        { id: "acc_a", home_index: 2 },
      ]);
      const [next] = await db.query(
        `INSERT INTO accounts (id, handle, handle_lower, display_name, role, password_hash, created_at)
         VALUES ('acc_d', 'acc_d', 'acc_d', 'd', 'user', 'x', now()) RETURNING home_index`,
      );
      expect(next).toEqual({ home_index: 3 });
    } finally {
      await db.close();
    }
  });
});
