import { describe, expect, it } from "vitest";
import { distanceToPolyline, insideRotatedSquare, pinPoint, stringCurve } from "../src/geometry.js";
import { lodTier } from "../src/lod.js";
import { Lru } from "../src/tiles/lru.js";
import { ancestorAt, keyOf, tileAt, tileRect, tilesInRect, viewRect, zoomForScale } from "../src/tiles/scheme.js";
import { formatUrlState, formatView, parseUrlState, parseView } from "../src/url.js";

const scheme = { itemsZoom: 12, itemsTileSize: 3840 };

describe("tile scheme", () => {
  it("lists the tiles a rectangle touches, negative coordinates included", () => {
    const keys = tilesInRect(scheme, 12, { minX: -1, minY: -1, maxX: 3840, maxY: 0 }).map((t) => t.key);
    expect(keys).toEqual(["12/-1/-1", "12/0/-1", "12/1/-1", "12/-1/0", "12/0/0", "12/1/0"]);
  });

  it("finds every tile holding a post-it in view, and only those (random views)", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const t = { x: (rand() - 0.5) * 4e4, y: (rand() - 0.5) * 4e4, k: 0.1 + rand() * 2 };
      const rect = viewRect(t, 1280, 800);
      const keys = new Set(tilesInRect(scheme, 12, rect).map((x) => x.key));
      // A point inside the view belongs to a listed tile; every listed tile overlaps the view.
      const px = rect.minX + rand() * (rect.maxX - rect.minX);
      const py = rect.minY + rand() * (rect.maxY - rect.minY);
      expect(keys.has(tileAt(scheme, 12, px, py).key)).toBe(true);
      for (const key of keys) {
        const [z, x, y] = key.split("/").map(Number) as [number, number, number];
        const r = tileRect(scheme, { z, x, y });
        expect(r.maxX > rect.minX && r.minX <= rect.maxX && r.maxY > rect.minY && r.minY <= rect.maxY).toBe(true);
      }
    }
  });

  it("refuses to list more tiles than the cap", () => {
    expect(tilesInRect(scheme, 12, { minX: 0, minY: 0, maxX: 3840 * 100, maxY: 3840 * 100 }, 400)).toEqual([]);
  });

  it("finds ancestors with floor division", () => {
    expect(ancestorAt({ z: 12, x: -1, y: 5, key: keyOf(12, -1, 5) }, 11).key).toBe("11/-1/2");
    expect(ancestorAt({ z: 12, x: -3, y: -4, key: "" }, 10).key).toBe("10/-1/-1");
  });

  it("uses items tiles from 20 px post-its, coarser aggregates further out", () => {
    expect(zoomForScale(scheme, 0.1, 200, 20, 420)).toBe(12);
    expect(zoomForScale(scheme, 0.099, 200, 20, 420)).toBe(11);
    const z = zoomForScale(scheme, 0.01, 200, 20, 420);
    const side = 3840 * 2 ** (12 - z) * 0.01;
    expect(side).toBeGreaterThan(420 / 1.5);
    expect(side).toBeLessThan(420 * 1.5);
    expect(zoomForScale(scheme, 1e-9, 200, 20, 420)).toBe(0);
  });
});

describe("the URL", () => {
  it("round-trips a view, negative numbers included", () => {
    for (const view of [{ cx: 480, cy: -240, k: 0.75 }, { cx: -3, cy: 0, k: 2.8 }, { cx: 0, cy: 0, k: 0.002 }]) {
      expect(parseView(formatView(view))).toEqual(view);
    }
    expect(formatView({ cx: -12.4, cy: 7.6, k: 0.123456 })).toBe("_12.8.0.1235");
  });

  it("keeps other parameters and drops bad ones", () => {
    expect(formatUrlState({ view: { cx: 1, cy: 2, k: 1 }, node: "cr_01abc23456" }, "?x=1&v=9.9.9")).toBe("?x=1&v=1.2.1&n=cr_01abc23456");
    expect(parseUrlState("?v=1.2&n=<script>&h=ada")).toEqual({ handle: "ada" });
    expect(parseUrlState("?v=1.2.0")).toEqual({});
  });
});

describe("level of detail", () => {
  it("steps flat → icon → title → thumbnail and holds near an edge", () => {
    expect([10, 30, 100, 300].map((px) => lodTier(px))).toEqual([0, 1, 2, 3]);
    expect(lodTier(78, 1)).toBe(1);
    expect(lodTier(78, 2)).toBe(2);
    expect(lodTier(60, 2)).toBe(1);
  });
});

describe("geometry", () => {
  it("hit-tests turned squares", () => {
    expect(insideRotatedSquare({ x: 99, y: 0 }, 0, 0, 200, 0)).toBe(true);
    expect(insideRotatedSquare({ x: 99, y: 99 }, 0, 0, 200, 45)).toBe(false);
    expect(insideRotatedSquare({ x: 140, y: 0 }, 0, 0, 200, 45)).toBe(true);
  });

  it("hangs strings below the straight line and measures distance to them", () => {
    const a = pinPoint(0, 0, 200);
    const b = pinPoint(1000, 0, 200);
    const pts = stringCurve(a, b, 10);
    expect(pts[10]! > 400 && pts[11]! > a.y).toBe(true);
    expect(distanceToPolyline({ x: pts[10]!, y: pts[11]! }, pts)).toBeCloseTo(0, 6);
    expect(distanceToPolyline({ x: 500, y: a.y - 100 }, pts)).toBeGreaterThan(100);
  });
});

describe("LRU", () => {
  it("evicts the least recently used, never a kept key", () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (k) => evicted.push(k));
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    lru.set("c", 3);
    expect(evicted).toEqual(["b"]);
    lru.capacity = 1;
    lru.trim(new Set(["a"]));
    expect(evicted).toEqual(["b", "c"]);
    expect(lru.has("a")).toBe(true);
  });
});
