import type { WallAggregateCell, WallAggregateTile, WallHighlight, WallItemsTile, WallPostIt, WallString } from "@oto/sdk/schema";
import type { Queryable } from "../../db/types.js";
import { DEFAULT_LAYOUT } from "../placement/index.js";
import { AGENT_BIT, AGGREGATE_GRID, KINDS, codeKept, kindOf, tileBounds, typeOf } from "../index/scheme.js";
import type { Aggregate, IndexedPostIt } from "../index/spatialIndex.js";
import { thumbnailUrl } from "../../creations/share.js";

export interface TileHead {
  z: number;
  x: number;
  y: number;
  etag: string;
}

function base(head: TileHead) {
  return { key: `${head.z}/${head.x}/${head.y}`, z: head.z, x: head.x, y: head.y, bounds: tileBounds(head.z, head.x, head.y), etag: head.etag };
}

interface DetailRow {
  seq: number;
  id: string;
  type: "creation" | "agent";
  kind: WallPostIt["kind"];
  x: number;
  y: number;
  rotation: number;
  colour: string;
  title: string;
  created_at: Date | string;
  string_colour: string | null;
  has_thumbnail: boolean;
  account_id: string;
  handle: string;
  display_name: string;
  forks: number;
}

interface StringRow {
  id: string;
  type: WallString["type"];
  colour: string;
  from_id: string;
  fx: number;
  fy: number;
  fkind: string;
  to_id: string;
  tx: number;
  ty: number;
  tkind: string;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

/**
 * An items tile: the post-its the index lists for it, with their details read in one query keyed by seq, then the
 * strings with an end among them whose two ends are both on the wall (and both of a kept kind) in a second one.
 */
export async function buildItemsTile(
  db: Queryable,
  head: TileHead,
  postits: readonly IndexedPostIt[],
  mask: number,
  baseUrl: string,
): Promise<WallItemsTile> {
  if (postits.length === 0) return { type: "items", ...base(head), postits: [], strings: [] };
  // Every lookup below is a LATERAL subquery (OFFSET 0 / UNION ALL keep the planner from flattening it): with an
  // array parameter of unknown size the planner would otherwise hash-join whole tables to find a tile's few rows.
  const details = await db.query<DetailRow>(
    `SELECT p.seq::float8 AS seq, p.id, p.type, p.kind, p.x, p.y, p.rotation, p.colour,
            d.title, d.created_at, d.string_colour, d.has_thumbnail, u.id AS account_id, u.handle, u.display_name,
            (SELECT count(*) FROM wall_strings f WHERE f.from_id = p.id)::int AS forks
       FROM wall_postits p
       JOIN LATERAL (SELECT id, handle, display_name FROM accounts WHERE id = p.account_id OFFSET 0) u ON true
       LEFT JOIN LATERAL (
         SELECT title, created_at, NULL::text AS string_colour, thumbnail_sha256 IS NOT NULL AS has_thumbnail
           FROM creations WHERE p.type = 'creation' AND id = p.id
         UNION ALL
         SELECT name, created_at, color, false FROM agents WHERE p.type = 'agent' AND id = p.id
       ) d ON true
      WHERE p.seq = ANY($1::bigint[])
      ORDER BY p.seq`,
    [postits.map((p) => p.seq)],
  );
  const strings =
    details.length === 0
      ? []
      : await db.query<StringRow>(
          `WITH touching AS (SELECT * FROM wall_strings WHERE from_id = ANY($1::text[])
                             UNION SELECT * FROM wall_strings WHERE to_id = ANY($1::text[]))
           SELECT t.id, t.type, t.colour, t.from_id, f.x AS fx, f.y AS fy, f.kind AS fkind,
                  t.to_id, o.x AS tx, o.y AS ty, o.kind AS tkind
             FROM touching t
             JOIN LATERAL (SELECT x, y, kind FROM wall_postits WHERE id = t.from_id OFFSET 0) f ON true
             JOIN LATERAL (SELECT x, y, kind FROM wall_postits WHERE id = t.to_id OFFSET 0) o ON true
            ORDER BY t.id`,
          [details.map((d) => d.id)],
        );
  const kept = (kind: string) => codeKept(KINDS.indexOf(kind as (typeof KINDS)[number]), mask);
  return {
    type: "items",
    ...base(head),
    postits: details
      .filter((d) => kept(d.kind))
      .map((d) => ({
        id: d.id,
        type: d.type,
        kind: d.kind,
        x: d.x,
        y: d.y,
        size: DEFAULT_LAYOUT.postItSize,
        rotation: d.rotation,
        colour: d.colour,
        string_colour: d.type === "agent" ? d.string_colour : null,
        title: d.title ?? "",
        author: { id: d.account_id, handle: d.handle, display_name: d.display_name },
        thumbnail_url: d.type === "creation" && d.has_thumbnail ? thumbnailUrl(baseUrl, d.id) : null,
        forks: d.forks,
        created_at: iso(d.created_at),
      })),
    strings: strings
      .filter((s) => kept(s.fkind) && kept(s.tkind))
      .map((s) => ({
        id: s.id,
        type: s.type,
        from: { id: s.from_id, x: s.fx, y: s.fy },
        to: { id: s.to_id, x: s.tx, y: s.ty },
        colour: s.colour,
      })),
  };
}

/** An aggregate tile from the index's counts, plus the titles of its highlights (one query). */
export async function buildAggregateTile(db: Queryable, head: TileHead, aggregate: Aggregate): Promise<WallAggregateTile> {
  const cells: WallAggregateCell[] = [];
  const { counts } = aggregate;
  for (let cell = 0; cell < AGGREGATE_GRID * AGGREGATE_GRID; cell++) {
    const o = cell * 8;
    let count = 0;
    let agents = 0;
    const kinds = { text: 0, image: 0, voice: 0, video: 0 };
    for (let code = 0; code < 8; code++) {
      const n = counts[o + code]!;
      if (n === 0) continue;
      count += n;
      if ((code & AGENT_BIT) !== 0) agents += n;
      kinds[kindOf(code)] += n;
    }
    if (count > 0) cells.push({ cx: cell % AGGREGATE_GRID, cy: Math.floor(cell / AGGREGATE_GRID), count, agents, kinds });
  }
  let highlights: WallHighlight[] = [];
  if (aggregate.highlights.length > 0) {
    const rows = await db.query<{ seq: number; id: string; title: string; colour: string; forks: number }>(
      `SELECT p.seq::float8 AS seq, p.id, coalesce(c.title, a.name, '') AS title, p.colour,
              (SELECT count(*) FROM wall_strings f WHERE f.from_id = p.id)::int AS forks
         FROM wall_postits p
         LEFT JOIN creations c ON p.type = 'creation' AND c.id = p.id
         LEFT JOIN agents a ON p.type = 'agent' AND a.id = p.id
        WHERE p.seq = ANY($1::bigint[])`,
      [aggregate.highlights.map((h) => h.seq)],
    );
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    highlights = aggregate.highlights.flatMap((h) => {
      const row = bySeq.get(h.seq);
      if (!row) return []; // unpinned since the index saw it; the next catch-up changes the tile's version
      return [{ id: row.id, type: typeOf(h.code), kind: kindOf(h.code), x: h.x, y: h.y, title: row.title, colour: row.colour, forks: row.forks }];
    });
  }
  return { type: "aggregate", ...base(head), grid: AGGREGATE_GRID, total: aggregate.total, cells, highlights };
}
