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

/** Per cell: 4 occupancy words (slot i is bit i&31 of word i>>5), then the home's ring bound + 1 (0 = none). */
const META = 5;
const RING = 4;
/** Spiral indices below this are dense (homes are handed out in order); rarer far-off ones go to Maps. */
const DENSE_LIMIT = 2 ** 24;

/**
 * Occupancy of the wall, per home cell (keyed by the cell's spiral index). What a placement reads — the cell's
 * occupancy bits and its home's ring bound — sits in one flat Int32Array, 20 bytes per cell, so a placement on a
 * wall of millions costs about one cache miss there plus one to record the entry, as on a wall of a thousand.
 * The entries themselves (id, owner, kind) are in a per-cell array only touched to store or read one. There is
 * deliberately no index by id (a string-keyed Map of millions costs several misses per lookup): callers address a
 * post-it by its stored position.
 */
export class SlotGrid {
  private meta = new Int32Array(META * 1024);
  private readonly slotsByCell: ((SlotEntry | undefined)[] | undefined)[] = [];
  private readonly sparseMeta = new Map<number, Int32Array>();
  private readonly sparseSlots = new Map<number, (SlotEntry | undefined)[]>();
  private readonly half: number;
  private count = 0;

  constructor(private readonly cellSlots: number) {
    if (cellSlots > MAX_CELL_SLOTS) throw new RangeError(`homeCellSlots must be at most ${MAX_CELL_SLOTS} (got ${cellSlots})`);
    this.half = (cellSlots - 1) / 2;
  }

  get size(): number {
    return this.count;
  }

  at(sx: number, sy: number): SlotEntry | undefined {
    const { key, i } = this.locate(sx, sy);
    return this.slotsOf(key, false)?.[i];
  }

  isFree(sx: number, sy: number): boolean {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    const key = homeIndexOfCell(cx, cy);
    const i = (sx - cx * n + this.half) * n + (sy - cy * n + this.half);
    if (key < DENSE_LIMIT) {
      const base = key * META;
      return base >= this.meta.length || (this.meta[base + (i >> 5)]! & (1 << (i & 31))) === 0;
    }
    const m = this.sparseMeta.get(key);
    return m === undefined || (m[i >> 5]! & (1 << (i & 31))) === 0;
  }

  occupy(sx: number, sy: number, entry: SlotEntry): void {
    const { key, i } = this.locate(sx, sy);
    const slots = this.slotsOf(key, true)!;
    if (slots[i] === undefined) this.count++;
    slots[i] = entry;
    const [m, base] = this.metaOf(key, true)!;
    m[base + (i >> 5)]! |= 1 << (i & 31);
  }

  release(sx: number, sy: number): void {
    const { key, i } = this.locate(sx, sy);
    const slots = this.slotsOf(key, false);
    if (slots?.[i] === undefined) return;
    slots[i] = undefined;
    const [m, base] = this.metaOf(key, false)!;
    m[base + (i >> 5)]! &= ~(1 << (i & 31));
    this.count--;
  }

  /** Ring bound kept for the home of cell (cx, cy). */
  ringBound(cx: number, cy: number): number | undefined {
    const key = homeIndexOfCell(cx, cy);
    let v: number;
    if (key < DENSE_LIMIT) {
      const base = key * META;
      v = base < this.meta.length ? this.meta[base + RING]! : 0;
    } else {
      v = this.sparseMeta.get(key)?.[RING] ?? 0;
    }
    return v === 0 ? undefined : v - 1;
  }

  setRingBound(cx: number, cy: number, ring: number): void {
    const [m, base] = this.metaOf(homeIndexOfCell(cx, cy), true)!;
    m[base + RING] = ring + 1;
  }

  /** Every taken slot, cell by cell in spiral order, then row-major within a cell. */
  *entries(): IterableIterator<{ sx: number; sy: number; entry: SlotEntry }> {
    const n = this.cellSlots;
    const cells: [number, (SlotEntry | undefined)[] | undefined][] = [...this.slotsByCell.entries(), ...this.sparseSlots.entries()];
    for (const [key, slots] of cells) {
      if (slots === undefined) continue;
      const { cx, cy } = homeCellCoords(key);
      for (let i = 0; i < slots.length; i++) {
        const entry = slots[i];
        if (entry !== undefined) yield { sx: cx * n + Math.floor(i / n) - this.half, sy: cy * n + (i % n) - this.half, entry };
      }
    }
  }

  private locate(sx: number, sy: number): { key: number; i: number } {
    const n = this.cellSlots;
    const cx = Math.round(sx / n);
    const cy = Math.round(sy / n);
    return { key: homeIndexOfCell(cx, cy), i: (sx - cx * n + this.half) * n + (sy - cy * n + this.half) };
  }

  private metaOf(key: number, create: boolean): [Int32Array, number] | undefined {
    if (key < DENSE_LIMIT) {
      const base = key * META;
      if (base >= this.meta.length) {
        if (!create) return undefined;
        let size = this.meta.length;
        while (size <= base) size *= 2;
        const grown = new Int32Array(size);
        grown.set(this.meta);
        this.meta = grown;
      }
      return [this.meta, base];
    }
    let m = this.sparseMeta.get(key);
    if (!m) {
      if (!create) return undefined;
      m = new Int32Array(META);
      this.sparseMeta.set(key, m);
    }
    return [m, 0];
  }

  private slotsOf(key: number, create: boolean): (SlotEntry | undefined)[] | undefined {
    const dense = key < DENSE_LIMIT;
    let slots = dense ? this.slotsByCell[key] : this.sparseSlots.get(key);
    if (!slots && create) {
      slots = new Array<SlotEntry | undefined>(this.cellSlots * this.cellSlots).fill(undefined);
      if (dense) {
        // Fill any gap first so the array never turns into a sparse (dictionary-mode) one.
        while (this.slotsByCell.length < key) this.slotsByCell.push(undefined);
        this.slotsByCell[key] = slots;
      } else {
        this.sparseSlots.set(key, slots);
      }
    }
    return slots;
  }
}
