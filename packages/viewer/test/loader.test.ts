import type { WallTile } from "@oto/sdk/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startTestServer } from "../../server/src/testing.js";
import { WallApi } from "../src/api.js";
import { TileLoader } from "../src/tiles/loader.js";
import { tilesInRect } from "../src/tiles/scheme.js";

const scheme = { itemsZoom: 12, itemsTileSize: 3840 };
const keysAround = (cx: number, n: number) =>
  tilesInRect(scheme, 12, { minX: cx * 3840, minY: 0, maxX: (cx + n - 1) * 3840, maxY: 3840 * 5 }).map((t) => t.key);

describe("tile loader against the real tile API", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  /** `hold`: requests wait for it before going out (so a test knows they are in flight, however fast the server). */
  function loader(debounceMs = 0, hold: Promise<void> = Promise.resolve()) {
    const api = new WallApi(server.url);
    const arrived: WallTile[] = [];
    const evicted: string[] = [];
    const requests: string[][] = [];
    const l = new TileLoader({
      fetchTiles: async (keys, signal) => {
        requests.push(keys);
        await hold;
        return api.tiles(keys, signal);
      },
      onTile: (t) => arrived.push(t),
      onEvict: (k) => evicted.push(k),
      batchSize: 16,
      maxInFlight: 6,
      debounceMs,
      cacheFactor: 5,
    });
    return { l, arrived, evicted, requests };
  }

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  };

  it("loads what is wanted in batches of at most 16, at most 6 at once, then serves it from cache", async () => {
    const { l, arrived, requests } = loader();
    const keys = keysAround(0, 20); // 20 × 6 = 120 tiles
    l.want(keys);
    await until(() => arrived.length === keys.length);
    expect(new Set(arrived.map((t) => t.key))).toEqual(new Set(keys));
    expect(Math.max(...requests.map((r) => r.length))).toBeLessThanOrEqual(16);
    expect(l.stats.maxInFlight).toBeLessThanOrEqual(6);
    expect(requests.length).toBe(Math.ceil(keys.length / 16));
    l.want(keys);
    await new Promise((r) => setTimeout(r, 50));
    expect(requests.length).toBe(Math.ceil(keys.length / 16));
    l.dispose();
  });

  it("debounces: a burst of views sends one round of requests, for the last view", async () => {
    const { l, arrived, requests } = loader(100);
    for (let i = 0; i < 10; i++) l.want(keysAround(i * 10, 2));
    await until(() => arrived.length === 12);
    expect(requests.flat().sort()).toEqual(keysAround(90, 2).sort());
    l.dispose();
  });

  it("fetches during a continuous pan: want() every 16 ms for 1 s still sends requests every ~150 ms", async () => {
    const { l, requests } = loader(100);
    const start = performance.now();
    const sentAt: number[] = [];
    let seen = 0;
    for (let i = 0; performance.now() - start < 1000; i++) {
      l.want(keysAround(i, 2)); // the view moves a little every frame, as a pan does
      await new Promise((r) => setTimeout(r, 16));
      while (seen < requests.length) {
        sentAt.push(performance.now() - start);
        seen++;
      }
    }
    // A plain debounce (restarted on every call) sends nothing until the pan stops.
    expect(sentAt.length).toBeGreaterThan(0);
    expect(sentAt[0]!).toBeLessThan(400);
    // Rounds keep coming while the view keeps changing (≈ every 150 ms: allow for a loaded machine).
    const rounds = new Set(sentAt.map((t) => Math.floor(t / 150))).size;
    expect(rounds).toBeGreaterThanOrEqual(3);
    l.dispose();
  });

  it("aborts requests whose tiles all left the view", async () => {
    let release!: () => void;
    const { l, arrived } = loader(0, new Promise((resolve) => (release = resolve)));
    l.want(keysAround(0, 20));
    // Held: the first 6 batches are in flight, the other 2 wait for a free slot.
    await until(() => l.inFlightCount === 6);
    const far = keysAround(1000, 2);
    l.want(far);
    expect(l.stats.aborted).toBe(6);
    release();
    await until(() => far.every((k) => l.get(k)));
    await until(() => l.inFlightCount === 0);
    // Nothing from the view left behind arrived: its requests were cancelled before they answered.
    expect(arrived.map((t) => t.key).sort()).toEqual([...far].sort());
    l.dispose();
  });

  it("keeps at most 5× the view in cache, evicting the oldest views first", async () => {
    const { l, evicted } = loader();
    const views = Array.from({ length: 8 }, (_, i) => keysAround(i * 100, 3)); // 18 tiles each → cache 90
    for (const view of views) {
      l.want(view);
      await until(() => view.every((k) => l.get(k)));
    }
    expect(views.flat().filter((k) => l.get(k)).length).toBeLessThanOrEqual(90);
    expect(views[7]!.every((k) => l.get(k))).toBe(true);
    expect(views[0]!.some((k) => evicted.includes(k))).toBe(true);
    l.dispose();
  });
});
