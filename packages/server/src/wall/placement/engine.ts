import { colourFor, rotationFor, type PostItKind } from "./appearance.js";
import { DEFAULT_LAYOUT, validateLayout, type WallLayout } from "./layout.js";
import { ringSideOf, ringSlot } from "./rings.js";
import { SlotGrid, type SlotEntry } from "./slotGrid.js";
import { homeCellCoords, homeIndexOfCell } from "./spiral.js";

export interface PlaceRequest {
  /** Spiral index of the owning account's home (see `homeCell`). */
  accountHome: number;
  kind: PostItKind;
  /** The post-it's id (the creation or agent id); also seeds its rotation and colour. */
  id: string;
  /**
   * Keep off the home slot itself (ring 0), which is left to the account's first published creation: agents are
   * pinned when they are made, before anything is published, and go "near" the home, not on it.
   */
  avoidHome?: boolean;
}

/** What to store with the post-it. (x, y) is unique on the wall, so it can back a database unique index. */
export interface Placement {
  x: number;
  y: number;
  rotation: number;
  colour: string;
}

/** A post-it as stored: enough to rebuild the state at start without recomputing any position. */
export interface StoredPostIt extends Placement {
  id: string;
  accountHome: number;
  kind: PostItKind;
}

/** How a post-it already on the wall is addressed: its id and its stored position. */
export interface PostItRef {
  id: string;
  x: number;
  y: number;
}

export class PlacementError extends Error {
  constructor(
    readonly code: "slot_taken" | "invalid_request",
    message: string,
  ) {
    super(message);
    this.name = "PlacementError";
  }
}

/**
 * In-memory placement state of the whole wall: slot occupancy plus, per home, the innermost ring that may still
 * have room. Placement only ever looks at one home's current ring, never at the rest of the wall.
 * Not thread-safe by design: a server serialises placements (and lets a database unique index on (x, y) catch
 * a collision with another process, then `restore`s the winner and places again).
 */
export class PlacementState {
  readonly layout: WallLayout;
  private readonly grid: SlotGrid;
  /*
   * Per home, the grid keeps (with the home's own cell, so a placement touches one record) a lower bound of the
   * innermost ring that has a slot available to it. Placements only make slots unavailable, and `unplace` lowers
   * every bound the freed slot could beat, so the bound stays valid and a placement depends on occupancy alone:
   * a state rebuilt from stored positions places exactly like the original.
   */
  /** Homes whose bound exceeds a cell's width: the only ones a slot beyond the neighbouring cells can concern. */
  private readonly spillers = new Set<number>();

  constructor(layout: WallLayout = DEFAULT_LAYOUT) {
    this.layout = validateLayout(layout);
    this.grid = new SlotGrid(layout.homeCellSlots);
  }

  get size(): number {
    return this.grid.size;
  }

  /** The post-it stored at (x, y), if any. */
  at(x: number, y: number): StoredPostIt | undefined {
    const slot = this.slotOf(x, y);
    if (!slot) return undefined;
    const e = this.grid.at(slot[0], slot[1]);
    return e && this.stored(slot[0], slot[1], e);
  }

  /** Every post-it on the wall (cell by cell, deterministic for a given history). */
  *postIts(): IterableIterator<StoredPostIt> {
    for (const { sx, sy, entry } of this.grid.entries()) yield this.stored(sx, sy, entry);
  }

  /**
   * Pins a new post-it. Ids are the database's unique keys and are not indexed here (see SlotGrid), so placing
   * an id twice gives it two spots: callers place a post-it once and store the result.
   */
  place(req: PlaceRequest): Placement {
    checkRequest(req);
    const home = this.homeSlot(req.accountHome);
    const n = this.layout.homeCellSlots;
    const bound = this.grid.ringBound(home[0] / n, home[1] / n) ?? 0;
    const minRing = req.avoidHome ? 1 : 0;
    let r = Math.max(bound, minRing);
    let slot: [number, number] | undefined;
    while (!slot) {
      slot = this.pickInRing(home, r, req.accountHome);
      if (!slot) r++;
    }
    // Rings skipped because of avoidHome were not looked at, so they cannot raise the bound.
    if (minRing <= bound) this.setInnermostRing(req.accountHome, r);
    const entry: SlotEntry = { id: req.id, accountHome: req.accountHome, kind: req.kind };
    this.grid.occupy(slot[0], slot[1], entry);
    return this.placement(slot[0], slot[1], entry);
  }

