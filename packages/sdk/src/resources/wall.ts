import type { ApiContext } from "../context.js";
import type { RequestOptions } from "../options.js";
import type { OutputKind, WallInfo, WallLocation, WallTile, WallTileBatch } from "../schema.js";
import type { FetchResult } from "../unwrap.js";

export interface TileOptions extends RequestOptions {
  /** Only post-its of these output kinds (and strings whose two ends are kept). */
  kinds?: OutputKind[];
  /** An earlier `etag`: the call then resolves to `null` when the content has not changed (304). */
  ifNoneMatch?: string;
}

/** A tile address: `"z/x/y"` or `[z, x, y]`. */
export type TileKey = string | readonly [number, number, number];

/** Exactly one of a creation id, an agent id or a handle. */
export type LocateTarget = { creation: string } | { agent: string } | { handle: string };

export interface WallApi {
  /** Geometry, tile scheme, bounds and counts of the wall. */
  info(options?: RequestOptions): Promise<WallInfo>;
  /** One tile: post-its and strings at `items_zoom`, an aggregate at coarser zooms. */
  tile(z: number, x: number, y: number, options: TileOptions & { ifNoneMatch: string }): Promise<WallTile | null>;
  tile(z: number, x: number, y: number, options?: Omit<TileOptions, "ifNoneMatch">): Promise<WallTile>;
  /** Up to 16 tiles in one request, in the order asked. */
  tiles(keys: readonly TileKey[], options: TileOptions & { ifNoneMatch: string }): Promise<WallTileBatch | null>;
  tiles(keys: readonly TileKey[], options?: Omit<TileOptions, "ifNoneMatch">): Promise<WallTileBatch>;
  /** Where a published creation, an agent's golden post-it or an account's home (by handle) is. */
  locate(target: LocateTarget, options?: RequestOptions): Promise<WallLocation>;
}

// The spec's array parameters (kinds, keys) are comma-separated, not repeated.
const COMMA_ARRAYS = { array: { style: "form", explode: false } } as const;

const tileKey = (key: TileKey): string => (typeof key === "string" ? key : key.join("/"));

export function wallApi(ctx: ApiContext): WallApi {
  /** 304 → null; anything else as usual. */
  async function revalidated<T>(pending: Promise<FetchResult<T>>): Promise<T | null> {
    const result = await pending;
    if (result.response.status === 304) return null;
    return ctx.unwrap(Promise.resolve(result));
  }
  const callInit = (o: TileOptions) => {
    const { kinds: _kinds, ifNoneMatch, ...requestOptions } = o;
    return ctx.init(requestOptions, ifNoneMatch === undefined ? {} : { headers: { "If-None-Match": ifNoneMatch } });
  };
  const kindsQuery = (o: TileOptions) => (o.kinds && o.kinds.length > 0 ? { kinds: [...o.kinds] } : {});

  return {
    info: (o) => ctx.unwrap(ctx.raw.GET("/v1/wall", ctx.init(o))),
    tile: ((z: number, x: number, y: number, o: TileOptions = {}) =>
      revalidated(
        ctx.raw.GET("/v1/wall/tiles/{z}/{x}/{y}", {
          params: { path: { z, x, y }, query: kindsQuery(o) },
          querySerializer: COMMA_ARRAYS,
          ...callInit(o),
        }),
      )) as WallApi["tile"],
    tiles: ((keys: readonly TileKey[], o: TileOptions = {}) =>
      revalidated(
        ctx.raw.GET("/v1/wall/tiles", {
          params: { query: { keys: keys.map(tileKey), ...kindsQuery(o) } },
          querySerializer: COMMA_ARRAYS,
          ...callInit(o),
        }),
      )) as WallApi["tiles"],
    locate: (target, o) => {
      const given = Object.entries(target).filter(([, value]) => value !== undefined);
      if (given.length !== 1) {
        return Promise.reject(new TypeError("locate: give exactly one of creation, agent or handle"));
      }
      // "@ada" and "ada" name the same account.
      const query = "handle" in target ? { handle: target.handle.replace(/^@/, "") } : target;
      return ctx.unwrap(ctx.raw.GET("/v1/wall/locate", { params: { query }, ...ctx.init(o) }));
    },
  };
}
