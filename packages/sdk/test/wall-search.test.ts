// How the SDK asks for search and wall data: the exact requests (comma-separated arrays as the spec says,
// If-None-Match), and what it makes of the answers (pages, 304, errors).
import { afterEach, describe, expect, it } from "vitest";
import { Oto, OtoNotFoundError } from "../src/index.js";
import { type ScriptedServer, sendJson, sendProblem, startScriptedServer } from "./support/scripted-server.js";

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const hit = (id: string) => ({
  type: "account",
  id,
  rank: 0.5,
  title: "Ada",
  subtitle: "@ada",
  kind: null,
  author: null,
  thumbnail_url: null,
  location: { x: 0, y: 0 },
});
const tile = { type: "items", key: "12/0/0", etag: 'W/"a"' };

async function client(script: Parameters<typeof startScriptedServer>[0]): Promise<Oto> {
  server = await startScriptedServer(script);
  return new Oto({ baseUrl: server.url, apiKey: "", maxRetries: 0 });
}

const url = (i: number) => new URL(server!.requests[i]!.url, "http://x");

describe("search", () => {
  it("sends q and the filters, and follows cursors with searchAll", async () => {
    const oto = await client((req, res) => {
      const cursor = new URL(req.url!, "http://x").searchParams.get("cursor");
      if (cursor === null) sendJson(res, 200, { data: [hit("acc_1"), hit("acc_2")], next_cursor: "c2" });
      else sendJson(res, 200, { data: [hit("acc_3")], next_cursor: null });
    });
    const page = await oto.search("red \"light house\" -storm", { type: "creation", kind: "image", limit: 2 });
    expect(page.next_cursor).toBe("c2");
    expect(Object.fromEntries(url(0).searchParams)).toEqual({
      q: 'red "light house" -storm',
      type: "creation",
      kind: "image",
      limit: "2",
    });
    const all: string[] = [];
    for await (const h of oto.searchAll("ada", { limit: 2 })) all.push(h.id);
    expect(all).toEqual(["acc_1", "acc_2", "acc_3"]);
    expect(url(2).searchParams.get("cursor")).toBe("c2");
    expect(url(2).searchParams.get("q")).toBe("ada");
  });
});

describe("wall", () => {
  it("asks for tiles with comma-separated kinds and keys", async () => {
    const oto = await client((req, res) => {
      if (req.url!.startsWith("/v1/wall/tiles?")) sendJson(res, 200, { tiles: [tile, tile] });
      else sendJson(res, 200, tile);
    });
    expect(await oto.wall.tile(12, -3, 4, { kinds: ["image", "video"] })).toEqual(tile);
    expect(server!.requests[0]!.url).toBe("/v1/wall/tiles/12/-3/4?kinds=image,video");
    await oto.wall.tiles(["12/0/0", [11, -1, 2]], { kinds: ["text"] });
    expect(url(1).pathname).toBe("/v1/wall/tiles");
    expect(url(1).searchParams.get("keys")).toBe("12/0/0,11/-1/2");
    expect(url(1).searchParams.getAll("kinds")).toEqual(["text"]);
    await oto.wall.tile(0, 0, 0);
    expect(server!.requests[2]!.url).toBe("/v1/wall/tiles/0/0/0");
  });

  it("revalidates with If-None-Match: 304 resolves to null", async () => {
    const oto = await client((req, res) => {
      if (req.headers["if-none-match"] === 'W/"a"') {
        res.writeHead(304, { etag: 'W/"a"' });
        res.end();
      } else sendJson(res, 200, tile, { etag: 'W/"a"' });
    });
    expect(await oto.wall.tile(12, 0, 0, { ifNoneMatch: 'W/"b"' })).toEqual(tile);
    expect(await oto.wall.tile(12, 0, 0, { ifNoneMatch: 'W/"a"' })).toBeNull();
    expect(await oto.wall.tiles(["12/0/0"], { ifNoneMatch: 'W/"a"' })).toBeNull();
    expect(server!.requests.map((r) => r.headers["if-none-match"])).toEqual(['W/"b"', 'W/"a"', 'W/"a"']);
  });

  it("locates by exactly one of creation, agent or handle", async () => {
    const oto = await client((req, res) => {
      const handle = new URL(req.url!, "http://x").searchParams.get("handle");
      if (handle === "nobody") sendProblem(res, 404, "not_found", "No account @nobody.");
      else sendJson(res, 200, { type: "home", id: "acc_1", x: 0, y: 0, size: 200, tile: "12/0/0" });
    });
    expect((await oto.wall.locate({ handle: "@ada" })).type).toBe("home");
    expect(url(0).search).toBe("?handle=ada");
    await oto.wall.locate({ creation: "cr_1" });
    expect(url(1).search).toBe("?creation=cr_1");
    await expect(oto.wall.locate({ handle: "nobody" })).rejects.toBeInstanceOf(OtoNotFoundError);
    await expect(oto.wall.locate({ creation: "cr_1", agent: "ag_1" } as never)).rejects.toThrow(/exactly one/);
    await expect(oto.wall.locate({} as never)).rejects.toThrow(/exactly one/);
    expect(server!.requests).toHaveLength(3);
  });
});
