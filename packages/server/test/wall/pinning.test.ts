import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { insertAgent } from "../../src/agents/store.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { AGENT_COLOURS, CREATION_COLOURS } from "../../src/wall/placement/index.js";
import { backfillWall } from "../../src/wall/pinning.js";
import { call, register } from "../helpers.js";
import {
  SLOT,
  changesFor,
  draft,
  homeOf,
  key,
  makeAgent,
  publish,
  ringAround,
  unpublish,
  wallRows,
} from "./pinning-support.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

describe("agents", () => {
  test("a new agent gets a golden post-it near its owner's home, never on the home slot itself", async () => {
    const owner = await register(server);
    const home = await homeOf(server, owner.apiKey);
    const agent = await makeAgent(server, owner.apiKey, { kind: "image" });
    expect(agent.placement).toEqual({ x: expect.any(Number), y: expect.any(Number), rotation: expect.any(Number), colour: expect.any(String) });
    expect(AGENT_COLOURS).toContain(agent.placement.colour);
    expect(Math.abs(agent.placement.rotation)).toBeLessThanOrEqual(4);
    expect(ringAround(home, agent.placement)).toBe(1);

    const [row] = await server.app.db.query<any>("SELECT type, kind, account_id, home_index FROM wall_postits WHERE id = $1", [agent.id]);
    expect(row).toEqual({ type: "agent", kind: "image", account_id: owner.accountId, home_index: home.index });
    expect(await changesFor(server, agent.id)).toEqual(["place"]);

    // Every view of the agent shows the same placement: get, list, update, archive.
    expect((await call(server, "GET", `/v1/agents/${agent.id}`)).body.placement).toEqual(agent.placement);
    const listed = await call(server, "GET", `/v1/agents?owner=me`, { apiKey: owner.apiKey });
    expect(listed.body.data.find((a: any) => a.id === agent.id).placement).toEqual(agent.placement);
    const updated = await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: owner.apiKey, json: { name: "renamed" } });
    expect(updated.body.placement).toEqual(agent.placement);
    expect(await changesFor(server, agent.id)).toEqual(["place", "touch"]);
    const archived = await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: owner.apiKey });
    expect(archived.status).toBe(200);
    // Archived agents stay pinned: their creations still hang from them.
    expect(archived.body.placement).toEqual(agent.placement);
    expect(await changesFor(server, agent.id)).toEqual(["place", "touch", "touch"]);
    await wallRows(server);
  });

  test("a failed agent creation pins nothing", async () => {
    const owner = await register(server);
    const before = (await wallRows(server)).length;
    const res = await call(server, "POST", "/v1/agents", { apiKey: owner.apiKey, json: { name: " ", kind: "text" } });
    expect(res.status).toBe(400);
    expect((await wallRows(server)).length).toBe(before);
  });
});

