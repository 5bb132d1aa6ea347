import type { Queryable } from "../db/types.js";

// Any fixed number, distinct from the migration lock: every transaction that writes wall_changes takes it first,
// so change sequence numbers are handed out in commit order (a reader of `seq > last` never skips one).
export const WALL_LOCK = 7_424_302;

export async function lockWall(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [WALL_LOCK]);
}
