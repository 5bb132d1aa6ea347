/**
 * Geometry of the wall. Everything is laid out on a grid of square slots; a post-it sits centred in one
 * slot, so two post-its in different slots can never overlap (see `postItBounds`).
 */
export interface WallLayout {
  /** Side of a slot in wall units. Must exceed the rotated post-it's bounding box. */
  readonly slotSize: number;
  /** Post-its are square, this wide and tall, in wall units. */
  readonly postItSize: number;
  /**
   * A home cell is `homeCellSlots` × `homeCellSlots` slots: odd, so the home slot sits in its middle, and at most
   * 11 so a cell's occupancy fits four 32-bit words (see SlotGrid).
   */
  readonly homeCellSlots: number;
  /**
   * Slots within this Chebyshev distance of a home slot belong to that home's account only: no other account's
   * post-it may land there, even before the home is handed out. 0 protects just the home slot.
   */
  readonly homeReserveRadius: number;
  /** Rotation is drawn uniformly from [-maxRotationDeg, maxRotationDeg]. */
  readonly maxRotationDeg: number;
}

export const DEFAULT_LAYOUT: WallLayout = Object.freeze({
  slotSize: 240,
  postItSize: 200,
  homeCellSlots: 11,
  homeReserveRadius: 1,
  maxRotationDeg: 4,
});

/** Side of a home cell in wall units (2,640 with the default layout). */
export function homeCellSize(layout: WallLayout = DEFAULT_LAYOUT): number {
  return layout.slotSize * layout.homeCellSlots;
}

export function validateLayout(layout: WallLayout): WallLayout {
  const { slotSize, postItSize, homeCellSlots, homeReserveRadius, maxRotationDeg } = layout;
  if (!(postItSize > 0) || !(slotSize > 0)) throw new RangeError("slotSize and postItSize must be positive");
  if (!Number.isInteger(homeCellSlots) || homeCellSlots < 3 || homeCellSlots > 11 || homeCellSlots % 2 !== 1) {
    throw new RangeError(`homeCellSlots must be an odd integer from 3 to 11 (got ${homeCellSlots})`);
  }
  if (!Number.isInteger(homeReserveRadius) || homeReserveRadius < 0 || 2 * homeReserveRadius + 1 >= homeCellSlots) {
    throw new RangeError(`homeReserveRadius must be an integer in [0, ${(homeCellSlots - 1) / 2 - 1}]`);
  }
  if (!(maxRotationDeg >= 0 && maxRotationDeg < 45)) throw new RangeError("maxRotationDeg must be in [0, 45)");
  const rad = (maxRotationDeg * Math.PI) / 180;
  const rotatedExtent = postItSize * (Math.cos(rad) + Math.sin(rad));
  if (rotatedExtent >= slotSize) {
    throw new RangeError(`a post-it rotated by ${maxRotationDeg}° (${rotatedExtent.toFixed(1)} units) does not fit a slot of ${slotSize}`);
  }
  return layout;
}
