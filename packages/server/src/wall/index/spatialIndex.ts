import {
  AGENT_BIT,
  AGGREGATE_GRID,
  ITEMS_ZOOM,
  ITEMS_TILE_SIZE,
  type Code,
  codeKept,
  packTile,
  tileSize,
} from "./scheme.js";

/** One post-it as the index keeps it: no text, no object per post-it inside the index itself. */
export interface IndexedPostIt {
  /** wall_postits.seq: the row's numeric handle (ids and details are read from the database by it). */
  seq: number;
  x: number;
  y: number;
  code: Code;
  /** hashtext(id): finds a post-it whose row is gone (a removal names the id only). */
  hash: number;
  /** Published forks of a creation ("forked from" strings leaving it): ranks creations in highlights. */
  forks: number;
}

// Each items tile keeps its post-its in one Int32Array, STRIDE numbers per post-it.
const STRIDE = 6;
const SEQ = 0;
const X = 1;
const Y = 2;
const CODE = 3;
const HASH = 4;
const FORKS = 5;
const CODES = 8;
export const MAX_HIGHLIGHTS = 64;

class Bucket {
  n = 0;
  data = new Int32Array(STRIDE * 8);
  /** Post-its per code (type · 4 + kind). */
  readonly counts = new Int32Array(CODES);
  /** Highlight candidates in rank order (agents, and creations someone forked), rebuilt after a change. */
  ranked: IndexedPostIt[] | null = null;

  constructor(
    readonly tx: number,
    readonly ty: number,
  ) {}

  indexOf(seq: number): number {
    const d = this.data;
    for (let i = 0, o = SEQ; i < this.n; i++, o += STRIDE) if (d[o]! >>> 0 === seq) return i;
    return -1;
  }

  at(i: number): IndexedPostIt {
    const d = this.data;
    const o = i * STRIDE;
    return { seq: d[o + SEQ]! >>> 0, x: d[o + X]!, y: d[o + Y]!, code: d[o + CODE]!, hash: d[o + HASH]!, forks: d[o + FORKS]! };
  }

  push(p: IndexedPostIt): void {
    if ((this.n + 1) * STRIDE > this.data.length) {
      const grown = new Int32Array(Math.min(this.data.length * 2, this.data.length + STRIDE * 256));
      grown.set(this.data);
      this.data = grown;
    }
    const d = this.data;
    const o = this.n * STRIDE;
    d[o + SEQ] = p.seq;
    d[o + X] = p.x;
    d[o + Y] = p.y;
    d[o + CODE] = p.code;
    d[o + HASH] = p.hash;
    d[o + FORKS] = p.forks;
    this.n++;
    this.counts[p.code]!++;
    this.ranked = null;
  }

  /** Removes entry i by moving the last one into its place. */
  removeAt(i: number): void {
    const d = this.data;
    this.counts[d[i * STRIDE + CODE]!]!--;
    const last = (this.n - 1) * STRIDE;
    d.copyWithin(i * STRIDE, last, last + STRIDE);
    this.n--;
    this.ranked = null;
    // Give memory back when a tile empties out a lot (unpublishing in bulk).
    if (this.data.length > STRIDE * 32 && this.n * STRIDE * 4 < this.data.length) this.data = this.data.slice(0, this.n * STRIDE * 2);
  }

  /** Shrinks the array to its content plus a little room (after the start-up build). */
  trim(): void {
    const want = Math.max(STRIDE * 4, Math.ceil(this.n * 1.125) * STRIDE);
    if (this.data.length > want) this.data = this.data.slice(0, want);
  }
}

/** Highlight order: golden agents first (oldest first), then the most forked creations (oldest first among equals). */
function rank(a: IndexedPostIt, b: IndexedPostIt): number {
  return (b.code & AGENT_BIT) - (a.code & AGENT_BIT) || ((a.code & AGENT_BIT) === 0 ? b.forks - a.forks : 0) || a.seq - b.seq;
}

export interface Aggregate {
  total: number;
  /** Post-its per cell and code: counts[(cy · grid + cx) · 8 + code]. */
  counts: Int32Array;
  highlights: IndexedPostIt[];
}

