import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Db } from "../../src/db/types.js";
import { LiveWallIndex } from "../../src/wall/index/live.js";
import { ALL_KINDS, AGENT_BIT, ITEMS_ZOOM, codeKept, tileSize } from "../../src/wall/index/scheme.js";
import { type IndexedPostIt, MAX_HIGHLIGHTS, WallIndex } from "../../src/wall/index/spatialIndex.js";
import { WallSignal } from "../../src/wall/signal.js";
import { KINDS, addAccount, agentId, creationId, openWallDb, place, remove, string } from "./index-fixture.js";

const SLOT = 240;

/** What an index holds, comparable across two instances (versions aside). */
const contents = (index: WallIndex) => index.all().map((p) => ({ ...p }));

function scanAggregate(all: IndexedPostIt[], z: number, x: number, y: number, mask: number) {
  const size = tileSize(z);
  const cell = size / 16;
  const counts = new Int32Array(256 * 8);
  const inside = all.filter((p) => Math.floor(p.x / size) === x && Math.floor(p.y / size) === y && codeKept(p.code, mask));
  for (const p of inside) counts[(Math.floor((p.y - y * size) / cell) * 16 + Math.floor((p.x - x * size) / cell)) * 8 + p.code]!++;
  const highlights = inside
    .filter((p) => (p.code & AGENT_BIT) !== 0 || p.forks > 0)
    .sort((a, b) => (b.code & AGENT_BIT) - (a.code & AGENT_BIT) || ((a.code & AGENT_BIT) === 0 ? b.forks - a.forks : 0) || a.seq - b.seq)
    .slice(0, MAX_HIGHLIGHTS)
    .map((p) => p.seq);
  return { total: inside.length, counts: [...counts], highlights };
}

/** Every occupied tile at every aggregate zoom: the index's answer equals a scan of its post-its. */
function expectAggregatesMatchScan(index: WallIndex, mask: number) {
  const all = index.all();
  for (let z = 0; z < ITEMS_ZOOM; z++) {
    const tiles = new Set(all.map((p) => `${Math.floor(p.x / tileSize(z))},${Math.floor(p.y / tileSize(z))}`));
    for (const t of tiles) {
      const [x, y] = t.split(",").map(Number) as [number, number];
      const got = index.aggregate(z, x, y, mask);
      expect({ total: got.total, counts: [...got.counts], highlights: got.highlights.map((h) => h.seq) }, `${z}/${x}/${y} kinds ${mask}`).toEqual(
        scanAggregate(all, z, x, y, mask),
      );
    }
  }
}

type Op =
  | { op: "place"; type: "creation" | "agent"; kind: number; sx: number; sy: number }
  | { op: "remove"; pick: number }
  | { op: "replace"; pick: number; sx: number; sy: number }
  | { op: "string"; a: number; b: number }
  | { op: "catchUp" };

const slot = fc.integer({ min: -24, max: 24 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("place" as const), type: fc.constantFrom("creation" as const, "agent" as const), kind: fc.integer({ min: 0, max: 3 }), sx: slot, sy: slot }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("replace" as const), pick: fc.nat(), sx: slot, sy: slot }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("string" as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("catchUp" as const) }) },
);

