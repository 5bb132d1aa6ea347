import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { homeCell } from "../../src/wall/placement/index.js";
import { PASSWORD, call, register, uniqueHandle } from "../helpers.js";
import { draft, homeOf, key, makeAgent, publish, ringAround, wallRows } from "./pinning-support.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

describe("concurrent sign-ups and publishes", () => {
  test("20 concurrent registrations get 20 distinct homes, together a run of the spiral", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call(server, "POST", "/v1/accounts", { json: { handle: uniqueHandle("rush"), password: PASSWORD } })),
    );
    const homes = results.map((res) => {
      expect(res.status, res.text).toBe(201);
      return res.body.account.home;
    });
    const indexes = homes.map((h) => h.index).sort((a, b) => a - b);
    expect(new Set(indexes).size).toBe(20);
    expect(indexes[19]! - indexes[0]!).toBe(19);
    for (const home of homes) expect(home).toEqual({ index: home.index, ...homeCell(home.index) });
  });

  test("30 concurrent publishes by 5 accounts never collide and all land", async () => {
    const accounts = await Promise.all(Array.from({ length: 5 }, () => register(server)));
    const work = [];
    for (const account of accounts) {
      const agent = await makeAgent(server, account.apiKey);
      for (let i = 0; i < 6; i++) work.push({ account, id: await draft(server, account.accountId, { agentIds: [agent.id] }) });
    }
    const published = await Promise.all(work.map(({ account, id }) => publish(server, account.apiKey, id)));
    const spots = published.map((c) => c.placement);
    expect(spots.every((p) => p !== null)).toBe(true);
    expect(new Set(spots.map(key)).size).toBe(30);
    for (const account of accounts) {
      const home = await homeOf(server, account.apiKey);
      const mine = published.filter((c) => c.author.id === account.accountId).map((c) => c.placement);
      // Whichever publish won the race took the home slot; the others are in ring 1 (8 slots, 1 holds the agent).
      expect(mine.filter((p) => key(p) === key(home))).toHaveLength(1);
      expect(mine.filter((p) => ringAround(home, p) === 1)).toHaveLength(5);
    }
    const rows = await wallRows(server);
    expect(rows.filter((r) => r.type === "creation")).toHaveLength(30);
    expect(await server.app.db.query("SELECT count(*)::int AS n FROM wall_strings WHERE type = 'made_with'")).toEqual([{ n: 30 }]);
  });

  test("concurrent publish and unpublish of the same creations leave the wall and the state in step", async () => {
    const account = await register(server);
    const ids = await Promise.all(Array.from({ length: 8 }, () => draft(server, account.accountId)));
    await Promise.all(ids.map((id) => publish(server, account.apiKey, id)));
    await Promise.all(
      ids.flatMap((id, i) => [
        call(server, "POST", `/v1/creations/${id}/${i % 2 === 0 ? "unpublish" : "publish"}`, { apiKey: account.apiKey }),
        call(server, "POST", `/v1/creations/${id}/publish`, { apiKey: account.apiKey }),
      ]),
    );
    const rows = await wallRows(server);
    const states = await server.app.db.query<{ id: string; state: string }>("SELECT id, state FROM creations WHERE id = ANY($1)", [ids]);
    for (const { id, state } of states) expect(rows.some((r) => r.id === id), id).toBe(state === "published");
  });
});

// Two server processes' worth of state (two apps, two placement states) on one PostgreSQL database.
describe.skipIf(!process.env.OTO_TEST_DATABASE_URL)("two servers sharing one PostgreSQL database", () => {
  let second: RunningServer;
  beforeAll(async () => {
    const url = server.app.otoConfig.databaseUrl;
    if (!url) throw new Error("the first test server has no database URL");
    second = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", databaseUrl: url });
  });
  afterAll(async () => {
    await second?.close();
  });

  test("publishing through both at once never collides; each catches up with the other's post-its", async () => {
    const accounts = await Promise.all(Array.from({ length: 4 }, (_, i) => register(i % 2 === 0 ? server : second)));
    const work = [];
    for (const account of accounts) {
      for (let i = 0; i < 10; i++) work.push({ account, id: await draft(server, account.accountId) });
    }
    const published = await Promise.all(
      work.map(({ account, id }, i) => publish(i % 2 === 0 ? server : second, account.apiKey, id)),
    );
    const spots = published.map((c) => c.placement);
    expect(new Set(spots.map(key)).size).toBe(40);
    // Each process caught up from wall_changes under the lock: no clash had to be caught by the unique index.
    expect([server.app.wall.rebuilds, second.app.wall.rebuilds]).toEqual([1, 1]);
    for (const account of accounts) {
      const home = await homeOf(server, account.apiKey);
      const mine = published.filter((c) => c.author.id === account.accountId).map((c) => c.placement);
      expect(mine.filter((p) => key(p) === key(home))).toHaveLength(1);
    }
    // Unpublish through one, publish through the other: the freed spot is seen and reused.
    const account = accounts[0]!;
    const home = await homeOf(server, account.apiKey);
    const atHome = published.find((c) => key(c.placement) === key(home))!;
    expect((await call(second, "POST", `/v1/creations/${atHome.id}/unpublish`, { apiKey: account.apiKey })).status).toBe(200);
    const next = await draft(server, account.accountId);
    expect((await publish(server, account.apiKey, next)).placement).toMatchObject({ x: home.x, y: home.y });

    // Right after a wall transaction of its own, each state equals the database.
    const extra = await register(second);
    await makeAgent(server, extra.apiKey);
    await wallRows(server);
    await makeAgent(second, extra.apiKey);
    await wallRows(second);
  });
});