describe("creations", () => {
  test("the first published creation lands on the home slot, later ones in rings around it", async () => {
    const owner = await register(server);
    const home = await homeOf(server, owner.apiKey);
    const agent = await makeAgent(server, owner.apiKey);
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await draft(server, owner.accountId, { agentIds: [agent.id], prompt: `note ${i}` }));

    const drafted = await call(server, "GET", `/v1/creations/${ids[0]}`, { apiKey: owner.apiKey });
    expect(drafted.body.placement).toBeNull();

    const placed = [];
    for (const id of ids) placed.push((await publish(server, owner.apiKey, id)).placement);
    expect(placed[0]).toMatchObject({ x: home.x, y: home.y });
    for (const p of placed) expect(CREATION_COLOURS).toContain(p.colour);
    // Ring 1 has 8 slots reserved for this account, one taken by the agent: 7 creations fill it, the rest go to ring 2.
    expect(placed.slice(1, 8).every((p) => ringAround(home, p) === 1)).toBe(true);
    expect(placed.slice(8).every((p) => ringAround(home, p) === 2)).toBe(true);
    const all = [...placed, agent.placement];
    expect(new Set(all.map(key)).size).toBe(all.length);

    // Reads and lists show the stored placement.
    const listed = await call(server, "GET", "/v1/creations?limit=100", { apiKey: owner.apiKey });
    for (const c of listed.body.data) expect(c.placement).toEqual(placed[ids.indexOf(c.id)]);
    expect((await call(server, "GET", `/v1/creations/${ids[3]}`)).body.placement).toEqual(placed[3]);
    await wallRows(server);
  });

  test("publishing twice changes nothing", async () => {
    const owner = await register(server);
    const id = await draft(server, owner.accountId);
    const first = await publish(server, owner.apiKey, id);
    const changes = await server.app.db.query("SELECT seq FROM wall_changes");
    const again = await publish(server, owner.apiKey, id);
    expect(again).toEqual(first);
    expect(await server.app.db.query("SELECT seq FROM wall_changes")).toEqual(changes);
  });

  test("someone else's creation cannot be published or unpublished, and nothing is pinned", async () => {
    const owner = await register(server);
    const other = await register(server);
    const id = await draft(server, owner.accountId);
    expect((await call(server, "POST", `/v1/creations/${id}/publish`, { apiKey: other.apiKey })).status).toBe(404);
    expect(await changesFor(server, id)).toEqual([]);
    await publish(server, owner.apiKey, id);
    expect((await call(server, "POST", `/v1/creations/${id}/unpublish`, { apiKey: other.apiKey })).status).toBe(404);
    expect(await changesFor(server, id)).toEqual(["place"]);
  });

  test("unpublishing frees the spot, and the next publish reuses it", async () => {
    const owner = await register(server);
    const home = await homeOf(server, owner.apiKey);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await draft(server, owner.accountId));
    const placed = [];
    for (const id of ids.slice(0, 3)) placed.push((await publish(server, owner.apiKey, id)).placement);
    expect(placed[0]).toMatchObject({ x: home.x, y: home.y });

    const off = await unpublish(server, owner.apiKey, ids[0]!);
    expect(off.placement).toBeNull();
    expect(await server.app.db.query("SELECT id FROM wall_postits WHERE id = $1", [ids[0]])).toEqual([]);
    expect(await changesFor(server, ids[0]!)).toEqual(["place", "remove"]);
    expect(server.app.wall.idAt(home.x, home.y)).toBeUndefined();
    // Unpublishing a draft again changes nothing.
    await unpublish(server, owner.apiKey, ids[0]!);
    expect(await changesFor(server, ids[0]!)).toEqual(["place", "remove"]);

    const next = await publish(server, owner.apiKey, ids[3]!);
    expect(next.placement).toMatchObject({ x: home.x, y: home.y });
    // Published again, the first one gets a new spot (positions are never recomputed, only handed out).
    const back = await publish(server, owner.apiKey, ids[0]!);
    expect(ringAround(home, back.placement)).toBe(1);
    await wallRows(server);
  });

  test("a wall transaction that fails after placing leaves the state as it was", async () => {
    const owner = await register(server);
    const home = await homeOf(server, owner.apiKey);
    const before = await wallRows(server);
    const failed = server.app.wall.transaction(async (w) => {
      const { placement } = await w.pin({ id: "cr_00000000000000000000000000", type: "creation", accountId: owner.accountId, homeIndex: home.index, kind: "text" });
      expect(placement).toMatchObject({ x: home.x, y: home.y });
      expect(server.app.wall.idAt(home.x, home.y)).toBe("cr_00000000000000000000000000");
      throw new Error("the caller's own change failed");
    });
    await expect(failed).rejects.toThrow("the caller's own change failed");
    expect(server.app.wall.idAt(home.x, home.y)).toBeUndefined();
    expect(await wallRows(server)).toEqual(before);
    expect(await changesFor(server, "cr_00000000000000000000000000")).toEqual([]);

    // The next placement is still valid: the home slot, which the failed one had taken for a moment.
    const id = await draft(server, owner.accountId);
    expect((await publish(server, owner.apiKey, id)).placement).toMatchObject({ x: home.x, y: home.y });
    await wallRows(server);
  });

  test("a failing unpublish puts the post-it back in the state", async () => {
    const owner = await register(server);
    const id = await draft(server, owner.accountId);
    const { placement } = await publish(server, owner.apiKey, id);
    const failed = server.app.wall.transaction(async (w) => {
      await w.unpin(id);
      expect(server.app.wall.idAt(placement.x, placement.y)).toBeUndefined();
      throw new Error("rolled back");
    });
    await expect(failed).rejects.toThrow("rolled back");
    expect(server.app.wall.idAt(placement.x, placement.y)).toBe(id);
    await wallRows(server);
  });

  test("a spot taken by a row written without the wall lock is detected by the unique index, and the pin goes elsewhere", async () => {
    const owner = await register(server);
    const intruder = await register(server);
    const home = await homeOf(server, owner.apiKey);
    // Another writer (not going through the placer) took this account's home slot; this process never saw it.
    await server.app.db.query(
      `INSERT INTO wall_postits (id, type, account_id, home_index, kind, x, y, rotation, colour, placed_at)
       VALUES ('cr_intruder00000000000000000', 'creation', $1, 0, 'text', $2, $3, 0, '#fff59d', now())`,
      [intruder.accountId, home.x, home.y],
    );
    expect(server.app.wall.idAt(home.x, home.y)).toBeUndefined();
    const rebuilds = server.app.wall.rebuilds;
    const id = await draft(server, owner.accountId);
    const { placement } = await publish(server, owner.apiKey, id);
    expect(key(placement)).not.toBe(key(home));
    expect(ringAround(home, placement)).toBe(1);
    expect(server.app.wall.rebuilds).toBe(rebuilds + 1);
    // The state was rebuilt from the database: it now knows the intruder too.
    expect(server.app.wall.idAt(home.x, home.y)).toBe("cr_intruder00000000000000000");
    await server.app.db.query("DELETE FROM wall_postits WHERE id = 'cr_intruder00000000000000000'");
    await server.app.db.transaction((tx) => server.app.wall.rebuild(tx));
    await wallRows(server);
  });
});

