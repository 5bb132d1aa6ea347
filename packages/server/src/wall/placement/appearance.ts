import { DEFAULT_LAYOUT, type WallLayout } from "./layout.js";

export type PostItKind = "agent" | "creation";

/** Golden shades for agents' post-its. */
export const AGENT_COLOURS = ["#f2c14e", "#e9b949", "#f5cd5b"] as const;
/** Standard sticky-note paper colours for creations. */
export const CREATION_COLOURS = ["#fff59d", "#ffd59e", "#f8bbd0", "#b3e5fc", "#c5e1a5", "#e1bee7"] as const;

/** 32-bit FNV-1a over the UTF-16 code units, finished with a murmur3 avalanche so nearby ids spread out. */
export function hashId(id: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Slight tilt in degrees, one decimal, in [-maxRotationDeg, maxRotationDeg], fixed by the id. */
export function rotationFor(id: string, layout: WallLayout = DEFAULT_LAYOUT): number {
  const unit = hashId(id, 0x5eed) / 0xffffffff;
  const deg = Math.round((unit * 2 - 1) * layout.maxRotationDeg * 10) / 10;
  return deg === 0 ? 0 : deg; // no -0 in stored JSON
}

export function colourFor(id: string, kind: PostItKind): string {
  const palette = kind === "agent" ? AGENT_COLOURS : CREATION_COLOURS;
  return palette[hashId(id, 0xc0105) % palette.length]!;
}
