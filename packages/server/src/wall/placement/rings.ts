/**
 * Ring r around a home slot is the square of slots at Chebyshev distance r (8r slots). It is split into four
 * sides of 2r slots each (top, right, bottom, left, clockwise; each side owns one corner), and each side is
 * walked from its middle outward, so a side fills symmetrically.
 */
export const SIDES = ["top", "right", "bottom", "left"] as const;
export type Side = (typeof SIDES)[number];

/** Offset (dx, dy) of the k-th slot (0 ≤ k < 2r) of `side` (0..3) of ring r ≥ 1. y grows downward. */
export function ringSlot(side: number, k: number, r: number): [number, number] {
  const i = k >> 1;
  const t = (k & 1) === 0 ? i : -(i + 1); // 0, -1, 1, -2, … covers [-r, r-1]
  switch (side) {
    case 0:
      return [t, -r];
    case 1:
      return [r, t];
    case 2:
      return [-t, r];
    default:
      return [-r, -t];
  }
}

/** Which ring and side the offset (dx, dy) falls on; side is -1 for ring 0 (the home slot itself). */
export function ringSideOf(dx: number, dy: number): { ring: number; side: number } {
  const r = Math.max(Math.abs(dx), Math.abs(dy));
  if (r === 0) return { ring: 0, side: -1 };
  if (dy === -r && dx < r) return { ring: r, side: 0 };
  if (dx === r && dy < r) return { ring: r, side: 1 };
  if (dy === r && dx > -r) return { ring: r, side: 2 };
  return { ring: r, side: 3 };
}
