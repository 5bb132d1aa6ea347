/**
 * The tile pyramid (fixed by openapi.yaml; the viewer depends on it). Tile (z, x, y) covers
 * [x·S, (x+1)·S) × [y·S, (y+1)·S) with S = ITEMS_TILE_SIZE · 2^(ITEMS_ZOOM − z); a post-it belongs to the tile
 * holding its centre. At ITEMS_ZOOM a tile lists post-its; coarser tiles are aggregates on an AGGREGATE_GRID².
 */
import { DEFAULT_LAYOUT } from "../placement/index.js";

export const ITEMS_ZOOM = 12;
/** 16 slots of 240 units. */
export const ITEMS_TILE_SIZE = 16 * DEFAULT_LAYOUT.slotSize;
export const AGGREGATE_GRID = 16;
export const MAX_TILE_POSTITS = (ITEMS_TILE_SIZE / DEFAULT_LAYOUT.slotSize) ** 2;
/** Positions are stored as PostgreSQL `integer`: a tile must lie inside [-2^31, 2^31]. */
const WALL_LIMIT = 2 ** 31;

export const KINDS = ["text", "image", "voice", "video"] as const;
export type Kind = (typeof KINDS)[number];
export const ALL_KINDS = 0b1111;

/** A post-it's code in the index: type (0 creation, 1 agent) · 4 + kind index. */
export type Code = number;
export const AGENT_BIT = 4;
export function codeOf(type: "creation" | "agent", kind: Kind): Code {
  return (type === "agent" ? AGENT_BIT : 0) + KINDS.indexOf(kind);
}
export const kindOf = (code: Code): Kind => KINDS[code & 3]!;
export const typeOf = (code: Code): "creation" | "agent" => ((code & AGENT_BIT) !== 0 ? "agent" : "creation");

export function tileSize(z: number): number {
  return ITEMS_TILE_SIZE * 2 ** (ITEMS_ZOOM - z);
}

/** Tiles whose every point fits a stored position; others cannot hold anything and are refused. */
export function tileInWall(z: number, x: number, y: number): boolean {
  if (!Number.isInteger(z) || z < 0 || z > ITEMS_ZOOM || !Number.isInteger(x) || !Number.isInteger(y)) return false;
  const s = tileSize(z);
  return x * s >= -WALL_LIMIT && (x + 1) * s <= WALL_LIMIT && y * s >= -WALL_LIMIT && (y + 1) * s <= WALL_LIMIT;
}

export function tileBounds(z: number, x: number, y: number): { min_x: number; min_y: number; max_x: number; max_y: number } {
  const s = tileSize(z);
  return { min_x: x * s, min_y: y * s, max_x: (x + 1) * s, max_y: (y + 1) * s };
}

/** The items tile holding a point. */
export function itemsTileOf(x: number, y: number): { tx: number; ty: number } {
  return { tx: Math.floor(x / ITEMS_TILE_SIZE), ty: Math.floor(y / ITEMS_TILE_SIZE) };
}

// Tile coordinates at any zoom stay within ±2^20 (2^31 / 3840 < 2^20), so (x, y) packs into one safe integer.
const OFFSET = 2 ** 20;
const SPAN = 2 ** 21;
export function packTile(x: number, y: number): number {
  return (x + OFFSET) * SPAN + (y + OFFSET);
}
export function unpackTile(key: number): { x: number; y: number } {
  const y = (key % SPAN) - OFFSET;
  return { x: Math.round((key - (y + OFFSET)) / SPAN) - OFFSET, y };
}

/** Bit mask of the kinds asked for (all of them when absent). */
export function kindsMask(kinds: readonly string[] | undefined): number {
  if (!kinds || kinds.length === 0) return ALL_KINDS;
  let mask = 0;
  for (const kind of kinds) {
    const i = KINDS.indexOf(kind as Kind);
    if (i >= 0) mask |= 1 << i;
  }
  return mask === 0 ? ALL_KINDS : mask;
}

export const codeKept = (code: Code, mask: number): boolean => (mask & (1 << (code & 3))) !== 0;
