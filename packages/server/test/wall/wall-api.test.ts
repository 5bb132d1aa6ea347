import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type Registered, call, expectProblem, register, uniqueHandle } from "../helpers.js";

// The wall through HTTP, fed by the real publish path: creating an agent pins its golden post-it, publishing a
// creation pins it with a string from its agent, unpublishing takes it off.
describe("the wall API", () => {
  let server: RunningServer;
  let ada: Registered;
  let agent: { id: string };
  const as = (who: Registered) => ({ apiKey: who.apiKey });

  async function makeCreation(prompt: string): Promise<string> {
    const job = await call(server, "POST", "/v1/generations", {
      ...as(ada),
      json: { agent_id: agent.id, prompt },
      headers: { prefer: "wait=30" },
    });
    expect(job.body.status, job.text).toBe("succeeded");
    return job.body.creation_id as string;
  }

  const publish = async (id: string) => expect((await call(server, "POST", `/v1/creations/${id}/publish`, as(ada))).status).toBe(200);
  const tileOf = async (id: string) => (await call(server, "GET", `/v1/wall/locate?creation=${id}`)).body.tile as string;

  beforeAll(async () => {
    server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1000", OTO_STARTER_TOKENS: "100" });
    ada = await register(server, uniqueHandle("ada"));
    const created = await call(server, "POST", "/v1/agents", {
      ...as(ada),
      json: { name: "Ink sketcher", kind: "image", prompt_template: "a sketch of {{prompt}}", cost_tokens: 1, default_parameters: { width: 64, height: 64 } },
    });
    expect(created.status, created.text).toBe(201);
    agent = created.body;
  }, 60_000);
  afterAll(async () => {
    await server.close(); // fails if any response broke the spec
  });

  test("publishing pins the creation: its items tile lists it with details and its string; unpublishing takes it off", async () => {
    const before = (await call(server, "GET", "/v1/wall")).body;
    const id = await makeCreation("a lighthouse");
    await publish(id);
    const wall = await call(server, "GET", "/v1/wall");
    expect(wall.status).toBe(200);
    expect(wall.headers.get("cache-control")).toBe("public, max-age=5, stale-while-revalidate=60");
    expect(wall.body.counts.creations).toBe(before.counts.creations + 1);
    expect(wall.body.counts.agents).toBeGreaterThanOrEqual(1);
    expect(wall.body.version).toBeGreaterThan(before.version);
    expect(wall.body.bounds).not.toBeNull();

    const key = await tileOf(id);
    const tile = await call(server, "GET", `/v1/wall/tiles/${key}`);
    expect(tile.status).toBe(200);
    expect(tile.body.type).toBe("items");
    expect(tile.headers.get("etag")).toBe(tile.body.etag);
    expect(tile.headers.get("etag")).toMatch(/^W\/"/);
    const postit = tile.body.postits.find((p: { id: string }) => p.id === id);
    expect(postit).toMatchObject({
      type: "creation",
      kind: "image",
      title: expect.any(String),
      author: { handle: ada.handle },
      thumbnail_url: `${server.url}/v1/creations/${id}/thumbnail`,
      forks: 0,
      string_colour: null,
      size: 200,
    });
    const made = tile.body.strings.find((s: { id: string }) => s.id === `made:${id}:${agent.id}`);
    expect(made).toMatchObject({ type: "made_with", from: { id: agent.id }, to: { id, x: postit.x, y: postit.y } });
    // The thumbnail link works.
    expect((await call(server, "GET", new URL(postit.thumbnail_url).pathname)).status).toBe(200);

    expect((await call(server, "POST", `/v1/creations/${id}/unpublish`, as(ada))).status).toBe(200);
    const after = await call(server, "GET", `/v1/wall/tiles/${key}`);
    expect(after.body.postits.map((p: { id: string }) => p.id)).not.toContain(id);
    expect(after.body.strings.map((s: { id: string }) => s.id)).not.toContain(`made:${id}:${agent.id}`);
    expect(after.headers.get("etag")).not.toBe(tile.headers.get("etag"));
    expectProblem(await call(server, "GET", `/v1/wall/locate?creation=${id}`), 404, "not_found");
  }, 60_000);

  test("ETag: 304 on If-None-Match; changes with the tile's content, not with other tiles'", async () => {
    const id = await makeCreation("a storm");
    await publish(id);
    const key = await tileOf(id);
    const first = await call(server, "GET", `/v1/wall/tiles/${key}`);
    const etag = first.headers.get("etag")!;
    const again = await call(server, "GET", `/v1/wall/tiles/${key}`);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.text).toBe(first.text);
    const notModified = await call(server, "GET", `/v1/wall/tiles/${key}`, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe("");
    expect(notModified.headers.get("etag")).toBe(etag);
    // A tile far away does not change when this one does, and the other way round.
    const far = "12/200/200";
    const farEtag = (await call(server, "GET", `/v1/wall/tiles/${far}`)).headers.get("etag");
    const id2 = await makeCreation("a second storm");
    await publish(id2);
    expect((await call(server, "GET", `/v1/wall/tiles/${far}`)).headers.get("etag")).toBe(farEtag);
    const key2 = await tileOf(id2);
    const changed = await call(server, "GET", `/v1/wall/tiles/${key2}`, { headers: { "if-none-match": key2 === key ? etag : "W/\"nope\"" } });
    expect(changed.status).toBe(200);
    expect(changed.body.postits.map((p: { id: string }) => p.id)).toContain(id2);
  }, 60_000);

  test("renaming or recolouring an agent changes its tile (title, colour and ETag), served fresh", async () => {
    const created = await call(server, "POST", "/v1/agents", { ...as(ada), json: { name: "Old name", kind: "image", color: "#336699" } });
    expect(created.status, created.text).toBe(201);
    const key = (await call(server, "GET", `/v1/wall/locate?agent=${created.body.id}`)).body.tile as string;
    const postitIn = (tile: any) => tile.body.postits.find((p: any) => p.id === created.body.id);
    const before = await call(server, "GET", `/v1/wall/tiles/${key}`);
    expect(postitIn(before).title).toBe("Old name");
    const patched = await call(server, "PATCH", `/v1/agents/${created.body.id}`, { ...as(ada), json: { name: "New name", color: "#993366" } });
    expect(patched.status, patched.text).toBe(200);
    const after = await call(server, "GET", `/v1/wall/tiles/${key}`, { headers: { "if-none-match": before.headers.get("etag")! } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    expect(postitIn(after).title).toBe("New name");
    expect(postitIn(after).string_colour).toBe("#993366");
  });

  test("kinds keeps only post-its of those kinds, and strings whose two ends are kept", async () => {
    const id = await makeCreation("kinds");
    await publish(id);
    const key = await tileOf(id);
    const all = (await call(server, "GET", `/v1/wall/tiles/${key}`)).body;
    const text = await call(server, "GET", `/v1/wall/tiles/${key}?kinds=text,voice`);
    expect(text.status).toBe(200);
    expect(text.body.postits).toEqual([]);
    expect(text.body.strings).toEqual([]);
    expect(text.body.etag).not.toBe(all.etag);
    const image = (await call(server, "GET", `/v1/wall/tiles/${key}?kinds=image`)).body;
    expect(image.postits.map((p: { id: string }) => p.id).sort()).toEqual(all.postits.map((p: { id: string }) => p.id).sort());
    expectProblem(await call(server, "GET", `/v1/wall/tiles/${key}?kinds=text,sculpture`), 400, "validation_failed");
    // Aggregates filter too.
    const agg = (await call(server, "GET", "/v1/wall/tiles/0/0/0?kinds=text")).body;
    expect(agg.total).toBe(0);
    expect(agg.highlights).toEqual([]);
  }, 60_000);

  test("aggregate tiles: counts per cell and highlights, golden agents first", async () => {
    const id = await makeCreation("aggregate");
    await publish(id);
    const wall = (await call(server, "GET", "/v1/wall")).body;
    const onWall = wall.counts.agents + wall.counts.creations;
    // The wall sits around (0, 0): the four zoom-0 tiles around the origin hold everything.
    let total = 0;
    const highlights: { type: string }[] = [];
    for (const [x, y] of [[0, 0], [-1, 0], [0, -1], [-1, -1]]) {
      const tile = await call(server, "GET", `/v1/wall/tiles/0/${x}/${y}`);
      expect(tile.status).toBe(200);
      expect(tile.body).toMatchObject({ type: "aggregate", grid: 16, key: `0/${x}/${y}` });
      const cells = tile.body.cells as { count: number; agents: number; kinds: Record<string, number> }[];
      expect(cells.reduce((n, c) => n + c.count, 0)).toBe(tile.body.total);
      for (const c of cells) expect(Object.values(c.kinds).reduce((a, b) => a + b, 0)).toBe(c.count);
      total += tile.body.total;
      highlights.push(...tile.body.highlights);
    }
    expect(total).toBe(onWall);
    expect(highlights.some((h) => h.type === "agent")).toBe(true);
    const z11 = await call(server, "GET", `/v1/wall/tiles/11/${Math.floor(Number((await tileOf(id)).split("/")[1]) / 2)}/${Math.floor(Number((await tileOf(id)).split("/")[2]) / 2)}`);
    expect(z11.body.total).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test("a batch answers the tiles in the order asked, with a combined ETag and 304", async () => {
    const id = await makeCreation("batch");
    await publish(id);
    const key = await tileOf(id);
    const keys = ["0/0/0", key, "12/-3/5", "5/-1/-1"];
    const batch = await call(server, "GET", `/v1/wall/tiles?keys=${keys.join(",")}`);
    expect(batch.status).toBe(200);
    expect(batch.body.tiles.map((t: { key: string }) => t.key)).toEqual(keys);
    const single = await call(server, "GET", `/v1/wall/tiles/${key}`);
    expect(batch.body.tiles[1]).toEqual(single.body);
    const etag = batch.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"/);
    expect((await call(server, "GET", `/v1/wall/tiles?keys=${keys.join(",")}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    const reordered = await call(server, "GET", `/v1/wall/tiles?keys=${[...keys].reverse().join(",")}`);
    expect(reordered.body.tiles.map((t: { key: string }) => t.key)).toEqual([...keys].reverse());
    expect(reordered.headers.get("etag")).not.toBe(etag);
  }, 60_000);

  test("tiles outside the pyramid or the wall are refused with 400", async () => {
    for (const path of [
      "/v1/wall/tiles/13/0/0",
      "/v1/wall/tiles/12/999999999/0",
      "/v1/wall/tiles/0/137/0",
      "/v1/wall/tiles/a/0/0",
      "/v1/wall/tiles?keys=13/0/0",
      "/v1/wall/tiles?keys=12/0/0,12/0/600000",
      "/v1/wall/tiles?keys=12/0",
      `/v1/wall/tiles?keys=${Array.from({ length: 17 }, (_, i) => `12/${i}/0`).join(",")}`,
      "/v1/wall/tiles",
    ]) {
      expectProblem(await call(server, "GET", path), 400, "validation_failed");
    }
    const outside = await call(server, "GET", "/v1/wall/tiles?keys=12/0/0,12/0/600000");
    expect(outside.body.detail).toContain("query/keys/1");
  });
});
