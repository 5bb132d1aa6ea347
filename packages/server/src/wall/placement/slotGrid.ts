import type { PostItKind } from "./appearance.js";
import { homeCellCoords, homeIndexOfCell } from "./spiral.js";

/** What a taken slot holds. */
export interface SlotEntry {
  id: string;
  accountHome: number;
  kind: PostItKind;
}

/** homeCellSlots² must fit the four 32-bit occupancy words of a cell. */
export const MAX_CELL_SLOTS = 11;

/**
 * Per cell, one record of Int32s: 4 occupancy words (slot i is bit i&31 of word i>>5), the home's ring bound + 1
 * (0 = none), then one code per slot: 0 when free, else ((handle + 1) << 1) | kind bit (1 = agent), the handle
 * indexing the flat id and owner tables. The record is padded to a multiple of 16 Int32s (64 bytes).
 */
const HEAD = 5;
const RING = 4;
/** Dense cells are kept in chunks of this many records, allocated when first written. */
const CHUNK_SHIFT = 8;
const CHUNK_CELLS = 1 << CHUNK_SHIFT;
/** Spiral indices below this are dense (homes are handed out in order); rarer far-off ones go to a Map. */
const DENSE_LIMIT = 2 ** 24;
/** Handles must keep ((handle + 1) << 1) | 1 a positive Int32. */
const MAX_HANDLES = 2 ** 30 - 1;

/**
 * Occupancy of the wall, per home cell (keyed by the cell's spiral index). Everything a placement reads or writes
 * about a cell — its occupancy bits, its home's ring bound and the code of the slot taken — sits in that cell's
 * record inside one flat Int32Array chunk, so a placement on a wall of millions costs about one cache miss for the
 * record's head plus one (a store) for the slot code, as on a wall of a thousand. No object is allocated per
 * post-it: ids and owners live in flat tables indexed by a handle, reused last-freed-first, so new handles are
 * appended where the tables are already being written. There is deliberately no index by id (a string-keyed Map
 * of millions costs several misses per lookup): callers address a post-it by its stored position.
 */
export class SlotGrid {
  /** Int32s per cell record. */
  readonly stride: number;
  readonly half: number;
  private readonly chunks: (Int32Array | undefined)[] = [];
  private readonly sparse = new Map<number, Int32Array>();
  /** Far-off cells in the order they were first occupied (the order `entries` lists them in). */
  private readonly sparseOrder = new Set<number>();
  /** By handle: the post-it's id (undefined when the handle is free) and its owner's home. */
  private readonly ids: (string | undefined)[] = [];
  private owners = new Float64Array(1024);
  private readonly freeHandles: number[] = [];
  private count = 0;

  constructor(private readonly cellSlots: number) {
    if (cellSlots > MAX_CELL_SLOTS) throw new RangeError(`homeCellSlots must be at most ${MAX_CELL_SLOTS} (got ${cellSlots})`);
    this.half = (cellSlots - 1) / 2;
    this.stride = (HEAD + cellSlots * cellSlots + 15) & ~15;
  }

  get size(): number {
    return this.count;
  }

  /** The record array holding cell `key`, or undefined when nothing was ever written there. See `baseOf`. */
  record(key: number): Int32Array | undefined {
    if (key < DENSE_LIMIT) {
      const c = key >>> CHUNK_SHIFT;
      return c < this.chunks.length ? this.chunks[c] : undefined;
    }
    return this.sparse.get(key);
  }

  /** Offset of cell `key`'s record in the array `record(key)` answers. */
  baseOf(key: number): number {
    return key < DENSE_LIMIT ? (key & (CHUNK_CELLS - 1)) * this.stride : 0;
  }

  /** Slot index of (sx, sy) within its cell (cx, cy). */
  indexIn(sx: number, sy: number, cx: number, cy: number): number {
    const n = this.cellSlots;
    return (sx - cx * n + this.half) * n + (sy - cy * n + this.half);
  }

  /** Code of slot (sx, sy): 0 when free, else see the record layout. */
  codeAt(sx: number, sy: number): number {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const key = homeIndexOfCell(cx, cy);
    const rec = this.record(key);
    return rec === undefined ? 0 : rec[this.baseOf(key) + HEAD + this.indexIn(sx, sy, cx, cy)]!;
  }

  idOf(code: number): string {
    return this.ids[(code >>> 1) - 1]!;
  }

  ownerOf(code: number): number {
    return this.owners[(code >>> 1) - 1]!;
  }

  kindOf(code: number): PostItKind {
    return (code & 1) === 1 ? "agent" : "creation";
  }

  at(sx: number, sy: number): SlotEntry | undefined {
    const code = this.codeAt(sx, sy);
    return code === 0 ? undefined : { id: this.idOf(code), accountHome: this.ownerOf(code), kind: this.kindOf(code) };
  }