describe("the wall index", () => {
  let db: Db;
  let account: string;
  let serial = 0;

  beforeAll(async () => {
    db = await openWallDb();
    account = await addAccount(db);
  });
  afterAll(async () => {
    await db.close();
  });

  test("kept in step incrementally, it equals one rebuilt from scratch after any place/remove sequence", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        await db.exec("DELETE FROM wall_postits; DELETE FROM wall_strings; DELETE FROM wall_changes; DELETE FROM creations; DELETE FROM agents");
        const signal = new WallSignal();
        // This process's index (hears the signal) and another process's (only polls the change log).
        const live = new LiveWallIndex(db, signal, { pollMs: 60_000 });
        const other = new LiveWallIndex(db, undefined, { pollMs: 0 });
        await live.start();
        await other.start();
        const onWall = new Map<string, { sx: number; sy: number }>();
        const offWall: { id: string; type: "creation" | "agent"; kind: number }[] = [];
        const taken = () => new Set([...onWall.values()].map((p) => `${p.sx},${p.sy}`));
        const kinds = new Map<string, { type: "creation" | "agent"; kind: number }>();
        for (const op of ops) {
          const live_ids = [...onWall.keys()];
          if (op.op === "place" || op.op === "replace") {
            if (taken().has(`${op.sx},${op.sy}`)) continue;
            let id: string;
            if (op.op === "replace") {
              if (offWall.length === 0) continue;
              id = offWall.splice(op.pick % offWall.length, 1)[0]!.id;
            } else {
              id = op.type === "agent" ? agentId(++serial) : creationId(++serial);
              kinds.set(id, { type: op.type, kind: op.kind });
            }
            const k = kinds.get(id)!;
            await place(db, account, { id, type: k.type, kind: KINDS[k.kind]!, x: op.sx * SLOT, y: op.sy * SLOT });
            onWall.set(id, { sx: op.sx, sy: op.sy });
          } else if (op.op === "remove") {
            if (live_ids.length === 0) continue;
            const id = live_ids[op.pick % live_ids.length]!;
            await remove(db, id);
            onWall.delete(id);
            offWall.push({ id, ...kinds.get(id)! });
          } else if (op.op === "string") {
            if (live_ids.length < 2) continue;
            const from = live_ids[op.a % live_ids.length]!;
            const to = live_ids[op.b % live_ids.length]!;
            if (from === to || kinds.get(to)!.type !== "creation") continue;
            await string(db, kinds.get(from)!.type === "agent" ? "made_with" : "forked_from", from, to);
          } else {
            signal.changed();
          }
        }
        signal.changed();
        await live.catchUp();
        const fresh = new LiveWallIndex(db);
        await fresh.start();
        expect(contents(live.index)).toEqual(contents(fresh.index));
        expect(contents(await other.current())).toEqual(contents(fresh.index));
        expect(live.index.size).toBe(onWall.size);
        expect(live.index.version).toBe(fresh.index.version);
        expect(live.index.centres()).toEqual(fresh.index.centres());
        expectAggregatesMatchScan(live.index, ALL_KINDS);
        expectAggregatesMatchScan(live.index, 0b0101);
        live.close();
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  test("a change bumps the version of its tile and of every tile above it, and of no other", async () => {
    await db.exec("DELETE FROM wall_postits; DELETE FROM wall_strings; DELETE FROM wall_changes");
    const live = new LiveWallIndex(db, undefined, { pollMs: 0 });
    await live.start();
    await place(db, account, { id: creationId(++serial), type: "creation", kind: "text", x: 0, y: 0 });
    const index = await live.current();
    const v = index.version;
    expect(v).toBeGreaterThan(0);
    expect(index.tileVersion(12, 0, 0)).toBe(v);
    expect(index.tileVersion(0, 0, 0)).toBe(v);
    await place(db, account, { id: creationId(++serial), type: "creation", kind: "text", x: -SLOT, y: 0 });
    await live.current();
    expect(index.tileVersion(12, -1, 0)).toBe(index.version);
    expect(index.tileVersion(12, 0, 0)).toBe(v); // the neighbour tile did not change
    expect(index.tileVersion(11, -1, 0)).toBe(index.version);
    expect(index.tileVersion(11, 0, 0)).toBe(v);
    expect(index.tileVersion(0, -1, 0)).toBe(index.version);
  });

  test("a removal names only the id; a post-it sharing the id's hash bucket is not taken off with it", () => {
    const index = new WallIndex();
    index.insert({ seq: 1, x: 0, y: 0, code: 0, hash: 42, forks: 0 });
    index.insert({ seq: 2, x: 240, y: 0, code: 5, hash: 42, forks: 3 });
    expect(index.withHashes(new Set([42])).map((p) => p.seq)).toEqual([1, 2]);
    expect(index.insert({ seq: 1, x: 0, y: 0, code: 0, hash: 42, forks: 0 })).toBe(false); // seen twice
    expect(index.remove(0, 0, 1)).toBe(true);
    expect(index.all().map((p) => p.seq)).toEqual([2]);
    expect(index.typeCounts()).toEqual({ agents: 1, creations: 0 });
    expect(index.centres()).toEqual({ minX: 240, minY: 0, maxX: 240, maxY: 0 });
  });
});