describe("the wall signal", () => {
  test("fires once after each committed wall change, never for a rollback or a no-op", async () => {
    const owner = await register(server);
    const id = await draft(server, owner.accountId);
    let fired = 0;
    const off = server.app.wallSignal.on(() => fired++);
    try {
      await publish(server, owner.apiKey, id);
      expect(fired).toBe(1);
      await publish(server, owner.apiKey, id);
      expect(fired).toBe(1);
      await expect(
        server.app.wall.transaction(async (w) => {
          await w.unpin(id);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow();
      expect(fired).toBe(1);
      await unpublish(server, owner.apiKey, id);
      expect(fired).toBe(2);
    } finally {
      off();
    }
  });
});

describe("start-up backfill", () => {
  test("pins active agents and published creations that have no post-it, once", async () => {
    const owner = await register(server);
    const home = await homeOf(server, owner.apiKey);
    // As an older server left them: an agent and a published creation, nothing on the wall.
    const old = await server.app.db.transaction((tx) =>
      insertAgent(tx, {
        accountId: owner.accountId,
        name: "old agent",
        description: "",
        kind: "text",
        provider: { type: "local" },
        promptTemplate: "{{prompt}}",
        defaultParameters: {},
        color: "#aa3355",
        costTokens: 1,
      }),
    );
    const archived = await server.app.db.transaction(async (tx) => {
      const row = await insertAgent(tx, { ...old, accountId: owner.accountId, name: "gone", promptTemplate: "{{prompt}}", defaultParameters: {}, costTokens: 1 });
      await tx.query("UPDATE agents SET archived_at = now() WHERE id = $1", [row.id]);
      return row;
    });
    const idle = await server.app.db.transaction(async (tx) => {
      const row = await insertAgent(tx, { ...old, accountId: owner.accountId, name: "idle", promptTemplate: "{{prompt}}", defaultParameters: {}, costTokens: 1 });
      await tx.query("UPDATE agents SET archived_at = now() WHERE id = $1", [row.id]);
      return row;
    });
    const id = await draft(server, owner.accountId, { agentIds: [archived.id] });
    await server.app.db.query("UPDATE creations SET state = 'published', published_at = now() WHERE id = $1", [id]);
    expect((await call(server, "GET", `/v1/agents/${old.id}`)).body.placement).toBeNull();

    expect(await backfillWall(server.app.wall)).toEqual({ agents: 1, creations: 1 });
    const creation = (await call(server, "GET", `/v1/creations/${id}`)).body;
    expect(creation.placement).toMatchObject({ x: home.x, y: home.y });
    expect((await call(server, "GET", `/v1/agents/${old.id}`)).body.placement).not.toBeNull();
    // The archived agent the creation was made with is pinned too (its string needs an end); an idle archived one is not.
    expect((await call(server, "GET", `/v1/agents/${archived.id}`)).body.placement).not.toBeNull();
    expect((await call(server, "GET", `/v1/agents/${idle.id}`)).body.placement).toBeNull();
    expect(await server.app.db.query("SELECT type, from_id FROM wall_strings WHERE to_id = $1", [id])).toEqual([
      { type: "made_with", from_id: archived.id },
    ]);

    const changes = await server.app.db.query("SELECT seq FROM wall_changes");
    expect(await backfillWall(server.app.wall)).toEqual({ agents: 0, creations: 0 });
    expect(await server.app.db.query("SELECT seq FROM wall_changes")).toEqual(changes);
    await wallRows(server);
  });

  test("the slots stay one slot apart: no two post-its overlap anywhere on this wall", async () => {
    const rows = await wallRows(server);
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(Number.isInteger(row.x / SLOT) && Number.isInteger(row.y / SLOT), key(row)).toBe(true);
    }
  });
});
