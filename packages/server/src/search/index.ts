export { decodeSearchCursor, encodeSearchCursor, searchScope, type SearchCursor } from "./cursor.js";
export { searchRows, type HitType, type SearchFilter, type SearchRow } from "./store.js";
export { parseSearchText, type SearchText } from "./text.js";
export { toSearchHit } from "./views.js";
