import type { WallPlacement } from "@oto/sdk/schema";

/** The post-it columns a view query selects from `LEFT JOIN wall_postits <alias>` (all null when not pinned). */
export function placementColumns(alias: string): string {
  return `${alias}.x AS wall_x, ${alias}.y AS wall_y, ${alias}.rotation AS wall_rotation, ${alias}.colour AS wall_colour`;
}

export interface PlacementColumns {
  wall_x: number | null;
  wall_y: number | null;
  wall_rotation: number | null;
  wall_colour: string | null;
}

/** Where the row's post-it is pinned, or null (a draft, or an agent not on the wall). */
export function placementOf(row: PlacementColumns): WallPlacement | null {
  if (row.wall_x === null || row.wall_y === null || row.wall_rotation === null || row.wall_colour === null) return null;
  return { x: row.wall_x, y: row.wall_y, rotation: row.wall_rotation, colour: row.wall_colour };
}
