import type { WallBounds, WallInfo, WallLocation } from "@oto/sdk/schema";
import type { Db } from "../../db/types.js";
import { ApiError } from "../../problems.js";
import type { LiveWallIndex } from "../index/live.js";
import {
  AGGREGATE_GRID,
  ITEMS_TILE_SIZE,
  ITEMS_ZOOM,
  MAX_TILE_POSTITS,
  itemsTileOf,
  tileInWall,
} from "../index/scheme.js";
import { DEFAULT_LAYOUT, hashId, homeCell, homeCellCoords, homeCellSize } from "../placement/index.js";
import { buildAggregateTile, buildItemsTile } from "./build.js";
import { type CachedTile, TileCache } from "./cache.js";

export interface TileKey {
  z: number;
  x: number;
  y: number;
}

const BATCH_OPEN = Buffer.from('{"tiles":[');
const COMMA = Buffer.from(",");
const BATCH_CLOSE = Buffer.from("]}");

export const TILE_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=60";

const hex6 = (text: string) => (hashId(text) & 0xffffff).toString(16).padStart(6, "0");

/** Refuses a tile outside the pyramid or outside the wall's coordinate range (400, naming where it was given). */
export function checkTile(key: TileKey, location: string): void {
  if (!tileInWall(key.z, key.x, key.y)) {
    const detail = `${location}: tile ${key.z}/${key.x}/${key.y} is outside the wall (zoom 0–${ITEMS_ZOOM}, coordinates within ±2^31 wall units)`;
    throw new ApiError(400, "validation_failed", detail, { errors: [{ location, message: "is outside the wall" }] });
  }
}

/**
 * Serves the wall from the live index: tiles (serialized once and cached while their version holds), the wall's
 * geometry and extent, and where things are.
 */
export class WallTiles {
  readonly cache: TileCache;
  private readonly building = new Map<string, Promise<CachedTile>>();

  constructor(
    private readonly db: Db,
    private readonly live: LiveWallIndex,
    options: { cacheBytes: number },
  ) {
    this.cache = new TileCache(options.cacheBytes);
  }

  /** One tile, from the cache when its version has not moved. `mask`: kinds kept; `baseUrl`: for thumbnail links. */
  async tile(key: TileKey, mask: number, baseUrl: string): Promise<CachedTile> {
    const index = await this.live.current();
    const version = index.tileVersion(key.z, key.x, key.y);
    const cacheKey = `${key.z}/${key.x}/${key.y}|${mask}|${baseUrl}`;
    const hit = this.cache.get(cacheKey, version);
    if (hit) return hit;
    const flight = `${cacheKey}|${version}`;
    let pending = this.building.get(flight);
    if (!pending) {
      pending = this.build(key, mask, baseUrl, version).finally(() => this.building.delete(flight));
      this.building.set(flight, pending);
      pending.then((built) => this.cache.set(cacheKey, built)).catch(() => {});
    }
    return pending;
  }

  /**
   * Several tiles, in the order asked, as one `{"tiles":[…]}` document with an ETag covering them all. The document
   * is cached too (a viewer asks for the same viewport again and again): its version is the highest of its tiles',
   * which grows whenever any of them changes, since versions are wall change numbers.
   */
  async tiles(keys: readonly TileKey[], mask: number, baseUrl: string): Promise<CachedTile> {
    const index = await this.live.current();
    const version = keys.reduce((v, k) => Math.max(v, index.tileVersion(k.z, k.x, k.y)), 0);
    const cacheKey = `batch|${keys.map((k) => `${k.z}/${k.x}/${k.y}`).join(",")}|${mask}|${baseUrl}`;
    const hit = this.cache.get(cacheKey, version);
    if (hit) return hit;
    const tiles = await Promise.all(keys.map((key) => this.tile(key, mask, baseUrl)));
    const etag = `W/"tiles:${keys.length}:${hex6(tiles.map((t) => t.etag).join(","))}"`;
    const parts: Buffer[] = [BATCH_OPEN];
    tiles.forEach((t, i) => parts.push(...(i > 0 ? [COMMA, t.body] : [t.body])));
    parts.push(BATCH_CLOSE);
    const batch = { version, etag, body: Buffer.concat(parts) };
    this.cache.set(cacheKey, batch);
    return batch;
  }

