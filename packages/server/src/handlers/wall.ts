import { baseUrlFor } from "../creations/share.js";
import { matchesIfNoneMatch } from "../creations/fileResponse.js";
import { ApiError } from "../problems.js";
import { kindsMask } from "../wall/index/scheme.js";
import { TILE_CACHE_CONTROL, type TileKey, type WallTiles, checkTile } from "../wall/tiles/service.js";
import type { Handler } from "./types.js";

export interface WallDeps {
  wallTiles: WallTiles;
  publicUrl?: string | undefined;
}

const JSON_TYPE = "application/json; charset=utf-8";
// If-None-Match compares weakly: the tag without its W/ prefix.
const opaque = (etag: string) => etag.replace(/^W\//, "");

/**
 * Tiles are serialized once and cached as UTF-8 JSON bytes, so the handler answers those bytes as is (Fastify sends
 * a Buffer unchanged; the response checker still parses and checks it in tests). The cast says so to the type
 * checker, which expects the schema's object.
 */
const preSerialized = <T>(json: Buffer): T => json as unknown as T;

export function wallHandlers(deps: WallDeps): {
  getWall: Handler<"getWall">;
  getWallTile: Handler<"getWallTile">;
  getWallTiles: Handler<"getWallTiles">;
  locateOnWall: Handler<"locateOnWall">;
} {
  const { wallTiles } = deps;
  return {
    async getWall({ reply }) {
      reply.header("cache-control", TILE_CACHE_CONTROL);
      return { status: 200, body: await wallTiles.info() };
    },

    async getWallTile({ params, query, request, reply }) {
      const key: TileKey = { z: params.z, x: params.x, y: params.y };
      checkTile(key, "path");
      const tile = await wallTiles.tile(key, kindsMask(query.kinds), baseUrlFor(request, deps.publicUrl));
      reply.header("etag", tile.etag).header("cache-control", TILE_CACHE_CONTROL);
      if (matchesIfNoneMatch(request.headers["if-none-match"], opaque(tile.etag))) return { status: 304, body: undefined };
      reply.header("content-type", JSON_TYPE);
      return { status: 200, body: preSerialized(tile.body) };
    },

    async getWallTiles({ query, request, reply }) {
      const keys = query.keys.map((text, i): TileKey => {
        const [z, x, y] = text.split("/").map(Number) as [number, number, number];
        const key = { z, x, y };
        checkTile(key, `query/keys/${i}`);
        return key;
      });
      const batch = await wallTiles.tiles(keys, kindsMask(query.kinds), baseUrlFor(request, deps.publicUrl));
      reply.header("etag", batch.etag).header("cache-control", TILE_CACHE_CONTROL);
      if (matchesIfNoneMatch(request.headers["if-none-match"], opaque(batch.etag))) return { status: 304, body: undefined };
      reply.header("content-type", JSON_TYPE);
      return { status: 200, body: preSerialized(batch.body) };
    },

    async locateOnWall({ query }) {
      const given = (["creation", "agent", "handle"] as const).filter((name) => query[name] !== undefined);
      if (given.length !== 1) {
        const detail =
          given.length === 0
            ? "query: give one of creation, agent or handle"
            : `query: give only one of creation, agent or handle (got ${given.join(" and ")})`;
        throw new ApiError(400, "validation_failed", detail, {
          errors: [{ location: "query", message: "needs exactly one of creation, agent, handle" }],
        });
      }
      const location = await wallTiles.locate(query);
      if (!location) throw new ApiError(404, "not_found", `No ${given[0]} ${JSON.stringify(query[given[0]!])} on the wall.`);
      return { status: 200, body: location };
    },
  };
}
