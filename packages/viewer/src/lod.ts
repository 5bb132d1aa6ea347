import { LOD_EDGES, LOD_HYSTERESIS } from "./budgets.js";

/** 0 flat square, 1 + kind icon, 2 + title, 3 + thumbnail. */
export type LodTier = 0 | 1 | 2 | 3;

/**
 * The tier for a post-it `px` CSS pixels wide. Near an edge the previous tier is kept (hysteresis), so a
 * view resting on a boundary does not flicker between two tiers.
 */
export function lodTier(px: number, previous?: LodTier): LodTier {
  let tier = 0;
  while (tier < LOD_EDGES.length && px >= LOD_EDGES[tier]!) tier++;
  if (previous !== undefined && previous !== tier) {
    const edge = LOD_EDGES[Math.min(previous, tier)]!;
    if (Math.abs(px - edge) < edge * LOD_HYSTERESIS) return previous;
  }
  return tier as LodTier;
}
