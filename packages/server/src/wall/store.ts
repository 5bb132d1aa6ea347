// SQL over wall_postits and wall_changes (migration 0006). Writers call these only inside a transaction that holds
// the wall lock (see placer.ts), so change sequence numbers follow commit order.
import type { Queryable } from "../db/types.js";
import type { OutputKind } from "../generation/provider.js";

export type PostItType = "creation" | "agent";
export type ChangeOp = "place" | "remove" | "touch";

export interface PostItRow {
  seq: number;
  id: string;
  type: PostItType;
  account_id: string;
  home_index: number;
  kind: OutputKind;
  x: number;
  y: number;
  rotation: number;
  colour: string;
}

export interface NewPostIt {
  id: string;
  type: PostItType;
  accountId: string;
  homeIndex: number;
  kind: OutputKind;
  x: number;
  y: number;
  rotation: number;
  colour: string;
}

const POSTIT_COLUMNS = "seq::float8 AS seq, id, type, account_id, home_index, kind, x, y, rotation, colour";

/** Every post-it in pinning order (the rebuild at start). */
export function allPostIts(q: Queryable): Promise<PostItRow[]> {
  return q.query<PostItRow>(`SELECT ${POSTIT_COLUMNS} FROM wall_postits ORDER BY seq`);
}

export function postItsByIds(q: Queryable, ids: readonly string[]): Promise<PostItRow[]> {
  return q.query<PostItRow>(`SELECT ${POSTIT_COLUMNS} FROM wall_postits WHERE id = ANY($1::text[]) ORDER BY seq`, [ids]);
}

export async function findPostIt(q: Queryable, id: string): Promise<PostItRow | undefined> {
  return (await q.query<PostItRow>(`SELECT ${POSTIT_COLUMNS} FROM wall_postits WHERE id = $1`, [id]))[0];
}

/**
 * Stores a placement; false when (x, y) or the id is already taken (a row another writer stored without this
 * process seeing it), which leaves the transaction usable.
 */
export async function insertPostIt(q: Queryable, p: NewPostIt): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO wall_postits (id, type, account_id, home_index, kind, x, y, rotation, colour, placed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [p.id, p.type, p.accountId, p.homeIndex, p.kind, p.x, p.y, p.rotation, p.colour, new Date()],
  );
  return rows.length === 1;
}

export async function deletePostIt(q: Queryable, id: string): Promise<PostItRow | undefined> {
  const rows = await q.query<PostItRow>(`DELETE FROM wall_postits WHERE id = $1 RETURNING ${POSTIT_COLUMNS}`, [id]);
  return rows[0];
}

export async function insertChanges(q: Queryable, changes: readonly { postitId: string; op: ChangeOp }[]): Promise<void> {
  if (changes.length === 0) return;
  await q.query(
    `INSERT INTO wall_changes (postit_id, op)
     SELECT postit_id, op FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(postit_id, op, n) ORDER BY n`,
    [changes.map((c) => c.postitId), changes.map((c) => c.op)],
  );
}

/** The last change seen by now (0 for an empty log). */
export async function lastChangeSeq(q: Queryable): Promise<number> {
  const rows = await q.query<{ seq: number | null }>("SELECT max(seq)::float8 AS seq FROM wall_changes");
  return rows[0]?.seq ?? 0;
}

export function changesSince(q: Queryable, seq: number): Promise<{ seq: number; postit_id: string; op: ChangeOp }[]> {
  return q.query(`SELECT seq::float8 AS seq, postit_id, op FROM wall_changes WHERE seq > $1 ORDER BY seq`, [seq]);
}
