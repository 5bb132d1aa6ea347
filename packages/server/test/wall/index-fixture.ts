// Writes wall rows straight into a database, the way the pinning code does (wall lock, then the rows, then one
// wall_changes row per post-it touched), so the index and tiles can be tested without the whole publish path.
import { readMigrations } from "../../src/db/migrations.js";
import { openDatabase } from "../../src/db/open.js";
import type { Db } from "../../src/db/types.js";
import { lockWall } from "../../src/wall/lock.js";

export const KINDS = ["text", "image", "voice", "video"] as const;
export type Kind = (typeof KINDS)[number];

export function openWallDb(): Promise<Db> {
  return openDatabase({ dataDir: "memory:" }, readMigrations());
}

let accounts = 0;
const id26 = (prefix: string, n: number) => `${prefix}_${String(n).padStart(26, "0")}`;

export async function addAccount(db: Db, handle = `fixture_${++accounts}_${Date.now() % 100000}`): Promise<string> {
  const id = id26("acc", Math.floor(Math.random() * 1e12));
  await db.query(
    `INSERT INTO accounts (id, handle, handle_lower, display_name, password_hash, created_at) VALUES ($1, $2, $2, $3, 'x', now())`,
    [id, handle, `Display ${handle}`],
  );
  return id;
}

export interface FixturePostIt {
  id: string;
  type: "creation" | "agent";
  kind: Kind;
  x: number;
  y: number;
}

async function logChanges(db: Db, changes: [string, "place" | "remove" | "touch"][], fn: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0]) => Promise<void>) {
  await db.transaction(async (tx) => {
    await lockWall(tx);
    await fn(tx);
    for (const [id, op] of changes) await tx.query("INSERT INTO wall_changes (postit_id, op) VALUES ($1, $2)", [id, op]);
  });
}

/** Pins a post-it (with its creation or agent row, so tiles have details to read). */
export async function place(db: Db, accountId: string, p: FixturePostIt): Promise<void> {
  await logChanges(db, [[p.id, "place"]], async (tx) => {
    if (p.type === "agent") {
      await tx.query(
        `INSERT INTO agents (id, account_id, name, kind, provider, prompt_template, color, cost_tokens, created_at, updated_at)
         VALUES ($1, $2, $3, $4, '{"type":"local"}', '{{prompt}}', '#d4a017', 1, now(), now()) ON CONFLICT (id) DO NOTHING`,
        [p.id, accountId, `Agent ${p.id.slice(-4)}`, p.kind],
      );
    } else {
      await tx.query(
        `INSERT INTO creations (id, account_id, job_id, kind, title, prompt, sha256, media_type, size_bytes, filename,
                                thumbnail_sha256, state, published_at, created_at)
         VALUES ($1, $2, 'job_x', $3, $4, 'p', repeat('a', 64), 'text/plain', 1, 'f.txt',
                 CASE WHEN $3 IN ('image', 'video') THEN repeat('b', 64) END, 'published', now(), now())
         ON CONFLICT (id) DO UPDATE SET state = 'published', published_at = now()`,
        [p.id, accountId, p.kind, `Creation ${p.id.slice(-4)}`],
      );
    }
    await tx.query(
      `INSERT INTO wall_postits (id, type, account_id, home_index, kind, x, y, rotation, colour, placed_at)
       VALUES ($1, $2, $3, 0, $4, $5, $6, 1.5, '#fff59d', now())`,
      [p.id, p.type, accountId, p.kind, p.x, p.y],
    );
  });
}

/** Unpins a post-it: its row and the strings ending at it go; the far ends of those strings are touched. */
export async function remove(db: Db, id: string): Promise<void> {
  const from = await db.query<{ from_id: string }>("SELECT from_id FROM wall_strings WHERE to_id = $1", [id]);
  await logChanges(db, [[id, "remove"], ...from.map((f): [string, "touch"] => [f.from_id, "touch"])], async (tx) => {
    await tx.query("DELETE FROM wall_strings WHERE to_id = $1", [id]);
    await tx.query("DELETE FROM wall_postits WHERE id = $1", [id]);
  });
}

/** A string from → to (to's publication), touching both ends. */
export async function string(db: Db, type: "made_with" | "forked_from", from: string, to: string): Promise<void> {
  const id = type === "made_with" ? `made:${to}:${from}` : `fork:${to}:${from}`;
  await logChanges(db, [[from, "touch"], [to, "touch"]], async (tx) => {
    await tx.query(
      `INSERT INTO wall_strings (id, type, from_id, to_id, colour, created_at) VALUES ($1, $2, $3, $4, '#8d6e63', now())
       ON CONFLICT (id) DO NOTHING`,
      [id, type, from, to],
    );
  });
}

export const creationId = (n: number) => id26("cr", n);
export const agentId = (n: number) => id26("ag", n);
