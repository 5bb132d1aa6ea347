// The search SQL: one ranked list over accounts and published creations, keyset-paged on (rank, id).
import type { Queryable } from "../db/types.js";
import type { OutputKind } from "../generation/provider.js";
import type { SearchCursor } from "./cursor.js";
import type { SearchText } from "./text.js";

export type HitType = "account" | "creation";

export interface SearchRow {
  type: HitType;
  id: string;
  rank: number;
  title: string;
  /** The account itself, or the creation's author. */
  account_id: string;
  handle: string;
  display_name: string;
  kind: OutputKind | null;
  has_thumbnail: boolean;
  /** Accounts: their home's spiral index. */
  home_index: number | null;
  /** Creations: the post-it's centre, when pinned. */
  x: number | null;
  y: number | null;
}

export interface SearchFilter {
  /** Only this type of hit (a kind implies creations). */
  type?: HitType | undefined;
  kind?: OutputKind | undefined;
}

/** The tsquery for one text-search configuration: the text, or the text OR (its head AND its last word as a prefix). */
function tsquery(config: "simple" | "english", full: number, prefix: { head: number; word: number } | null): string {
  const whole = `websearch_to_tsquery('${config}', $${full})`;
  if (prefix === null) return whole;
  const completed = `to_tsquery('${config}', quote_literal($${prefix.word}) || ':*')`;
  return `(${whole} || (websearch_to_tsquery('${config}', $${prefix.head}) && ${completed}))`;
}

/** Up to limit + 1 hits after the cursor, best first (rank descending, then id descending). */
export async function searchRows(
  q: Queryable,
  text: SearchText,
  filter: SearchFilter,
  limit: number,
  after: SearchCursor | undefined,
): Promise<SearchRow[]> {
  const params: unknown[] = [];
  const full = params.push(text.full);
  // Only parameters the SQL uses: PostgreSQL cannot type an unreferenced one.
  const prefix = text.prefix === null ? null : { head: params.push(text.head), word: params.push(text.prefix) };
  const withAccounts = filter.type !== "creation" && filter.kind === undefined;
  const withCreations = filter.type !== "account";

  const parts: string[] = [];
  if (withAccounts) {
    parts.push(`SELECT 'account' AS type, a.id, ts_rank(a.search_vector, q.aq) AS rank, a.display_name AS title,
        a.id AS account_id, a.handle, a.display_name, NULL::text AS kind, false AS has_thumbnail, a.home_index,
        NULL::integer AS x, NULL::integer AS y
      FROM accounts a CROSS JOIN q
      WHERE a.search_vector @@ q.aq`);
  }
  if (withCreations) {
    const kind = filter.kind === undefined ? "" : ` AND c.kind = $${params.push(filter.kind)}`;
    parts.push(`SELECT 'creation' AS type, c.id, ts_rank(c.search_vector, q.cq) AS rank, c.title,
        a.id AS account_id, a.handle, a.display_name, c.kind, c.thumbnail_sha256 IS NOT NULL AS has_thumbnail,
        NULL::integer AS home_index, p.x, p.y
      FROM creations c JOIN accounts a ON a.id = c.account_id LEFT JOIN wall_postits p ON p.id = c.id CROSS JOIN q
      WHERE c.state = 'published' AND c.search_vector @@ q.cq${kind}`);
  }
  const where: string[] = [];
  if (after) {
    const rank = params.push(String(after.rank));
    const id = params.push(after.id);
    where.push(`(hits.rank, hits.id) < ($${rank}::real, $${id}::text)`);
  }
  const limitParam = params.push(limit + 1);
  return q.query<SearchRow>(
    `WITH q AS (SELECT ${tsquery("simple", full, prefix)} AS aq, ${tsquery("english", full, prefix)} AS cq)
     SELECT hits.* FROM (${parts.join(" UNION ALL ")}) AS hits
     ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY hits.rank DESC, hits.id DESC
     LIMIT $${limitParam}`,
    params,
  );
}