export interface Extent {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * The wall's post-its in memory, bucketed by items tile (zoom 12): per tile a typed array of positions and codes,
 * kind counts kept as post-its come and go (aggregate tiles add those up instead of visiting post-its), and a
 * version per tile at every zoom. It knows nothing of the database: `live.ts` feeds it.
 *
 * Versions are wall_changes sequence numbers (the last change that touched the tile, or the change the index was
 * built at), so two processes that have seen the same changes give a tile the same version and the same ETag.
 */
export class WallIndex {
  private readonly buckets = new Map<number, Bucket>();
  private readonly versions: Map<number, number>[] = Array.from({ length: ITEMS_ZOOM + 1 }, () => new Map());
  /** Post-its on the wall per code. */
  readonly totals = new Int32Array(CODES);
  private count = 0;
  private extent: Extent | null = null;
  private extentStale = false;
  /** The last wall change applied (the wall's version). */
  version = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a post-it; false when its seq is already in its tile (a change seen twice; not checked for `fresh` rows). */
  insert(p: IndexedPostIt, fresh = false): boolean {
    if (!Number.isInteger(p.seq) || p.seq < 1 || p.seq >= 2 ** 32) throw new RangeError(`seq out of range: ${p.seq}`);
    const tx = Math.floor(p.x / ITEMS_TILE_SIZE);
    const ty = Math.floor(p.y / ITEMS_TILE_SIZE);
    const key = packTile(tx, ty);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Bucket(tx, ty);
      this.buckets.set(key, bucket);
    } else if (!fresh && bucket.indexOf(p.seq) >= 0) {
      return false;
    }
    bucket.push(p);
    this.totals[p.code]!++;
    this.count++;
    if (!this.extentStale) {
      const e = this.extent;
      if (e === null) this.extent = { minX: p.x, minY: p.y, maxX: p.x, maxY: p.y };
      else {
        e.minX = Math.min(e.minX, p.x);
        e.minY = Math.min(e.minY, p.y);
        e.maxX = Math.max(e.maxX, p.x);
        e.maxY = Math.max(e.maxY, p.y);
      }
    }
    return true;
  }

  /** The post-it with this seq, looked for in the tile holding (x, y). */
  get(x: number, y: number, seq: number): IndexedPostIt | undefined {
    const bucket = this.bucketAt(x, y);
    const i = bucket ? bucket.indexOf(seq) : -1;
    return i >= 0 ? bucket!.at(i) : undefined;
  }

  /** Takes a post-it off; false when it was not there. */
  remove(x: number, y: number, seq: number): boolean {
    const key = packTile(Math.floor(x / ITEMS_TILE_SIZE), Math.floor(y / ITEMS_TILE_SIZE));
    const bucket = this.buckets.get(key);
    const i = bucket ? bucket.indexOf(seq) : -1;
    if (i < 0) return false;
    const code = bucket!.data[i * STRIDE + CODE]!;
    bucket!.removeAt(i);
    if (bucket!.n === 0) this.buckets.delete(key);
    this.totals[code]!--;
    this.count--;
    const e = this.extent;
    if (this.count === 0) {
      this.extent = null;
      this.extentStale = false;
    } else if (e && (x === e.minX || x === e.maxX || y === e.minY || y === e.maxY)) {
      this.extentStale = true;
    }
    return true;
  }

  /** Sets a post-it's forks count; false when it is not there. */
  setForks(x: number, y: number, seq: number, forks: number): boolean {
    const bucket = this.bucketAt(x, y);
    const i = bucket ? bucket.indexOf(seq) : -1;
    if (i < 0) return false;
    if (bucket!.data[i * STRIDE + FORKS] !== forks) {
      bucket!.data[i * STRIDE + FORKS] = forks;
      bucket!.ranked = null;
    }
    return true;
  }

  /** Every post-it whose id hash is in `hashes` (a scan of the whole wall: only removals need it). */
  withHashes(hashes: ReadonlySet<number>): IndexedPostIt[] {
    const found: IndexedPostIt[] = [];
    if (hashes.size === 0) return found;
    for (const bucket of this.buckets.values()) {
      const d = bucket.data;
      for (let i = 0, o = HASH; i < bucket.n; i++, o += STRIDE) if (hashes.has(d[o]!)) found.push(bucket.at(i));
    }
    return found;
  }

  /** Marks the tile holding (x, y), and every tile above it, as changed by wall change `version`. */
  touch(x: number, y: number, version: number): void {
    const tx = Math.floor(x / ITEMS_TILE_SIZE);
    const ty = Math.floor(y / ITEMS_TILE_SIZE);
    for (let z = ITEMS_ZOOM, shift = 0; z >= 0; z--, shift++) this.versions[z]!.set(packTile(tx >> shift, ty >> shift), version);
  }

  /** After a bulk load: every occupied tile gets `version`, and arrays are trimmed to size. */
  finishBuild(version: number): void {
    for (const bucket of this.buckets.values()) {
      bucket.trim();
      for (let z = ITEMS_ZOOM, shift = 0; z >= 0; z--, shift++) this.versions[z]!.set(packTile(bucket.tx >> shift, bucket.ty >> shift), version);
    }
    this.version = version;
  }

  /** The version of tile (z, x, y): the last change inside it (0 for a part of the wall never used). */
  tileVersion(z: number, x: number, y: number): number {
    return this.versions[z]?.get(packTile(x, y)) ?? 0;
  }

