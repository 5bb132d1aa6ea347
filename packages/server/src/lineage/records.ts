// Each creation's signed lineage record, kept on its row (migration 0007). A record is signed in the transaction
// that makes the creation; creations made before records existed are signed on first read. Both go through
// ensureRecord, which signs the missing records of a creation's sources first (a record holds the hash of each
// ingredient's record) and never overwrites a record: a concurrent signer's record wins and is read back.
import type { AgentProviderConfig } from "../agents/rows.js";
import type { Queryable } from "../db/types.js";
import { serverVersion } from "../paths.js";
import { activeSigningKey } from "./keyStore.js";
import type { SigningKey } from "./keys.js";
import { buildRecord, recordHash, signRecord, type AgentStep } from "./record.js";
import type { LineageRecord } from "./types.js";

interface SourceRow {
  id: string;
  account_id: string;
  job_id: string;
  sha256: string;
  media_type: string;
  created_at: Date;
  prompt: string;
  agent_ids: string[];
  source_ids: string[];
  lineage_record: string | null;
  job_agent_id: string | null;
  job_agent_name: string | null;
  job_agent_provider: AgentProviderConfig | null;
}

export interface StoredRecord {
  record: LineageRecord;
  hash: string;
}

/** Far beyond any real lineage; stops a corrupted source graph from running away. */
const MAX_RECORDS_PER_CALL = 10_000;

async function loadRow(q: Queryable, id: string): Promise<SourceRow | undefined> {
  const rows = await q.query<SourceRow>(
    `SELECT c.id, c.account_id, c.job_id, c.sha256, c.media_type, c.created_at, c.prompt, c.agent_ids, c.source_ids,
            c.lineage_record, j.agent_id AS job_agent_id, j.agent_name AS job_agent_name,
            j.agent_provider AS job_agent_provider
       FROM creations c LEFT JOIN generation_jobs j ON j.id = c.job_id
      WHERE c.id = $1`,
    [id],
  );
  return rows[0];
}

function stepOf(id: string, name: string, provider: AgentProviderConfig): AgentStep {
  if (provider.type === "runpod") {
    return {
      agent_id: id,
      name,
      generator: "ai",
      endpoint_id: provider.endpoint_id,
      ...(provider.model !== undefined && { model: provider.model }),
    };
  }
  // The local provider draws procedurally: algorithmicMedia, not AI.
  return { agent_id: id, name, generator: "procedural" };
}

/** The job's snapshot of its agent when the job is known; the agents' current rows otherwise. */
async function agentSteps(q: Queryable, row: SourceRow): Promise<AgentStep[]> {
  if (row.job_agent_id && row.job_agent_name && row.job_agent_provider) {
    return [stepOf(row.job_agent_id, row.job_agent_name, row.job_agent_provider)];
  }
  if (row.agent_ids.length === 0) return [];
  const agents = await q.query<{ id: string; name: string; provider: AgentProviderConfig }>(
    "SELECT id, name, provider FROM agents WHERE id = ANY($1::text[])",
    [row.agent_ids],
  );
  const byId = new Map(agents.map((a) => [a.id, a]));
  return row.agent_ids.flatMap((id) => {
    const agent = byId.get(id);
    return agent ? [stepOf(agent.id, agent.name, agent.provider)] : [];
  });
}

export class RecordUnavailableError extends Error {
  override name = "RecordUnavailableError";
}

/** Signs records for one call, reading the active key once. */
class RecordSigner {
  private key: SigningKey | undefined;
  private readonly done = new Map<string, StoredRecord | null>();
  private readonly inProgress = new Set<string>();

  constructor(private readonly q: Queryable) {}

  /** The creation's record, signed now if it has none; null when the creation does not exist. */
  async ensure(id: string): Promise<StoredRecord | null> {
    const known = this.done.get(id);
    if (known !== undefined) return known;
    // A creation among its own ancestors cannot be made through the API; treat the loop as a missing source.
    if (this.inProgress.has(id)) return null;
    if (this.done.size + this.inProgress.size >= MAX_RECORDS_PER_CALL) {
      throw new RecordUnavailableError(`lineage of ${id} is longer than ${MAX_RECORDS_PER_CALL} records`);
    }
    this.inProgress.add(id);
    try {
      const row = await loadRow(this.q, id);
      const result = row ? (row.lineage_record !== null ? parseStored(row.lineage_record) : await this.sign(row)) : null;
      this.done.set(id, result);
      return result;
    } finally {
      this.inProgress.delete(id);
    }
  }

  private async sign(row: SourceRow): Promise<StoredRecord> {
    const sources: LineageRecord[] = [];
    for (const sourceId of row.source_ids) {
      const source = await this.ensure(sourceId);
      // A source deleted since (its account closed) can no longer be an ingredient.
      if (source) sources.push(source.record);
    }
    const agents = await agentSteps(this.q, row);
    if (agents.length === 0) throw new RecordUnavailableError(`creation ${row.id} has no known agent to record`);
    // The first source is the one forked from (parentOf); any others are inputs (inputTo).
    const parent = sources.find((s) => s.creation_id === row.source_ids[0]);
    const inputs = sources.filter((s) => s !== parent);
    const unsigned = buildRecord({
      creation_id: row.id,
      content: { alg: "sha256", value: row.sha256 },
      // The media type without parameters ("text/markdown; charset=utf-8" → "text/markdown").
      media_type: row.media_type.split(";")[0]!.trim(),
      created_at: row.created_at,
      oto_version: serverVersion(),
      owner_id: row.account_id,
      job_id: row.job_id,
      prompt: row.prompt,
      agents,
      ...(parent && { parent }),
      ...(inputs.length > 0 && { inputs }),
    });
    this.key ??= await activeSigningKey(this.q);
    const record = signRecord(unsigned, this.key);
    const hash = recordHash(record);
    const updated = await this.q.query<{ id: string }>(
      `UPDATE creations SET lineage_record = $2, record_hash = $3 WHERE id = $1 AND lineage_record IS NULL RETURNING id`,
      [row.id, JSON.stringify(record), hash],
    );
    if (updated.length > 0) return { record, hash };
    // Signed meanwhile by another request or process: theirs is the record.
    const again = await this.q.query<{ lineage_record: string | null }>("SELECT lineage_record FROM creations WHERE id = $1", [row.id]);
    const stored = again[0]?.lineage_record;
    if (!stored) throw new RecordUnavailableError(`creation ${row.id} disappeared while being signed`);
    return parseStored(stored);
  }
}

function parseStored(text: string): StoredRecord {
  const record = JSON.parse(text) as LineageRecord;
  return { record, hash: recordHash(record) };
}

/**
 * The creation's signed record, signing it (and any unsigned sources) when it has none yet; undefined when
 * the creation does not exist. Run it in the transaction that inserts a creation to sign it with it.
 */
export async function ensureRecord(q: Queryable, creationId: string): Promise<StoredRecord | undefined> {
  return (await new RecordSigner(q).ensure(creationId)) ?? undefined;
}
