import { colourFor, rotationFor, type PostItKind } from "./appearance.js";
import { DEFAULT_LAYOUT, validateLayout, type WallLayout } from "./layout.js";
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
  /** Slot chosen by the last successful `pickInRing` (fields rather than a tuple: placing allocates nothing). */
  private pickedX = 0;
  private pickedY = 0;

  constructor(layout: WallLayout = DEFAULT_LAYOUT) {
    this.layout = validateLayout(layout);
    this.grid = new SlotGrid(layout.homeCellSlots);
  }

  get size(): number {
    return this.grid.size;
  }

  /** The post-it stored at (x, y), if any. */
  at(x: number, y: number): StoredPostIt | undefined {
    const sx = x / this.layout.slotSize;
    const sy = y / this.layout.slotSize;
    if (!Number.isSafeInteger(sx) || !Number.isSafeInteger(sy)) return undefined;
    const e = this.grid.at(sx, sy);
    return e && this.stored(sx, sy, e);
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
    const home = req.accountHome;
    const { cx: hcx, cy: hcy } = homeCellCoords(home);
    const bound = this.grid.ringBound(home) ?? 0;
    const minRing = req.avoidHome ? 1 : 0;
    let r = Math.max(bound, minRing);
    while (!this.pickInRing(hcx, hcy, r, home)) r++;
    // Rings skipped because of avoidHome were not looked at, so they cannot raise the bound.
    if (minRing <= bound) this.setInnermostRing(home, r);
    const sx = this.pickedX;
    const sy = this.pickedY;
    this.grid.occupy(sx, sy, req.id, home, req.kind);
    const s = this.layout.slotSize;
    return { x: sx * s, y: sy * s, rotation: rotationFor(req.id, this.layout), colour: colourFor(req.id, req.kind) };
  }

  /**
   * Takes a post-it off the wall (unpublish) by its id and stored position; its spot is then reused by the next
   * placement of its owner or of a home that passed it. Returns false when that post-it is not there.
   */
  unplace(ref: PostItRef): boolean {
    const sx = ref.x / this.layout.slotSize;
    const sy = ref.y / this.layout.slotSize;
    if (!Number.isSafeInteger(sx) || !Number.isSafeInteger(sy)) return false;
    const code = this.grid.codeAt(sx, sy);
    if (code === 0 || this.grid.idOf(code) !== ref.id) return false;
    const owner = this.grid.ownerOf(code);
    this.grid.release(sx, sy);
    const n = this.layout.homeCellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    this.lowerInnermostRing(owner, sx, sy);
    // A home two or more cells away is over n slots from this slot, so only homes of the 3×3 neighbouring cells
    // and homes already spilling past a cell's width can have passed this slot while it was taken.
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) this.lowerRingOfCell(homeIndexOfCell(cx + dx, cy + dy), cx + dx, cy + dy, sx, sy);
    }
    if (this.spillers.size > 0) for (const home of [...this.spillers]) this.lowerInnermostRing(home, sx, sy);
    return true;
  }

  /** Puts back a post-it whose position was stored earlier (rebuild at start, or another process's placement). */
  restore(p: Pick<StoredPostIt, "id" | "accountHome" | "kind" | "x" | "y">): void {
    checkRequest(p);
    const sx = p.x / this.layout.slotSize;
    const sy = p.y / this.layout.slotSize;
    if (!Number.isSafeInteger(sx) || !Number.isSafeInteger(sy)) throw new PlacementError("invalid_request", `(${p.x}, ${p.y}) is not a slot centre`);
    const code = this.grid.codeAt(sx, sy);
    if (code !== 0) throw new PlacementError("slot_taken", `(${p.x}, ${p.y}) is already taken by ${this.grid.idOf(code)}`);
    this.grid.occupy(sx, sy, p.id, p.accountHome, p.kind);
  }

  /**
   * Emptiest side of ring r (fewest slots unavailable to this account) that still has a free slot, around the home
   * of cell (hcx, hcy); false when the ring is full, else the slot is left in pickedX/pickedY.
   */
  private pickInRing(hcx: number, hcy: number, r: number, accountHome: number): boolean {
    const grid = this.grid;
    const n = this.layout.homeCellSlots;
    const half = grid.half;
    const R = this.layout.homeReserveRadius;
    const hx = hcx * n;
    const hy = hcy * n;
    // The home's own cell: every slot there is either unreserved or in this account's own spot.
    const homeRec = grid.record(accountHome);
    const homeBase = grid.baseOf(accountHome);
    if (r === 0) {
      const i = half * n + half;
      if (homeRec !== undefined && (homeRec[homeBase + (i >> 5)]! & (1 << (i & 31))) !== 0) return false;
      this.pickedX = hx;
      this.pickedY = hy;
      return true;
    }
    let found = false;
    let bestUsed = Infinity;
    for (let side = 0; side < 4; side++) {
      let used = 0;
      let freeX = 0;
      let freeY = 0;
      let hasFree = false;
      for (let k = 0; k < 2 * r; k++) {
        // Offset (dx, dy) of the k-th slot of this side, as `ringSlot` gives it.
        const j = k >> 1;
        const t = (k & 1) === 0 ? j : -(j + 1);
        let dx: number;
        let dy: number;
        if (side === 0) {
          dx = t;
          dy = -r;
        } else if (side === 1) {
          dx = r;
          dy = t;
        } else if (side === 2) {
          dx = -t;
          dy = r;
        } else {
          dx = -r;
          dy = -t;
        }
        let available: boolean;
        const lx = dx + half;
        const ly = dy + half;
        if (lx >= 0 && lx < n && ly >= 0 && ly < n) {
          const i = lx * n + ly;
          available = homeRec === undefined || (homeRec[homeBase + (i >> 5)]! & (1 << (i & 31))) === 0;
        } else {
          available = this.isAvailableAway(hx + dx, hy + dy, hcx, hcy, R);
        }
        if (available) {
          if (!hasFree) {
            hasFree = true;
            freeX = hx + dx;
            freeY = hy + dy;
          }
        } else used++;
      }
      if (hasFree && used < bestUsed) {
        found = true;
        this.pickedX = freeX;
        this.pickedY = freeY;
        bestUsed = used;
      }
    }
    return found;
  }

  /** Whether slot (sx, sy), outside the home cell (hcx, hcy), is free and not in another home's spot. */
  private isAvailableAway(sx: number, sy: number, hcx: number, hcy: number, R: number): boolean {
    const n = this.layout.homeCellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    // Every cell is some home, now or later, and (hcx, hcy) is the only cell whose home is this account's.
    if ((cx !== hcx || cy !== hcy) && Math.abs(sx - cx * n) <= R && Math.abs(sy - cy * n) <= R) return false;
    return this.grid.isFree(sx, sy);
  }

  private lowerInnermostRing(accountHome: number, sx: number, sy: number): void {
    const { cx, cy } = homeCellCoords(accountHome);
    this.lowerRingOfCell(accountHome, cx, cy, sx, sy);
  }

  /** Lowers the bound of `home`, whose cell is (cx, cy), to the ring slot (sx, sy) is on when that is lower. */
  private lowerRingOfCell(home: number, cx: number, cy: number, sx: number, sy: number): void {
    const current = this.grid.ringBound(home);
    if (current === undefined) return;
    const n = this.layout.homeCellSlots;
    const ring = Math.max(Math.abs(sx - cx * n), Math.abs(sy - cy * n));
    if (ring < current) this.setInnermostRing(home, ring);
  }

  private setInnermostRing(accountHome: number, ring: number): void {
    this.grid.setRingBound(accountHome, ring);
    if (ring > this.layout.homeCellSlots) this.spillers.add(accountHome);
    else if (this.spillers.size > 0) this.spillers.delete(accountHome);
  }

  private stored(sx: number, sy: number, e: SlotEntry): StoredPostIt {
    const s = this.layout.slotSize;
    return {
      id: e.id,
      accountHome: e.accountHome,
      kind: e.kind,
      x: sx * s,
      y: sy * s,
      rotation: rotationFor(e.id, this.layout),
      colour: colourFor(e.id, e.kind),
    };
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
