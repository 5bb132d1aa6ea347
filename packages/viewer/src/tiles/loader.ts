import type { WallTile } from "@oto/sdk/schema";
import { Lru } from "./lru.js";

export interface TileLoaderOptions {
  fetchTiles(keys: string[], signal: AbortSignal): Promise<WallTile[]>;
  /** Called for each tile that arrives (also refreshed ones). */
  onTile(tile: WallTile): void;
  /** Called when a cached tile is dropped. */
  onEvict?(key: string): void;
  batchSize: number;
  maxInFlight: number;
  debounceMs: number;
  /**
   * While want() keeps being called (a continuous pan calls it every frame), fetch at least this often: the
   * debounce never holds a request back longer than this after the first unanswered change. Default 1.5×debounceMs.
   */
  maxWaitMs?: number;
  cacheFactor: number;
  /** A cached tile older than this is asked again when it is wanted (shown meanwhile). */
  staleMs?: number;
  now?(): number;
}

interface Batch {
  keys: string[];
  controller: AbortController;
}

interface Cached {
  tile: WallTile;
  at: number;
}

/**
 * Loads the tiles the view wants: batched (≤ batchSize keys a request), debounced, at most maxInFlight
 * requests at once, requests whose tiles all left the view aborted, results kept in an LRU sized to a
 * multiple of the view. The work per call is proportional to the tiles wanted, never to the wall.
 */
export class TileLoader {
  private readonly cache: Lru<string, Cached>;
  private wanted = new Set<string>();
  private order: string[] = [];
  private readonly inFlight = new Set<Batch>();
  private readonly loading = new Set<string>();
  private readonly failedUntil = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the oldest want() not yet dispatched came (undefined: none pending). */
  private pendingSince: number | undefined;
  /** Counters for tests and the bench. */
  readonly stats = { requests: 0, aborted: 0, tiles: 0, maxInFlight: 0, maxBatch: 0 };

  constructor(private readonly options: TileLoaderOptions) {
    this.cache = new Lru<string, Cached>(64, (key) => options.onEvict?.(key));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The tile if it is cached (without fetching). */
  get(key: string): WallTile | undefined {
    return this.cache.peek(key)?.tile;
  }

  isLoading(key: string): boolean {
    return this.loading.has(key);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Nothing in flight and no fetch waiting for its debounce. */
  get idle(): boolean {
    return this.inFlight.size === 0 && this.pendingSince === undefined;
  }

  /** Sets the tiles the view needs, in priority order (nearest the centre first). */
  want(keys: string[]): void {
    this.wanted = new Set(keys);
    this.order = keys;
    this.cache.capacity = Math.max(64, keys.length * this.options.cacheFactor);
    for (const key of keys) this.cache.get(key); // touch: recently wanted tiles are the last evicted
    this.cache.trim(this.wanted);
    for (const batch of [...this.inFlight]) {
      if (batch.keys.some((key) => this.wanted.has(key))) continue;
      batch.controller.abort();
      this.stats.aborted++;
    }
    // Debounce with a max wait (lodash's maxWait): each call pushes the fetch back by debounceMs, but never past
    // maxWaitMs after the first call still unanswered, so a continuous pan fetches as it goes instead of only
    // once the user pauses.
    const now = this.now();
    this.pendingSince ??= now;
    const maxWait = this.options.maxWaitMs ?? this.options.debounceMs * 1.5;
    const delay = Math.max(0, Math.min(this.options.debounceMs, this.pendingSince + maxWait - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.pendingSince = undefined;
      this.dispatch();
    }, delay);
  }

  /** Forgets every cached tile (the wall changed under us). */
  invalidate(): void {
    for (const entry of this.cache.values()) entry.at = -Infinity;
    this.want(this.order);
  }

  private needsFetch(key: string, now: number): boolean {
    if (this.loading.has(key)) return false;
    if ((this.failedUntil.get(key) ?? 0) > now) return false;
    const cached = this.cache.peek(key);
    return !cached || now - cached.at > (this.options.staleMs ?? 60_000);
  }

  private dispatch(): void {
    const now = this.now();
    const queue = this.order.filter((key) => this.needsFetch(key, now));
    while (queue.length > 0 && this.inFlight.size < this.options.maxInFlight) {
      this.send(queue.splice(0, this.options.batchSize));
    }
  }

  private send(keys: string[]): void {
    const batch: Batch = { keys, controller: new AbortController() };
    this.inFlight.add(batch);
    for (const key of keys) this.loading.add(key);
    this.stats.requests++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight.size);
    this.stats.maxBatch = Math.max(this.stats.maxBatch, keys.length);
    this.options
      .fetchTiles(keys, batch.controller.signal)
      .then((tiles) => {
        const at = this.now();
        for (const tile of tiles) {
          this.cache.set(tile.key, { tile, at });
          this.stats.tiles++;
          this.options.onTile(tile);
        }
        this.cache.trim(this.wanted);
      })
      .catch(() => {
        if (batch.controller.signal.aborted) return;
        const retryAt = this.now() + 2000;
        for (const key of keys) this.failedUntil.set(key, retryAt);
        setTimeout(() => this.dispatch(), 2100);
      })
      .finally(() => {
        this.inFlight.delete(batch);
        for (const key of keys) this.loading.delete(key);
        this.dispatch();
      });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pendingSince = undefined;
    for (const batch of this.inFlight) batch.controller.abort();
    this.cache.clear();
  }
}
