// Verifying lineage records: shape, signature, content binding and the hash links between a record, its
// parent and its other ingredients. Every failure is one readable sentence in `problems`.
import { verify as verifySignature, type KeyObject } from "node:crypto";
import { sha256Hex } from "./canonical.js";
import { publicKeyFrom, type PublicJwk } from "./keys.js";
import { recordHash, signingBytes } from "./record.js";
import { lineageRecordSchema, schemaProblems } from "./schema.js";
import type { LineageRecord } from "./types.js";

export interface VerifyOptions {
  /** kid → public key (KeyObject or JWK), e.g. SigningKeys.publicKeys() or publicKeysFromJwks(). */
  publicKeys: ReadonlyMap<string, KeyObject | PublicJwk | JsonWebKey>;
  /** The creation's bytes: when given, they must hash to content_hash. */
  contentBytes?: Uint8Array;
  /** The record of the parentOf ingredient: when given, it must be the one prev_record_hash points at. */
  parentRecord?: LineageRecord;
  /** Records of any ingredients (parent or inputs): each must match its ingredient entry. */
  ingredientRecords?: readonly LineageRecord[];
}

export interface VerifyResult {
  ok: boolean;
  problems: string[];
}

/** Checks one record. Accepts `unknown` because records to verify usually come from outside. */
export function verifyRecord(candidate: unknown, options: VerifyOptions): VerifyResult {
  const parsed = lineageRecordSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, problems: schemaProblems(parsed.error) };
  const record = parsed.data as LineageRecord;
  const problems = [
    ...signatureProblems(record, options.publicKeys),
    ...structureProblems(record),
    ...contentProblems(record, options.contentBytes),
    ...(options.parentRecord ? parentProblems(record, options.parentRecord) : []),
    ...ingredientRecordProblems(record, options.ingredientRecords ?? []),
  ];
  return { ok: problems.length === 0, problems };
}

function signatureProblems(record: LineageRecord, publicKeys: VerifyOptions["publicKeys"]): string[] {
  const { kid } = record.sig;
  const published = publicKeys.get(kid);
  if (!published) return [`signing key "${kid}" is not a known oTo key`];
  let key: KeyObject;
  try {
    key = publicKeyFrom(published);
  } catch (error) {
    return [`signing key "${kid}" cannot be used: ${(error as Error).message}`];
  }
  const ok = verifySignature(null, signingBytes(record), key, Buffer.from(record.sig.value, "base64url"));
  return ok ? [] : [`signature by key "${kid}" does not match: the record was changed after signing, or signed with another key`];
}

/** Rules that make a record self-consistent, independent of any other record. */
function structureProblems(record: LineageRecord): string[] {
  const problems: string[] = [];
  const [first, ...rest] = record.actions;
  const parents = record.ingredients.filter((i) => i.relationship === "parentOf");
  const ingredientIds = record.ingredients.map((i) => i.creation_id);

  if (parents.length > 1) problems.push(`a record has at most one parentOf ingredient (found ${parents.length})`);
  const parent = parents[0];
  if (parent) {
    if (first?.action !== "c2pa.opened" || first.parameters.ingredient_ids[0] !== parent.creation_id) {
      problems.push(`a fork's first action must be c2pa.opened on its parent ${parent.creation_id}`);
    }
    if (!rest.some((a) => a.action === "c2pa.edited")) problems.push("a fork needs a c2pa.edited action after c2pa.opened");
    if (record.prev_record_hash !== parent.record_hash) {
      problems.push(`prev_record_hash ${record.prev_record_hash ?? "null"} is not the parent ingredient's record_hash ${parent.record_hash}`);
    }
  } else {
    if (first?.action !== "c2pa.created") problems.push("an original creation's first action must be c2pa.created");
    if (record.prev_record_hash !== null) problems.push("prev_record_hash is set but the record has no parentOf ingredient");
  }
  if (rest.some((a) => a.action === "c2pa.opened" || a.action === "c2pa.created")) {
    problems.push("only the first action may be c2pa.created or c2pa.opened");
  }

  const seen = new Set<string>();
  for (const id of ingredientIds) {
    if (seen.has(id)) problems.push(`ingredient ${id} is listed twice`);
    seen.add(id);
  }
  if (seen.has(record.creation_id)) problems.push(`creation ${record.creation_id} lists itself as an ingredient`);

  const used = new Set<string>();
  record.actions.forEach((action, index) => {
    for (const id of action.parameters.ingredient_ids) {
      used.add(id);
      if (!seen.has(id)) problems.push(`actions[${index}] (${action.action}) uses ${id}, which is not an ingredient`);
    }
  });
  for (const id of seen) if (!used.has(id)) problems.push(`ingredient ${id} is not used by any action`);
  return problems;
}

