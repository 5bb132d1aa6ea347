// SQL for lineage (a creation's chain of first sources, oldest first) and trees (everything forked from a
// creation, breadth-first). Visibility: published creations for everyone, drafts for their author only.
import type { Queryable } from "../db/types.js";
import type { OutputKind } from "../generation/provider.js";

export interface SummaryRow {
  id: string;
  account_id: string;
  kind: OutputKind;
  title: string;
  prompt: string;
  agent_ids: string[];
  source_ids: string[];
  state: "draft" | "published";
  published_at: Date | null;
  created_at: Date;
  thumbnail_sha256: string | null;
  author_handle: string;
  author_display_name: string;
}

const SUMMARY = `c.id, c.account_id, c.kind, c.title, c.prompt, c.agent_ids, c.source_ids, c.state, c.published_at,
  c.created_at, c.thumbnail_sha256, a.handle AS author_handle, a.display_name AS author_display_name`;

/** A published creation, or a draft of the viewer's; null viewer = anonymous. */
export const isVisible = (row: Pick<SummaryRow, "state" | "account_id">, viewerId: string | null): boolean =>
  row.state === "published" || (viewerId !== null && row.account_id === viewerId);

// The SQL twin of isVisible; $2 is the viewer's account id or NULL.
const VISIBLE = "(c.state = 'published' OR c.account_id = $2::text)";

export async function findSummary(q: Queryable, id: string): Promise<SummaryRow | undefined> {
  const rows = await q.query<SummaryRow>(
    `SELECT ${SUMMARY} FROM creations c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1`,
    [id],
  );
  return rows[0];
}

export interface ChainLink {
  /** The id named by the next creation's first source (or the creation asked for). */
  id: string;
  /** Undefined when no such creation exists any more. */
  row: SummaryRow | undefined;
}

/**
 * The creation and its ancestors through each one's first source, newest first, at most `maxLinks` long.
 * A chain cannot loop through the API (a source exists before its fork); the depth bound guards anyway.
 */
export async function ancestorChain(q: Queryable, id: string, maxLinks: number): Promise<ChainLink[]> {
  const rows = await q.query<SummaryRow & { chain_id: string; depth: number }>(
    `WITH RECURSIVE chain (id, depth) AS (
       SELECT $1::text, 0
       UNION ALL
       SELECT c.source_ids[1], chain.depth + 1
         FROM chain JOIN creations c ON c.id = chain.id
        WHERE chain.depth < $2::int - 1 AND cardinality(c.source_ids) > 0
     )
     SELECT chain.id AS chain_id, chain.depth, ${SUMMARY}
       FROM chain LEFT JOIN creations c ON c.id = chain.id LEFT JOIN accounts a ON a.id = c.account_id
      ORDER BY chain.depth`,
    [id, maxLinks],
  );
  return rows.map((row) => ({ id: row.chain_id, row: row.id === null ? undefined : row }));
}

/** Creations visible to the viewer that name any of `parentIds` as a source (GIN index), oldest first. */
export async function childrenOf(
  q: Queryable,
  parentIds: readonly string[],
  viewerId: string | null,
  limit: number,
): Promise<SummaryRow[]> {
  return q.query<SummaryRow>(
    `SELECT ${SUMMARY} FROM creations c JOIN accounts a ON a.id = c.account_id
      WHERE c.source_ids && $1::text[] AND ${VISIBLE}
      ORDER BY c.created_at, c.id LIMIT $3`,
    [parentIds, viewerId, limit],
  );
}

/** Whether any creation visible to the viewer, other than `known`, was forked from one of `parentIds`. */
export async function hasChildren(
  q: Queryable,
  parentIds: readonly string[],
  viewerId: string | null,
  known: readonly string[],
): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM creations c WHERE c.source_ids && $1::text[] AND ${VISIBLE} AND NOT (c.id = ANY($3::text[])) LIMIT 1`,
    [parentIds, viewerId, known],
  );
  return rows.length > 0;
}