  /** The post-its of items tile (x, y) whose kind is in `mask`, in pinning order. */
  items(x: number, y: number, mask: number): IndexedPostIt[] {
    const bucket = this.buckets.get(packTile(x, y));
    if (!bucket) return [];
    const out: IndexedPostIt[] = [];
    const d = bucket.data;
    for (let i = 0; i < bucket.n; i++) if (codeKept(d[i * STRIDE + CODE]!, mask)) out.push(bucket.at(i));
    return out.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Aggregate of tile (z, x, y), z < ITEMS_ZOOM: counts per grid cell and code, and highlights. From zoom 8 down a
   * cell covers whole items tiles, so only their kept counts are added up; at zooms 9–11 a cell is smaller than an
   * items tile and the few tiles covered (at most 64) are read post-it by post-it.
   */
  aggregate(z: number, x: number, y: number, mask: number): Aggregate {
    const grid = AGGREGATE_GRID;
    const counts = new Int32Array(grid * grid * CODES);
    const shift = ITEMS_ZOOM - z;
    const span = 2 ** shift; // items tiles per side
    const x0 = x * span;
    const y0 = y * span;
    const cellSize = tileSize(z) / grid;
    const minX = x * tileSize(z);
    const minY = y * tileSize(z);
    const candidates: IndexedPostIt[] = [];
    let total = 0;
    const visit = (bucket: Bucket) => {
      if (span >= grid) {
        const per = span / grid; // items tiles per cell side
        const cell = Math.floor((bucket.ty - y0) / per) * grid + Math.floor((bucket.tx - x0) / per);
        for (let c = 0; c < CODES; c++) {
          const n = bucket.counts[c]!;
          if (n > 0 && codeKept(c, mask)) {
            counts[cell * CODES + c]! += n;
            total += n;
          }
        }
      } else {
        const d = bucket.data;
        for (let i = 0, o = 0; i < bucket.n; i++, o += STRIDE) {
          const code = d[o + CODE]!;
          if (!codeKept(code, mask)) continue;
          const cell = Math.floor((d[o + Y]! - minY) / cellSize) * grid + Math.floor((d[o + X]! - minX) / cellSize);
          counts[cell * CODES + code]!++;
          total++;
        }
      }
      let taken = 0;
      for (const p of rankedOf(bucket)) {
        if (taken === MAX_HIGHLIGHTS) break;
        if (codeKept(p.code, mask)) {
          candidates.push(p);
          taken++;
        }
      }
    };
    if (span * span <= this.buckets.size) {
      for (let tx = x0; tx < x0 + span; tx++) {
        for (let ty = y0; ty < y0 + span; ty++) {
          const bucket = this.buckets.get(packTile(tx, ty));
          if (bucket) visit(bucket);
        }
      }
    } else {
      for (const bucket of this.buckets.values()) {
        if (bucket.tx >= x0 && bucket.tx < x0 + span && bucket.ty >= y0 && bucket.ty < y0 + span) visit(bucket);
      }
    }
    candidates.sort(rank);
    return { total, counts, highlights: candidates.slice(0, MAX_HIGHLIGHTS) };
  }

  /** Post-its per type on the wall. */
  typeCounts(): { agents: number; creations: number } {
    let agents = 0;
    for (let c = AGENT_BIT; c < CODES; c++) agents += this.totals[c]!;
    return { agents, creations: this.count - agents };
  }

  /** The box of every post-it centre, or null on an empty wall. */
  centres(): Extent | null {
    if (this.extentStale) {
      this.extentStale = false;
      this.extent = null;
      for (const bucket of this.buckets.values()) {
        const d = bucket.data;
        for (let o = 0; o < bucket.n * STRIDE; o += STRIDE) {
          const px = d[o + X]!;
          const py = d[o + Y]!;
          const e = this.extent;
          if (e === null) this.extent = { minX: px, minY: py, maxX: px, maxY: py };
          else {
            if (px < e.minX) e.minX = px;
            if (px > e.maxX) e.maxX = px;
            if (py < e.minY) e.minY = py;
            if (py > e.maxY) e.maxY = py;
          }
        }
      }
    }
    return this.extent && { ...this.extent };
  }

  /** Every post-it, in seq order (tests compare an index with one rebuilt from scratch). */
  all(): IndexedPostIt[] {
    const out: IndexedPostIt[] = [];
    for (const bucket of this.buckets.values()) for (let i = 0; i < bucket.n; i++) out.push(bucket.at(i));
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Bytes held by the post-it arrays and kind counts (the part that grows with the wall), and the tiles in use. */
  footprint(): { arrayBytes: number; tiles: number } {
    let arrayBytes = 0;
    for (const bucket of this.buckets.values()) arrayBytes += bucket.data.byteLength + bucket.counts.byteLength;
    return { arrayBytes, tiles: this.buckets.size };
  }

  /** Tiles at items zoom that hold something (tests, benches). */
  occupiedTiles(): { x: number; y: number; count: number }[] {
    return [...this.buckets.values()].map((b) => ({ x: b.tx, y: b.ty, count: b.n }));
  }

  private bucketAt(x: number, y: number): Bucket | undefined {
    return this.buckets.get(packTile(Math.floor(x / ITEMS_TILE_SIZE), Math.floor(y / ITEMS_TILE_SIZE)));
  }
}

function rankedOf(bucket: Bucket): IndexedPostIt[] {
  if (bucket.ranked === null) {
    const list: IndexedPostIt[] = [];
    const d = bucket.data;
    for (let i = 0, o = 0; i < bucket.n; i++, o += STRIDE) {
      if ((d[o + CODE]! & AGENT_BIT) !== 0 || d[o + FORKS]! > 0) list.push(bucket.at(i));
    }
    bucket.ranked = list.sort(rank);
  }
  return bucket.ranked;
}
