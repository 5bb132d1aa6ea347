// Building, signing and hashing lineage records. Pure: no database, no clock unless none is given.
import { canonicalBytes, sha256Hex } from "./canonical.js";
import type { Signer } from "./keys.js";
import { schemaProblems, unsignedRecordSchema } from "./schema.js";
import {
  DIGITAL_SOURCE_TYPE,
  RECORD_VERSION,
  type ContentHash,
  type GenerativeAction,
  type Ingredient,
  type LineageAction,
  type LineageRecord,
  type SoftwareAgent,
  type UnsignedLineageRecord,
} from "./types.js";

export interface AgentStep extends SoftwareAgent {
  /** "ai" for a trained model (RunPod etc.), "procedural" for the local provider, which is not AI. */
  generator: "ai" | "procedural";
}

export interface BuildRecordInput {
  creation_id: string;
  /** The creation's bytes (hashed here) or their precomputed hash. */
  content: Uint8Array | ContentHash;
  media_type: string;
  /** Defaults to now. */
  created_at?: Date | string;
  /** oTo's version; the record says "oto/<version>". */
  oto_version: string;
  owner_id: string;
  job_id: string;
  /** Hashed into `prompt_hash`; never stored. */
  prompt: string;
  /** The agents of the job, in the order they worked. At least one. */
  agents: AgentStep[];
  /** The signed record of the creation this one was forked from. */
  parent?: LineageRecord;
  /** Signed records of other creations used as inputs (relationship inputTo). */
  inputs?: LineageRecord[];
}

export class LineageBuildError extends Error {
  override name = "LineageBuildError";
}

export function contentHashOf(bytes: Uint8Array): ContentHash {
  return { alg: "sha256", value: sha256Hex(bytes) };
}

export function promptHash(prompt: string): string {
  return `sha256:${sha256Hex(Buffer.from(prompt, "utf8"))}`;
}

/** What gets signed: the canonical bytes of the record without `sig`. */
export function signingBytes(record: UnsignedLineageRecord | LineageRecord): Buffer {
  const { sig: _sig, ...unsigned } = record as LineageRecord;
  return canonicalBytes(unsigned);
}

/** "sha256:<hex>" of the canonical bytes of the whole signed record, the value children put in prev_record_hash. */
export function recordHash(record: LineageRecord): string {
  return `sha256:${sha256Hex(canonicalBytes(record))}`;
}

function ingredientOf(record: LineageRecord, relationship: Ingredient["relationship"]): Ingredient {
  return {
    creation_id: record.creation_id,
    relationship,
    content_hash: { alg: record.content_hash.alg, value: record.content_hash.value },
    record_hash: recordHash(record),
  };
}

function timestamp(value: Date | string | undefined): string {
  if (value === undefined) return new Date().toISOString();
  if (typeof value === "string") {
    if (Number.isNaN(Date.parse(value))) throw new LineageBuildError(`created_at is not a timestamp: "${value}"`);
    return value;
  }
  if (Number.isNaN(value.getTime())) throw new LineageBuildError("created_at is an invalid Date");
  return value.toISOString();
}

/**
 * An unsigned record for a new creation. Originals get one `c2pa.created` action followed by a `c2pa.edited`
 * per further agent; forks get `c2pa.opened` on the parent, then a `c2pa.edited` per agent.
 */
export function buildRecord(input: BuildRecordInput): UnsignedLineageRecord {
  if (input.agents.length === 0) throw new LineageBuildError("a lineage record needs at least one agent");
  const ingredients: Ingredient[] = [];
  if (input.parent) ingredients.push(ingredientOf(input.parent, "parentOf"));
  for (const record of input.inputs ?? []) ingredients.push(ingredientOf(record, "inputTo"));

  const ids = ingredients.map((i) => i.creation_id);
  if (ids.includes(input.creation_id)) throw new LineageBuildError(`creation ${input.creation_id} cannot be its own ingredient`);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new LineageBuildError(`creation ${duplicate} is listed as an ingredient twice`);

  const prompt_hash = promptHash(input.prompt);
  const actions: LineageAction[] = [];
  if (input.parent) actions.push({ action: "c2pa.opened", parameters: { ingredient_ids: [input.parent.creation_id] } });
  input.agents.forEach((agent, index) => {
    const step: GenerativeAction = {
      action: index === 0 && !input.parent ? "c2pa.created" : "c2pa.edited",
      digital_source_type:
        agent.generator === "ai" ? DIGITAL_SOURCE_TYPE.trainedAlgorithmicMedia : DIGITAL_SOURCE_TYPE.algorithmicMedia,
      software_agent: softwareAgent(agent),
      parameters: { prompt_hash, ingredient_ids: [...ids] },
    };
    actions.push(step);
  });

  const record: UnsignedLineageRecord = {
    v: RECORD_VERSION,
    creation_id: input.creation_id,
    content_hash: input.content instanceof Uint8Array ? contentHashOf(input.content) : { alg: "sha256", value: input.content.value },
    media_type: input.media_type,
    created_at: timestamp(input.created_at),
    claim_generator: `oto/${input.oto_version}`,
    owner_id: input.owner_id,
    job_id: input.job_id,
    actions,
    ingredients,
    prev_record_hash: input.parent ? recordHash(input.parent) : null,
  };
  const checked = unsignedRecordSchema.safeParse(record);
  if (!checked.success) throw new LineageBuildError(`cannot build a valid lineage record: ${schemaProblems(checked.error).join("; ")}`);
  return record;
}

function softwareAgent(agent: AgentStep): SoftwareAgent {
  const result: SoftwareAgent = { agent_id: agent.agent_id, name: agent.name };
  if (agent.model !== undefined) result.model = agent.model;
  if (agent.endpoint_id !== undefined) result.endpoint_id = agent.endpoint_id;
  return result;
}

/** Signs the record with the signer's key; any `sig` already present is replaced. */
export function signRecord(record: UnsignedLineageRecord | LineageRecord, signer: Signer): LineageRecord {
  const { sig: _old, ...unsigned } = record as LineageRecord;
  const signature = signer.sign(canonicalBytes(unsigned));
  return { ...unsigned, sig: { alg: "Ed25519", kid: signer.kid, value: Buffer.from(signature).toString("base64url") } };
}
