// SQL over the creations table (migration 0005). Visibility rules live in the callers; every function that
// changes a creation takes the author's account id and touches nothing that is not theirs.
import type { Queryable } from "../db/types.js";
import type { OutputKind } from "../generation/provider.js";
import { sortableId } from "../ids.js";
import type { StoredFile } from "../storage/files.js";
import type { PageCursor } from "../store/pagination.js";
import { type PlacementColumns, placementColumns } from "../wall/views.js";

export const newCreationId = () => `cr_${sortableId()}`;

/** A creations row joined with its author and its post-it (all wall_ columns null for a draft). */
export interface CreationRow extends PlacementColumns {
  id: string;
  account_id: string;
  job_id: string;
  kind: OutputKind;
  title: string;
  prompt: string;
  agent_ids: string[];
  source_ids: string[];
  sha256: string;
  media_type: string;
  size_bytes: number;
  filename: string;
  width: number | null;
  height: number | null;
  duration_s: number | null;
  thumbnail_sha256: string | null;
  generator_notice: string | null;
  state: "draft" | "published";
  published_at: Date | null;
  share_token: string | null;
  share_created_at: Date | null;
  created_at: Date;
  author_handle: string;
  author_display_name: string;
}

export interface AgentRefRow {
  id: string;
  name: string;
  kind: OutputKind;
  color: string;
}

const COLUMNS = `c.id, c.account_id, c.job_id, c.kind, c.title, c.prompt, c.agent_ids, c.source_ids, c.sha256,
  c.media_type, c.size_bytes::float8 AS size_bytes, c.filename, c.width, c.height, c.duration_s, c.thumbnail_sha256,
  c.generator_notice, c.state, c.published_at, c.share_token, c.share_created_at, c.created_at,
  a.handle AS author_handle, a.display_name AS author_display_name, ${placementColumns("w")}`;
const FROM = "creations c JOIN accounts a ON a.id = c.account_id LEFT JOIN wall_postits w ON w.id = c.id";

export const TITLE_MAX = 80;

/** The first line of the prompt, whitespace collapsed, cut at a word boundary to at most 80 characters. */
export function titleFromPrompt(prompt: string): string {
  const line = prompt
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, " ").trim())
    .find((l) => l !== "");
  if (!line) return "Untitled";
  const chars = Array.from(line); // by code point: never split a surrogate pair
  if (chars.length <= TITLE_MAX) return line;
  const cut = chars.slice(0, TITLE_MAX - 1).join("");
  const atWord = cut.replace(/\s+\S*$/, "");
  return `${(atWord.length >= TITLE_MAX / 2 ? atWord : cut).trimEnd()}…`;
}

/** Records a new draft creation for a stored file; answers its cr_ id. */
export async function insertCreation(
  tx: Queryable,
  c: {
    accountId: string;
    jobId: string;
    kind: OutputKind;
    prompt: string;
    agentIds: string[];
    sourceIds: string[];
    file: StoredFile;
    filename: string;
    generatorNotice: string | null;
  },
): Promise<string> {
  const id = newCreationId();
  await tx.query(
    `INSERT INTO creations (id, account_id, job_id, kind, title, prompt, agent_ids, source_ids, sha256, media_type,
       size_bytes, filename, width, height, duration_s, thumbnail_sha256, generator_notice, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'draft', $18)`,
    [
      id,
      c.accountId,
      c.jobId,
      c.kind,
      titleFromPrompt(c.prompt),
      c.prompt,
      c.agentIds,
      c.sourceIds,
      c.file.sha256,
      c.file.mediaType,
      c.file.sizeBytes,
      downloadFilename(c.filename, c.file.extension),
      c.file.width,
      c.file.height,
      c.file.durationS,
      c.file.thumbnailSha256,
      c.generatorNotice,
      new Date(),
    ],
  );
  return id;
}

/** A creation usable as a generation input by this account: its own (any state) or anyone's published one. */
export async function findInputCreation(
  q: Queryable,
  creationId: string,
  accountId: string,
): Promise<{ id: string; kind: OutputKind; sha256: string; mediaType: string } | null> {
  const rows = await q.query<{ id: string; kind: OutputKind; sha256: string; media_type: string }>(
    `SELECT id, kind, sha256, media_type FROM creations
      WHERE id = $1 AND (account_id = $2 OR state = 'published')`,
    [creationId, accountId],
  );
  const row = rows[0];
  return row ? { id: row.id, kind: row.kind, sha256: row.sha256, mediaType: row.media_type } : null;
}

