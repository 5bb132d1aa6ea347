/**
 * The wall's tile pyramid (fixed by the API): tile (z, x, y) covers [x·S, (x+1)·S) × [y·S, (y+1)·S) with
 * S = itemsTileSize · 2^(itemsZoom − z). Everything here is O(tiles in view), never O(post-its).
 */
export interface TileScheme {
  itemsZoom: number;
  itemsTileSize: number;
}

export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface TileKey {
  z: number;
  x: number;
  y: number;
  key: string;
}

export const tileSide = (scheme: TileScheme, z: number): number => scheme.itemsTileSize * 2 ** (scheme.itemsZoom - z);

export const keyOf = (z: number, x: number, y: number): string => `${z}/${x}/${y}`;

export function parseKey(key: string): TileKey {
  const [z, x, y] = key.split("/").map(Number) as [number, number, number];
  return { z, x, y, key };
}

/** The tiles at zoom z that intersect rect, row by row; empty when that would exceed `cap` tiles. */
export function tilesInRect(scheme: TileScheme, z: number, rect: Rect, cap = 400): TileKey[] {
  const side = tileSide(scheme, z);
  const x0 = Math.floor(rect.minX / side);
  const x1 = Math.floor(rect.maxX / side);
  const y0 = Math.floor(rect.minY / side);
  const y1 = Math.floor(rect.maxY / side);
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > cap) return [];
  const out: TileKey[] = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push({ z, x, y, key: keyOf(z, x, y) });
  return out;
}

/** The tile at zoom z holding a wall point. */
export function tileAt(scheme: TileScheme, z: number, px: number, py: number): TileKey {
  const side = tileSide(scheme, z);
  const x = Math.floor(px / side);
  const y = Math.floor(py / side);
  return { z, x, y, key: keyOf(z, x, y) };
}

/** The ancestor of a tile at a coarser zoom (floor division keeps negative coordinates right). */
export function ancestorAt(tile: TileKey, z: number): TileKey {
  const shift = tile.z - z;
  if (shift <= 0) return tile;
  const f = 2 ** shift;
  const x = Math.floor(tile.x / f);
  const y = Math.floor(tile.y / f);
  return { z, x, y, key: keyOf(z, x, y) };
}

export function tileRect(scheme: TileScheme, tile: { z: number; x: number; y: number }): Rect {
  const side = tileSide(scheme, tile.z);
  return { minX: tile.x * side, minY: tile.y * side, maxX: (tile.x + 1) * side, maxY: (tile.y + 1) * side };
}

/**
 * The zoom whose tiles to show at camera scale k: the items zoom when a post-it is at least
 * `itemsFromPx` wide on screen, else the aggregate zoom whose tiles are about `aggregatePx` wide.
 */
export function zoomForScale(
  scheme: TileScheme,
  k: number,
  postitSize: number,
  itemsFromPx: number,
  aggregatePx: number,
): number {
  if (k * postitSize >= itemsFromPx) return scheme.itemsZoom;
  const wantedSide = aggregatePx / k;
  const z = scheme.itemsZoom - Math.round(Math.log2(wantedSide / scheme.itemsTileSize));
  return Math.max(0, Math.min(scheme.itemsZoom - 1, z));
}

/** The wall rectangle seen through a viewport of w×h CSS pixels under transform (x, y, k). */
export function viewRect(t: { x: number; y: number; k: number }, w: number, h: number, margin = 0): Rect {
  return {
    minX: (-t.x - margin) / t.k,
    minY: (-t.y - margin) / t.k,
    maxX: (w - t.x + margin) / t.k,
    maxY: (h - t.y + margin) / t.k,
  };
}
