import { afterEach, describe, expect, it } from "vitest";
import { Oto, paginate, type Page } from "../src/index.js";
import { sampleKey, sendJson, startScriptedServer, type ScriptedServer } from "./support/scripted-server.js";

/** Array.fromAsync arrives only in Node 22. */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const keys = ["a", "b", "c", "d", "e"].map((letter, i) => ({
  ...sampleKey,
  id: `key_${letter.repeat(26)}`,
  name: `key ${i + 1}`,
}));

/** Serves `keys` two at a time, with the index of the next page as the cursor. */
function pagesOfTwo(): (cursor: string | undefined) => Page<(typeof keys)[number]> {
  return (cursor) => {
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = start + 2;
    return { data: keys.slice(start, end), next_cursor: end < keys.length ? String(end) : null };
  };
}

describe("paginate", () => {
  it("follows next_cursor across pages and stops at null", async () => {
    const page = pagesOfTwo();
    const cursors: (string | undefined)[] = [];

    const items = await collect(
      paginate(async (cursor) => {
        cursors.push(cursor);
        return page(cursor);
      }),
    );

    expect(items.map((k) => k.name)).toEqual(["key 1", "key 2", "key 3", "key 4", "key 5"]);
    expect(cursors).toEqual([undefined, "2", "4"]);
  });

  it("fetches a page only when the previous one is used up", async () => {
    const page = pagesOfTwo();
    let fetches = 0;

    for await (const key of paginate(async (cursor) => (fetches++, page(cursor)))) {
      if (key.name === "key 3") break;
    }

    expect(fetches).toBe(2);
  });

  it("handles an empty list", async () => {
    expect(await collect(paginate(async () => ({ data: [], next_cursor: null })))).toEqual([]);
  });

  it("stops with an error when the server repeats a cursor", async () => {
    const iterator = paginate(async () => ({ data: [1], next_cursor: "same" }));
    await expect(collect(iterator)).rejects.toThrow(/same cursor twice/);
  });
});

describe("apiKeys.listAll", () => {
  let server: ScriptedServer | undefined;
  afterEach(() => server?.close());

  it("walks every page over HTTP, passing limit and cursor", async () => {
    const page = pagesOfTwo();
    server = await startScriptedServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      sendJson(res, 200, page(url.searchParams.get("cursor") ?? undefined));
    });
    const oto = new Oto({ baseUrl: server.url, apiKey: "oto_test0000_secret" });

    const listed = await collect(oto.apiKeys.listAll({ limit: 2 }));

    expect(listed).toEqual(keys);
    expect(server.requests.map((r) => r.url)).toEqual([
      "/v1/api-keys?limit=2",
      "/v1/api-keys?limit=2&cursor=2",
      "/v1/api-keys?limit=2&cursor=4",
    ]);
  });
});