  isFree(sx: number, sy: number): boolean {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const key = homeIndexOfCell(cx, cy);
    const rec = this.record(key);
    if (rec === undefined) return true;
    const i = this.indexIn(sx, sy, cx, cy);
    return (rec[this.baseOf(key) + (i >> 5)]! & (1 << (i & 31))) === 0;
  }

  /** Takes free slot (sx, sy) for a post-it (the caller has checked it is free). */
  occupy(sx: number, sy: number, id: string, accountHome: number, kind: PostItKind): void {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const key = homeIndexOfCell(cx, cy);
    const rec = this.recordFor(key);
    const base = this.baseOf(key);
    const i = this.indexIn(sx, sy, cx, cy);
    // Checked on the occupancy word (already read by the placement), so the slot code is only ever stored.
    if ((rec[base + (i >> 5)]! & (1 << (i & 31))) !== 0) throw new Error(`slot (${sx}, ${sy}) is already taken`);
    const h = this.newHandle();
    this.ids[h] = id;
    this.owners[h] = accountHome;
    rec[base + HEAD + i] = ((h + 1) << 1) | (kind === "agent" ? 1 : 0);
    rec[base + (i >> 5)]! |= 1 << (i & 31);
    this.count++;
    if (key >= DENSE_LIMIT) this.sparseOrder.add(key);
  }

  release(sx: number, sy: number): void {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const key = homeIndexOfCell(cx, cy);
    const rec = this.record(key);
    if (rec === undefined) return;
    const base = this.baseOf(key);
    const i = this.indexIn(sx, sy, cx, cy);
    const code = rec[base + HEAD + i]!;
    if (code === 0) return;
    const h = (code >>> 1) - 1;
    this.ids[h] = undefined;
    this.freeHandles.push(h);
    rec[base + HEAD + i] = 0;
    rec[base + (i >> 5)]! &= ~(1 << (i & 31));
    this.count--;
  }

  /** Ring bound kept for `home` (in the record of its own cell). */
  ringBound(home: number): number | undefined {
    const rec = this.record(home);
    const v = rec === undefined ? 0 : rec[this.baseOf(home) + RING]!;
    return v === 0 ? undefined : v - 1;
  }

  setRingBound(home: number, ring: number): void {
    this.recordFor(home)[this.baseOf(home) + RING] = ring + 1;
  }

  /** Every taken slot, cell by cell in spiral order (far-off cells last, as first occupied), row-major within a cell. */
  *entries(): IterableIterator<{ sx: number; sy: number; entry: SlotEntry }> {
    const n = this.cellSlots;
    const cells = n * n;
    const visit = function* (this: SlotGrid, key: number, rec: Int32Array, base: number) {
      const { cx, cy } = homeCellCoords(key);
      for (let i = 0; i < cells; i++) {
        const code = rec[base + HEAD + i]!;
        if (code === 0) continue;
        const entry = { id: this.idOf(code), accountHome: this.ownerOf(code), kind: this.kindOf(code) };
        yield { sx: cx * n + Math.floor(i / n) - this.half, sy: cy * n + (i % n) - this.half, entry };
      }
    };
    for (let c = 0; c < this.chunks.length; c++) {
      const rec = this.chunks[c];
      if (rec === undefined) continue;
      for (let j = 0; j < CHUNK_CELLS; j++) yield* visit.call(this, c * CHUNK_CELLS + j, rec, j * this.stride);
    }
    for (const key of this.sparseOrder) yield* visit.call(this, key, this.sparse.get(key)!, 0);
  }

  private recordFor(key: number): Int32Array {
    if (key < DENSE_LIMIT) {
      const c = key >>> CHUNK_SHIFT;
      // Fill any gap first so the array never turns into a sparse (dictionary-mode) one.
      while (this.chunks.length <= c) this.chunks.push(undefined);
      let rec = this.chunks[c];
      if (rec === undefined) {
        rec = new Int32Array(CHUNK_CELLS * this.stride);
        this.chunks[c] = rec;
      }
      return rec;
    }
    let rec = this.sparse.get(key);
    if (rec === undefined) {
      rec = new Int32Array(this.stride);
      this.sparse.set(key, rec);
    }
    return rec;
  }

  private newHandle(): number {
    if (this.freeHandles.length > 0) return this.freeHandles.pop()!;
    const h = this.ids.length;
    if (h >= MAX_HANDLES) throw new RangeError("too many post-its for one placement state");
    this.ids.push(undefined);
    if (h >= this.owners.length) {
      const grown = new Float64Array(this.owners.length * 2);
      grown.set(this.owners);
      this.owners = grown;
    }
    return h;
  }
}
