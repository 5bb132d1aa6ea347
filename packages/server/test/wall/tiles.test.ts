import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Db } from "../../src/db/types.js";
import { LiveWallIndex } from "../../src/wall/index/live.js";
import { ALL_KINDS, kindsMask } from "../../src/wall/index/scheme.js";
import { TileCache } from "../../src/wall/tiles/cache.js";
import { WallTiles } from "../../src/wall/tiles/service.js";
import { addAccount, agentId, creationId, openWallDb, place, remove, string } from "./index-fixture.js";

describe("tile cache", () => {
  test("evicts the least recently used past its byte budget and drops an entry whose version moved", () => {
    const cache = new TileCache(10);
    cache.set("a", { version: 1, etag: "a", body: Buffer.from("aaaa") });
    cache.set("b", { version: 1, etag: "b", body: Buffer.from("bbbb") });
    expect(cache.get("a", 1)?.body.toString()).toBe("aaaa"); // a is now the most recent
    cache.set("c", { version: 1, etag: "c", body: Buffer.from("cccc") }); // 12 bytes > 10: b goes
    expect(cache.get("b", 1)).toBeUndefined();
    expect(cache.get("a", 1)).toBeDefined();
    expect(cache.get("c", 2)).toBeUndefined(); // stale
    expect(cache.get("c", 1)).toBeUndefined(); // and gone
    const off = new TileCache(0);
    off.set("a", { version: 1, etag: "a", body: Buffer.from("a") });
    expect(off.get("a", 1)).toBeUndefined();
  });
});

describe("wall tiles from a live index", () => {
  let db: Db;
  let account: string;
  let live: LiveWallIndex;
  let tiles: WallTiles;
  let uncached: WallTiles;
  const base = "http://wall.test";
  const etagOf = async (key: string, mask = ALL_KINDS, from = tiles) => {
    const [z, x, y] = key.split("/").map(Number) as [number, number, number];
    return (await from.tile({ z, x, y }, mask, base)).etag;
  };
  const bodyOf = async (key: string, mask = ALL_KINDS, from = tiles) => {
    const [z, x, y] = key.split("/").map(Number) as [number, number, number];
    return JSON.parse((await from.tile({ z, x, y }, mask, base)).body.toString());
  };

  beforeAll(async () => {
    db = await openWallDb();
    account = await addAccount(db);
    live = new LiveWallIndex(db, undefined, { pollMs: 0 });
    await live.start();
    tiles = new WallTiles(db, live, { cacheBytes: 1 << 20 });
    uncached = new WallTiles(db, live, { cacheBytes: 0 });
  });
  afterAll(async () => {
    await db.close();
  });

  test("a hot tile is served from the cache; a string between two tiles changes both, a third keeps its ETag", async () => {
    await place(db, account, { id: agentId(1), type: "agent", kind: "image", x: 240, y: 240 }); // tile 12/0/0
    await place(db, account, { id: creationId(2), type: "creation", kind: "image", x: 3840 + 240, y: 240 }); // 12/1/0
    await place(db, account, { id: creationId(3), type: "creation", kind: "text", x: -240, y: 240 }); // 12/-1/0
    const a = await tiles.tile({ z: 12, x: 0, y: 0 }, ALL_KINDS, base);
    expect(await tiles.tile({ z: 12, x: 0, y: 0 }, ALL_KINDS, base)).toBe(a); // the very same cached entry
    const before = { a: await etagOf("12/0/0"), b: await etagOf("12/1/0"), c: await etagOf("12/-1/0"), top: await etagOf("0/0/0") };
    await string(db, "made_with", agentId(1), creationId(2));
    const after = { a: await etagOf("12/0/0"), b: await etagOf("12/1/0"), c: await etagOf("12/-1/0"), top: await etagOf("0/0/0") };
    expect(after.a).not.toBe(before.a);
    expect(after.b).not.toBe(before.b);
    expect(after.top).not.toBe(before.top);
    expect(after.c).toBe(before.c);
    // Both tiles list the string, with the far end's position.
    const expected = { id: `made:${creationId(2)}:${agentId(1)}`, type: "made_with", from: { id: agentId(1), x: 240, y: 240 }, to: { id: creationId(2), x: 4080, y: 240 }, colour: "#8d6e63" };
    expect((await bodyOf("12/0/0")).strings).toEqual([expected]);
    expect((await bodyOf("12/1/0")).strings).toEqual([expected]);
    expect((await bodyOf("12/0/0")).postits[0]).toMatchObject({ id: agentId(1), type: "agent", forks: 1, string_colour: "#d4a017", thumbnail_url: null });
    // Without a cache the answer is the same.
    expect(await bodyOf("12/0/0", ALL_KINDS, uncached)).toEqual(await bodyOf("12/0/0"));
    expect(await bodyOf("0/0/0", ALL_KINDS, uncached)).toEqual(await bodyOf("0/0/0"));
  });

  test("a string is served only while both ends are on the wall and of a kept kind", async () => {
    expect((await bodyOf("12/0/0", kindsMask(["image"]))).strings).toHaveLength(1);
    expect((await bodyOf("12/0/0", kindsMask(["text", "voice"]))).postits).toEqual([]);
    const etag = await etagOf("12/0/0");
    await remove(db, creationId(2));
    expect(await etagOf("12/0/0")).not.toBe(etag); // the far end went: the agent's tile changed too
    const agentTile = await bodyOf("12/0/0");
    expect(agentTile.strings).toEqual([]);
    expect(agentTile.postits[0].forks).toBe(0);
  });

  test("aggregate highlights: golden agents first, then the most forked creations, with titles", async () => {
    await place(db, account, { id: creationId(10), type: "creation", kind: "video", x: 480, y: 480 });
    await place(db, account, { id: creationId(11), type: "creation", kind: "video", x: 720, y: 480 });
    await place(db, account, { id: creationId(12), type: "creation", kind: "video", x: 960, y: 480 });
    await string(db, "forked_from", creationId(10), creationId(11));
    await string(db, "forked_from", creationId(10), creationId(12));
    await string(db, "forked_from", creationId(11), creationId(12));
    const top = await bodyOf("8/0/0");
    expect(top.highlights.map((h: { id: string }) => h.id)).toEqual([agentId(1), creationId(10), creationId(11)]);
    expect(top.highlights[1]).toMatchObject({ type: "creation", kind: "video", forks: 2, title: `Creation ${creationId(10).slice(-4)}`, x: 480, y: 480 });
    expect(top.cells).toEqual([{ cx: 0, cy: 0, count: 4, agents: 1, kinds: { text: 0, image: 1, voice: 0, video: 3 } }]);
    const fine = await bodyOf("11/0/0"); // cells of 480 units: the agent at 240; 480 and 720 share one, 960 has the next
    expect(fine.cells.map((c: { cx: number; cy: number; count: number }) => [c.cx, c.cy, c.count])).toEqual([[0, 0, 1], [1, 1, 2], [2, 1, 1]]);
  });
});
