import { DEFAULT_LAYOUT, type WallLayout } from "./layout.js";

export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Axis-aligned bounding box of a post-it centred at (x, y) and rotated by `rotation` degrees. */
export function postItBounds(
  p: { x: number; y: number; rotation: number },
  layout: WallLayout = DEFAULT_LAYOUT,
): Rect {
  const rad = (Math.abs(p.rotation) * Math.PI) / 180;
  const half = (layout.postItSize * (Math.cos(rad) + Math.sin(rad))) / 2;
  return { minX: p.x - half, minY: p.y - half, maxX: p.x + half, maxY: p.y + half };
}

export function rectsOverlap(a: Rect, b: Rect): boolean {
  return a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY;
}
