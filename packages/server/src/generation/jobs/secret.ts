// Secrets the server makes for itself, kept in the database so that every process (and every restart)
// shares them: a RunPod webhook URL handed out before a restart must still verify after it.
import { randomBytes } from "node:crypto";
import type { Queryable } from "../../db/types.js";

export async function serverSecret(db: Queryable, name: string): Promise<string> {
  await db.query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [
    name,
    randomBytes(32).toString("base64url"),
  ]);
  const rows = await db.query<{ value: string }>("SELECT value FROM server_secrets WHERE name = $1", [name]);
  return rows[0]!.value;
}