  /**
   * Takes a post-it off the wall (unpublish) by its id and stored position; its spot is then reused by the next
   * placement of its owner or of a home that passed it. Returns false when that post-it is not there.
   */
  unplace(ref: PostItRef): boolean {
    const slot = this.slotOf(ref.x, ref.y);
    if (!slot) return false;
    const [sx, sy] = slot;
    const e = this.grid.at(sx, sy);
    if (!e || e.id !== ref.id) return false;
    this.grid.release(sx, sy);
    const n = this.layout.homeCellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    this.lowerInnermostRing(e.accountHome, sx, sy);
    // A home two or more cells away is over n slots from this slot, so only homes of the 3×3 neighbouring cells
    // and homes already spilling past a cell's width can have passed this slot while it was taken.
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) this.lowerInnermostRing(homeIndexOfCell(cx + dx, cy + dy), sx, sy);
    }
    for (const home of [...this.spillers]) this.lowerInnermostRing(home, sx, sy);
    return true;
  }

  /** Puts back a post-it whose position was stored earlier (rebuild at start, or another process's placement). */
  restore(p: Pick<StoredPostIt, "id" | "accountHome" | "kind" | "x" | "y">): void {
    checkRequest(p);
    const slot = this.slotOf(p.x, p.y);
    if (!slot) throw new PlacementError("invalid_request", `(${p.x}, ${p.y}) is not a slot centre`);
    const other = this.grid.at(slot[0], slot[1]);
    if (other !== undefined) throw new PlacementError("slot_taken", `(${p.x}, ${p.y}) is already taken by ${other.id}`);
    this.grid.occupy(slot[0], slot[1], { id: p.id, accountHome: p.accountHome, kind: p.kind });
  }

  private slotOf(x: number, y: number): [number, number] | undefined {
    const sx = x / this.layout.slotSize;
    const sy = y / this.layout.slotSize;
    return Number.isSafeInteger(sx) && Number.isSafeInteger(sy) ? [sx, sy] : undefined;
  }

  private homeSlot(accountHome: number): [number, number] {
    const { cx, cy } = homeCellCoords(accountHome);
    const n = this.layout.homeCellSlots;
    return [cx * n, cy * n];
  }

  /** Emptiest side of ring r (fewest slots unavailable to this account) that still has a free slot. */
  private pickInRing(home: [number, number], r: number, accountHome: number): [number, number] | undefined {
    const [hx, hy] = home;
    if (r === 0) return this.isAvailable(hx, hy, accountHome) ? [hx, hy] : undefined;
    let best: [number, number] | undefined;
    let bestUsed = Infinity;
    for (let side = 0; side < 4; side++) {
      let used = 0;
      let firstFree: [number, number] | undefined;
      for (let k = 0; k < 2 * r; k++) {
        const [dx, dy] = ringSlot(side, k, r);
        if (this.isAvailable(hx + dx, hy + dy, accountHome)) firstFree ??= [hx + dx, hy + dy];
        else used++;
      }
      if (firstFree && used < bestUsed) {
        best = firstFree;
        bestUsed = used;
      }
    }
    return best;
  }

  private isAvailable(sx: number, sy: number, accountHome: number): boolean {
    if (!this.grid.isFree(sx, sy)) return false;
    const owner = this.reservedFor(sx, sy);
    return owner === undefined || owner === accountHome;
  }

  /** The home index whose reserved spot contains slot (sx, sy), if any. Every cell is some home, now or later. */
  private reservedFor(sx: number, sy: number): number | undefined {
    const n = this.layout.homeCellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const R = this.layout.homeReserveRadius;
    if (Math.abs(sx - cx * n) > R || Math.abs(sy - cy * n) > R) return undefined;
    return homeIndexOfCell(cx, cy);
  }

  private lowerInnermostRing(accountHome: number, sx: number, sy: number): void {
    const [hx, hy] = this.homeSlot(accountHome);
    const n = this.layout.homeCellSlots;
    const current = this.grid.ringBound(hx / n, hy / n);
    if (current === undefined) return;
    const { ring } = ringSideOf(sx - hx, sy - hy);
    if (ring < current) this.setInnermostRing(accountHome, ring);
  }

  private setInnermostRing(accountHome: number, ring: number): void {
    const [hx, hy] = this.homeSlot(accountHome);
    const n = this.layout.homeCellSlots;
    this.grid.setRingBound(hx / n, hy / n, ring);
    if (ring > this.layout.homeCellSlots) this.spillers.add(accountHome);
    else this.spillers.delete(accountHome);
  }

  private placement(sx: number, sy: number, e: SlotEntry): Placement {
    const s = this.layout.slotSize;
    return { x: sx * s, y: sy * s, rotation: rotationFor(e.id, this.layout), colour: colourFor(e.id, e.kind) };
  }

  private stored(sx: number, sy: number, e: SlotEntry): StoredPostIt {
    return { id: e.id, accountHome: e.accountHome, kind: e.kind, ...this.placement(sx, sy, e) };
  }
}

function checkRequest(req: { accountHome: number; kind: string; id: string }): void {
  if (typeof req.id !== "string" || req.id.length === 0) throw new PlacementError("invalid_request", "id must be a non-empty string");
  if (req.kind !== "agent" && req.kind !== "creation") {
    throw new PlacementError("invalid_request", `kind must be "agent" or "creation" (got ${JSON.stringify(req.kind)})`);
  }
  if (!Number.isSafeInteger(req.accountHome) || req.accountHome < 0) {
    throw new PlacementError("invalid_request", `accountHome must be a non-negative integer (got ${req.accountHome})`);
  }
}

export function createPlacementState(layout: WallLayout = DEFAULT_LAYOUT): PlacementState {
  return new PlacementState(layout);
}

/** Pins a new post-it near its owner's home; the result is to be stored and never recomputed. */
export function placePostIt(state: PlacementState, req: PlaceRequest): Placement {
  return state.place(req);
}

/** Frees a post-it's spot (unpublish), given its id and stored position. False when it was not there. */
export function unplacePostIt(state: PlacementState, ref: PostItRef): boolean {
  return state.unplace(ref);
}

/** Re-adds a stored post-it without recomputing its position. */
export function restorePostIt(state: PlacementState, stored: Pick<StoredPostIt, "id" | "accountHome" | "kind" | "x" | "y">): void {
  state.restore(stored);
}
