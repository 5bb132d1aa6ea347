/**
 * The viewer's budgets and thresholds in one place, like tldraw's options.ts: what the camera, the tile
 * loader and the level of detail promise, so a test or a bench can read the same numbers.
 */
export const BUDGETS = {
  /** Post-it side in wall units (the server's postit_size; the wall's own value wins when it differs). */
  postitSize: 200,
  /** Closest zoom: a post-it is at most this many CSS pixels wide. */
  maxPostitPx: 560,
  /** Items tiles (single post-its) are drawn from this on-screen post-it size up; aggregates below. */
  itemsFromPx: 20,
  /** Furthest zoom: never below this scale, whatever the wall's size. */
  minScaleFloor: 0.002,
  /** An aggregate tile should be about this many CSS pixels wide on screen. */
  aggregateTilePx: 420,
  /** Tiles asked in one getWallTiles request (the API's limit). */
  tilesPerRequest: 16,
  /** Batch requests in flight at once. */
  maxInFlight: 6,
  /** Wait this long after the view changes before asking for tiles. */
  fetchDebounceMs: 100,
  /** Cached tiles kept, as a multiple of the tiles in view. */
  cacheFactor: 5,
  /** The level of detail switches this long after the camera stops. */
  lodIdleMs: 100,
  /** URL updates wait for the view to rest this long (history.replaceState). */
  urlDebounceMs: 500,
  /** Device pixel ratio cap: fill rate on ultra-wide screens (excalidraw#7846). */
  maxResolution: 2,
  /** Textures one draw batch may sample (Pixi's default is the GPU's unit count, 16–32; see scene/gpu.ts). */
  maxBatchTextures: 4,
  /** Thumbnails loading at once. */
  maxThumbnailLoads: 4,
  /** Thumbnails kept decoded. */
  thumbnailCache: 160,
  /**
   * Strings' level of detail, by on-screen post-it size (CSS px), like sigma.js's edge thresholds: sagging
   * threads with round joins and a shadow from stringsPrettyFromPx up; below, thin plain lines of
   * stringsPlainSegments segments (stringsPlainPx wide, no shadow, no round joins); below stringsAllFromPx only
   * the highlighted tree's strings and the selected post-it's. While the camera moves below
   * stringsHideOnMoveBelowPx, only those are drawn too (hideEdgesOnMove).
   */
  stringsPrettyFromPx: 40,
  stringsAllFromPx: 28,
  stringsHideOnMoveBelowPx: 40,
  stringsPlainSegments: 4,
  stringsPlainPx: 1.2,
  /**
   * Below this camera scale the paper is one tiling layer (not two cross-faded octaves). A power of two: at an
   * octave's edge the finer layer covers the other, so the switch shows no seam.
   */
  paperOneLayerBelowScale: 0.25,
  /**
   * The canvas overhangs the view by this share of its larger side on each side (at most overscanMaxPx), so a pan
   * within that margin only slides it (scene/wallScene.ts). More margin: fewer redraws while panning, but each
   * redraw fills more pixels (8%: 1.3–1.45× the view's).
   */
  overscanFraction: 0.08,
  overscanMaxPx: 320,
  /** Hit radius for strings, in CSS pixels. */
  stringHitPx: 6,
  /** A press that moves further than this is a drag, not a click. */
  clickDistancePx: 5,
  /** Fly-to duration cap, ms. */
  flyMaxMs: 1400,
} as const;

/** Level-of-detail tiers by on-screen post-it size (CSS px), with hysteresis at each edge. */
export const LOD_EDGES = [24, 80, 180] as const;
export const LOD_HYSTERESIS = 0.12;

export const KINDS = ["text", "image", "voice", "video"] as const;
export type Kind = (typeof KINDS)[number];