  private async build(key: TileKey, mask: number, baseUrl: string, version: number): Promise<CachedTile> {
    const index = this.live.index;
    const etag = `W/"${key.z}/${key.x}/${key.y}:${version}:${hex6(`${mask}|${baseUrl}`)}"`;
    const head = { ...key, etag };
    // What the index holds is read synchronously, together with the version above: the pair stays consistent.
    const body =
      key.z === ITEMS_ZOOM
        ? await buildItemsTile(this.db, head, index.items(key.x, key.y, mask), mask, baseUrl)
        : await buildAggregateTile(this.db, head, index.aggregate(key.z, key.x, key.y, mask));
    return { version, etag, body: Buffer.from(JSON.stringify(body)) };
  }

  async info(): Promise<WallInfo> {
    const index = await this.live.current();
    const [accounts] = await this.db.query<{ n: number; last: number | null }>(
      "SELECT count(*)::int AS n, max(home_index) AS last FROM accounts",
    );
    const half = DEFAULT_LAYOUT.slotSize / 2;
    let bounds: WallBounds | null = null;
    const grow = (minX: number, minY: number, maxX: number, maxY: number) => {
      bounds = bounds
        ? {
            min_x: Math.min(bounds.min_x, minX),
            min_y: Math.min(bounds.min_y, minY),
            max_x: Math.max(bounds.max_x, maxX),
            max_y: Math.max(bounds.max_y, maxY),
          }
        : { min_x: minX, min_y: minY, max_x: maxX, max_y: maxY };
    };
    const centres = index.centres();
    if (centres) grow(centres.minX - half, centres.minY - half, centres.maxX + half, centres.maxY + half);
    if (accounts?.last !== null && accounts?.last !== undefined) {
      const homes = homesExtent(accounts.last);
      const size = homeCellSize(DEFAULT_LAYOUT);
      grow(homes.minX * size - half, homes.minY * size - half, homes.maxX * size + half, homes.maxY * size + half);
    }
    const types = index.typeCounts();
    return {
      slot_size: DEFAULT_LAYOUT.slotSize,
      postit_size: DEFAULT_LAYOUT.postItSize,
      items_zoom: ITEMS_ZOOM,
      items_tile_size: ITEMS_TILE_SIZE,
      aggregate_grid: AGGREGATE_GRID,
      max_tile_postits: MAX_TILE_POSTITS,
      bounds,
      counts: { accounts: accounts?.n ?? 0, agents: types.agents, creations: types.creations },
      version: index.version,
    };
  }

  /** Where a creation's or agent's post-it, or an account's home, is; undefined when it is not on the wall. */
  async locate(what: { creation?: string; agent?: string; handle?: string }): Promise<WallLocation | undefined> {
    const tileOf = (x: number, y: number) => {
      const { tx, ty } = itemsTileOf(x, y);
      return `${ITEMS_ZOOM}/${tx}/${ty}`;
    };
    if (what.handle !== undefined) {
      const [account] = await this.db.query<{ id: string; home_index: number }>(
        "SELECT id, home_index FROM accounts WHERE handle_lower = lower($1)",
        [what.handle],
      );
      if (!account) return undefined;
      const home = homeCell(account.home_index);
      return { type: "home", id: account.id, x: home.x, y: home.y, size: homeCellSize(DEFAULT_LAYOUT), tile: tileOf(home.x, home.y) };
    }
    const type = what.creation !== undefined ? "creation" : "agent";
    const id = what.creation ?? what.agent!;
    const [row] = await this.db.query<{ x: number; y: number }>("SELECT x, y FROM wall_postits WHERE id = $1 AND type = $2", [id, type]);
    if (!row) return undefined;
    return { type, id, x: row.x, y: row.y, size: DEFAULT_LAYOUT.postItSize, tile: tileOf(row.x, row.y) };
  }
}

/** The box, in home cells, of the homes handed out so far (spiral indices 0…last). */
export function homesExtent(last: number): { minX: number; minY: number; maxX: number; maxY: number } {
  const k = Math.ceil((Math.sqrt(last + 1) - 1) / 2); // the ring of the last home
  const full = Math.max(0, k - 1); // rings before it are complete
  const e = { minX: -full, minY: -full, maxX: full, maxY: full };
  for (let i = k === 0 ? 0 : (2 * k - 1) ** 2; i <= last; i++) {
    const { cx, cy } = homeCellCoords(i);
    e.minX = Math.min(e.minX, cx);
    e.minY = Math.min(e.minY, cy);
    e.maxX = Math.max(e.maxX, cx);
    e.maxY = Math.max(e.maxY, cy);
  }
  return e;
}