function contentProblems(record: LineageRecord, bytes: Uint8Array | undefined): string[] {
  if (bytes === undefined) return [];
  const actual = sha256Hex(bytes);
  return actual === record.content_hash.value
    ? []
    : [`content hash does not match the bytes: record says sha256 ${record.content_hash.value}, content is ${actual}`];
}

function parentProblems(record: LineageRecord, parentRecord: LineageRecord): string[] {
  const parent = record.ingredients.find((i) => i.relationship === "parentOf");
  if (!parent) return [`a parent record (${parentRecord.creation_id}) was given but ${record.creation_id} is not a fork`];
  const problems: string[] = [];
  const hash = recordHash(parentRecord);
  if (record.prev_record_hash !== hash) {
    problems.push(
      `prev_record_hash ${record.prev_record_hash ?? "null"} does not match the parent record ${parentRecord.creation_id} (hash ${hash})`,
    );
  }
  if (parentRecord.creation_id !== parent.creation_id) {
    problems.push(`the parent record is ${parentRecord.creation_id} but the parentOf ingredient is ${parent.creation_id}`);
  }
  if (parentRecord.content_hash.value !== parent.content_hash.value) {
    problems.push(`parentOf ingredient content hash ${parent.content_hash.value} differs from the parent record's ${parentRecord.content_hash.value}`);
  }
  if (Date.parse(record.created_at) < Date.parse(parentRecord.created_at)) {
    problems.push(`created_at ${record.created_at} is before its parent's ${parentRecord.created_at}`);
  }
  return problems;
}

function ingredientRecordProblems(record: LineageRecord, ingredientRecords: readonly LineageRecord[]): string[] {
  const problems: string[] = [];
  for (const other of ingredientRecords) {
    const ingredient = record.ingredients.find((i) => i.creation_id === other.creation_id);
    if (!ingredient) {
      problems.push(`${other.creation_id} was given as an ingredient record but is not an ingredient of ${record.creation_id}`);
      continue;
    }
    const hash = recordHash(other);
    if (ingredient.record_hash !== hash) {
      problems.push(`ingredient ${other.creation_id} record_hash ${ingredient.record_hash} does not match its record (hash ${hash})`);
    }
    if (ingredient.content_hash.value !== other.content_hash.value) {
      problems.push(`ingredient ${other.creation_id} content hash ${ingredient.content_hash.value} differs from its record's ${other.content_hash.value}`);
    }
  }
  return problems;
}

export interface ChainOptions {
  publicKeys: VerifyOptions["publicKeys"];
  /** creation_id → bytes, for the creations whose content should be checked too. */
  contentBytes?: ReadonlyMap<string, Uint8Array>;
}

export interface ChainResult extends VerifyResult {
  /** One result per record, in the order given. */
  records: VerifyResult[];
}

/**
 * Verifies a lineage from the first ancestor (an original, no parent) to the leaf: every record on its own,
 * and each one against the record before it. Problems are prefixed with the record's position and id.
 */
export function verifyChain(records: readonly unknown[], options: ChainOptions): ChainResult {
  if (records.length === 0) return { ok: false, problems: ["the chain is empty"], records: [] };
  const results: VerifyResult[] = [];
  const problems: string[] = [];
  records.forEach((candidate, index) => {
    const previous = index > 0 ? records[index - 1] : undefined;
    const parentRecord = previous !== undefined && lineageRecordSchema.safeParse(previous).success ? (previous as LineageRecord) : undefined;
    const creationId = lineageRecordSchema.shape.creation_id.safeParse((candidate as { creation_id?: unknown } | null)?.creation_id);
    const label = `record ${index + 1}/${records.length} (${creationId.success ? creationId.data : "unknown id"})`;

    const result = verifyRecord(candidate, {
      publicKeys: options.publicKeys,
      ...(parentRecord ? { parentRecord } : {}),
      ...(creationId.success && options.contentBytes?.has(creationId.data) ? { contentBytes: options.contentBytes.get(creationId.data)! } : {}),
    });
    const parsed = lineageRecordSchema.safeParse(candidate);
    if (index === 0 && parsed.success && parsed.data.prev_record_hash !== null) {
      result.problems.push("the first record of a chain must be an original creation (prev_record_hash null)");
      result.ok = false;
    }
    if (index > 0 && !parentRecord) {
      result.problems.push("cannot be linked: the record before it is malformed");
      result.ok = false;
    }
    results.push(result);
    problems.push(...result.problems.map((p) => `${label}: ${p}`));
  });
  return { ok: problems.length === 0, problems, records: results };
}
