// Search rows as the API shows them (SearchHit).
import type { SearchHit } from "@oto/sdk/schema";
import { homeCell } from "../wall/placement/index.js";
import type { SearchRow } from "./store.js";
import { thumbnailUrl } from "../creations/share.js";

export function toSearchHit(row: SearchRow, baseUrl: string): SearchHit {
  if (row.type === "account") {
    return {
      type: "account",
      id: row.id,
      rank: row.rank,
      title: row.display_name,
      subtitle: `@${row.handle}`,
      kind: null,
      author: null,
      thumbnail_url: null,
      location: row.home_index === null ? null : homeCell(row.home_index),
    };
  }
  return {
    type: "creation",
    id: row.id,
    rank: row.rank,
    title: row.title,
    subtitle: `${row.kind} by @${row.handle}`,
    kind: row.kind,
    author: { id: row.account_id, handle: row.handle, display_name: row.display_name },
    thumbnail_url: row.has_thumbnail ? thumbnailUrl(baseUrl, row.id) : null,
    location: row.x === null || row.y === null ? null : { x: row.x, y: row.y },
  };
}
