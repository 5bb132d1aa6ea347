/** Pure placement engine for the wall: homes on a spiral, post-its in balanced rings around them. */
export { DEFAULT_LAYOUT, homeCellSize, validateLayout, type WallLayout } from "./layout.js";
export { homeCell, homeCellCoords, homeIndexOfCell, type Cell, type Point } from "./spiral.js";
export { AGENT_COLOURS, CREATION_COLOURS, colourFor, hashId, rotationFor, type PostItKind } from "./appearance.js";
export { postItBounds, rectsOverlap, type Rect } from "./geometry.js";
export { SIDES, ringSideOf, ringSlot, type Side } from "./rings.js";
export {
  PlacementError,
  PlacementState,
  createPlacementState,
  placePostIt,
  restorePostIt,
  unplacePostIt,
  type PlaceRequest,
  type PostItRef,
  type Placement,
  type StoredPostIt,
} from "./engine.js";