export async function findCreation(q: Queryable, id: string): Promise<CreationRow | undefined> {
  const rows = await q.query<CreationRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE c.id = $1`, [id]);
  return rows[0];
}

export async function findCreationByShareToken(q: Queryable, token: string): Promise<CreationRow | undefined> {
  const rows = await q.query<CreationRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE c.share_token = $1`, [token]);
  return rows[0];
}

export interface CreationListFilter {
  state?: "draft" | "published" | undefined;
  kind?: OutputKind | undefined;
}


/** The author's creations, newest first, after the cursor; fetches limit + 1 to know if more follow. */
export async function listCreations(
  q: Queryable,
  accountId: string,
  filter: CreationListFilter,
  limit: number,
  after: PageCursor | undefined,
): Promise<CreationRow[]> {
  const where = ["c.account_id = $1"];
  const params: unknown[] = [accountId];
  if (filter.state) where.push(`c.state = $${params.push(filter.state)}`);
  if (filter.kind) where.push(`c.kind = $${params.push(filter.kind)}`);
  if (after) {
    const at = params.push(after.createdAt);
    const id = params.push(after.id);
    where.push(`(c.created_at, c.id) < ($${at}::timestamptz, $${id}::text)`);
  }
  const limitParam = params.push(limit + 1);
  return q.query<CreationRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where.join(" AND ")}
      ORDER BY c.created_at DESC, c.id DESC LIMIT $${limitParam}`,
    params,
  );
}

/** Publishes or unpublishes the author's creation (unchanged when already so); undefined when not theirs. */
export async function setPublished(
  q: Queryable,
  id: string,
  accountId: string,
  published: boolean,
): Promise<CreationRow | undefined> {
  const rows = await q.query<{ id: string }>(
    published
      ? `UPDATE creations SET state = 'published', published_at = COALESCE(published_at, $3)
          WHERE id = $1 AND account_id = $2 RETURNING id`
      : `UPDATE creations SET state = 'draft', published_at = NULL
          WHERE id = $1 AND account_id = $2 RETURNING id`,
    published ? [id, accountId, new Date()] : [id, accountId],
  );
  return rows[0] ? findCreation(q, id) : undefined;
}

/**
 * Gives the author's creation a share token unless it already has one (the existing link is kept);
 * undefined when the creation is not theirs.
 */
export async function ensureShareToken(
  q: Queryable,
  id: string,
  accountId: string,
  token: string,
): Promise<CreationRow | undefined> {
  await q.query(
    `UPDATE creations SET share_token = $3, share_created_at = $4
      WHERE id = $1 AND account_id = $2 AND share_token IS NULL`,
    [id, accountId, token, new Date()],
  );
  const row = await findCreation(q, id);
  return row && row.account_id === accountId ? row : undefined;
}

/** Removes the share link of the author's creation; undefined when not theirs. */
export async function clearShareToken(q: Queryable, id: string, accountId: string): Promise<CreationRow | undefined> {
  const rows = await q.query<{ id: string }>(
    `UPDATE creations SET share_token = NULL, share_created_at = NULL
      WHERE id = $1 AND account_id = $2 RETURNING id`,
    [id, accountId],
  );
  return rows[0] ? findCreation(q, id) : undefined;
}

/** Name, kind and colour of these agents (for AgentRef), by id. */
export async function agentRefs(q: Queryable, agentIds: readonly string[]): Promise<Map<string, AgentRefRow>> {
  const unique = [...new Set(agentIds)];
  if (unique.length === 0) return new Map();
  const rows = await q.query<AgentRefRow>("SELECT id, name, kind, color FROM agents WHERE id = ANY($1::text[])", [
    unique,
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The name a download is saved under: the claimed name without path parts or control characters, at most
 * 120 characters, with the extension of the SNIFFED type (a PNG claimed as "notes.txt" saves as "notes.png").
 */
export function downloadFilename(claimed: string, extension: string): string {
  const leaf = claimed.split(/[\\/]/).pop() ?? "";
  const clean = leaf
    .replace(/[\u0000-\u001f\u007f"]/g, "")
    .trim()
    .replace(/^\.+/, "")
    .replace(/\.[A-Za-z0-9]{1,8}$/, "");
  const stem = Array.from(clean).slice(0, 110).join("").trim();
  return `${stem || "creation"}.${extension}`;
}
