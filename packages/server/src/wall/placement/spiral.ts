import { DEFAULT_LAYOUT, homeCellSize, type WallLayout } from "./layout.js";

export interface Point {
  x: number;
  y: number;
}

/** Integer coordinates of a home cell (cell 0,0 is the centre of the wall). */
export interface Cell {
  cx: number;
  cy: number;
}

function assertIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`home index must be a non-negative integer (got ${index})`);
}

/**
 * Cell of the `index`-th home on a square spiral outward from the centre: index 0 is (0,0), ring k holds
 * indices (2k-1)² … (2k+1)²-1, so homes fill the wall ring by ring and the wall grows at its edges. O(1).
 */
export function homeCellCoords(index: number): Cell {
  assertIndex(index);
  if (index === 0) return { cx: 0, cy: 0 };
  const k = Math.ceil((Math.sqrt(index + 1) - 1) / 2);
  const m = 2 * k - 1;
  const p = index - m * m; // not m ** 2: that compiles to a pow() call, same value
  const side = Math.floor(p / (2 * k));
  const t = p - side * 2 * k;
  switch (side) {
    case 0:
      return { cx: k, cy: -k + 1 + t };
    case 1:
      return { cx: k - 1 - t, cy: k };
    case 2:
      return { cx: -k, cy: k - 1 - t };
    default:
      return { cx: -k + 1 + t, cy: -k };
  }
}

/** Inverse of `homeCellCoords`: the spiral index of the home at cell (cx, cy). O(1). */
export function homeIndexOfCell(cx: number, cy: number): number {
  const k = Math.max(Math.abs(cx), Math.abs(cy));
  if (k === 0) return 0;
  const m = 2 * k - 1;
  const base = m * m;
  if (cx === k && cy > -k) return base + (cy + k - 1);
  if (cy === k) return base + 2 * k + (k - 1 - cx);
  if (cx === -k) return base + 4 * k + (k - 1 - cy);
  return base + 6 * k + (cx + k - 1);
}

/** Centre of the `index`-th home in wall units (where that account's first post-it is pinned). */
export function homeCell(index: number, layout: WallLayout = DEFAULT_LAYOUT): Point {
  const { cx, cy } = homeCellCoords(index);
  const size = homeCellSize(layout);
  return { x: cx * size, y: cy * size };
}
