// SQL over wall_strings (migration 0006): stored when their `to` creation is published, deleted when it is
// unpublished. Called inside a wall transaction (see placer.ts).
import type { Queryable } from "../db/types.js";

/** The colour of every "forked from" string: a neutral pencil brown, so agents' colours stand out. */
export const FORK_STRING_COLOUR = "#8d6e63";

export interface NewString {
  type: "made_with" | "forked_from";
  fromId: string;
  toId: string;
  colour: string;
}

export function stringId(s: Pick<NewString, "type" | "fromId" | "toId">): string {
  return s.type === "made_with" ? `made:${s.toId}:${s.fromId}` : `fork:${s.toId}:${s.fromId}`;
}

/** Stores the strings (one already stored is kept as it is). */
export async function insertStrings(q: Queryable, strings: readonly NewString[]): Promise<void> {
  if (strings.length === 0) return;
  await q.query(
    `INSERT INTO wall_strings (id, type, from_id, to_id, colour, created_at)
     SELECT s.id, s.type, s.from_id, s.to_id, s.colour, $6::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS s(id, type, from_id, to_id, colour)
     ON CONFLICT (id) DO NOTHING`,
    [
      strings.map(stringId),
      strings.map((s) => s.type),
      strings.map((s) => s.fromId),
      strings.map((s) => s.toId),
      strings.map((s) => s.colour),
      new Date(),
    ],
  );
}

/** Deletes the strings ending at this post-it; answers the ids at their other end. */
export async function deleteStringsTo(q: Queryable, toId: string): Promise<string[]> {
  const rows = await q.query<{ from_id: string }>("DELETE FROM wall_strings WHERE to_id = $1 RETURNING from_id", [toId]);
  return rows.map((row) => row.from_id);
}

/** The ids at the far end of the strings leaving this post-it (forks of a creation, creations of an agent). */
export async function stringTargetsFrom(q: Queryable, fromId: string): Promise<string[]> {
  const rows = await q.query<{ to_id: string }>("SELECT to_id FROM wall_strings WHERE from_id = $1", [fromId]);
  return rows.map((row) => row.to_id);
}
