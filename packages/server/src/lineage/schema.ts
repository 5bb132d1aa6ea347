// The shape of a version-1 lineage record, checked before anything else when verifying a record that came
// from outside (the API, a file). Objects are strict: a record carrying extra fields (say, a prompt) is invalid.
import { z } from "zod";
import { DIGITAL_SOURCE_TYPE, RECORD_VERSION } from "./types.js";

const id = z.string().regex(/^[a-z][a-z0-9]*_[0-9a-z]{1,64}$/, 'must be an oTo id like "prefix_0123abc"');
const sha256Value = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");
const prefixedSha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lowercase hex characters');

const contentHash = z.strictObject({ alg: z.literal("sha256"), value: sha256Value });

const softwareAgent = z.strictObject({
  agent_id: id,
  name: z.string().min(1).max(200),
  model: z.string().min(1).max(500).optional(),
  endpoint_id: z.string().min(1).max(200).optional(),
});

const generativeAction = z.strictObject({
  action: z.enum(["c2pa.created", "c2pa.edited"]),
  digital_source_type: z.enum([DIGITAL_SOURCE_TYPE.trainedAlgorithmicMedia, DIGITAL_SOURCE_TYPE.algorithmicMedia]),
  software_agent: softwareAgent,
  parameters: z.strictObject({ prompt_hash: prefixedSha256, ingredient_ids: z.array(id) }),
});

const openedAction = z.strictObject({
  action: z.literal("c2pa.opened"),
  parameters: z.strictObject({ ingredient_ids: z.tuple([id]) }),
});

const ingredient = z.strictObject({
  creation_id: id,
  relationship: z.enum(["parentOf", "inputTo"]),
  content_hash: contentHash,
  record_hash: prefixedSha256,
});

export const unsignedRecordSchema = z.strictObject({
  v: z.literal(RECORD_VERSION),
  creation_id: id,
  content_hash: contentHash,
  media_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a media type like "image/png"'),
  created_at: z.iso.datetime({ offset: true }),
  claim_generator: z.string().regex(/^oto\/\S+$/, 'must be "oto/<version>"'),
  owner_id: id,
  job_id: id,
  actions: z.array(z.discriminatedUnion("action", [generativeAction, openedAction])).min(1),
  ingredients: z.array(ingredient),
  prev_record_hash: prefixedSha256.nullable(),
});

export const lineageRecordSchema = unsignedRecordSchema.extend({
  sig: z.strictObject({
    alg: z.literal("Ed25519"),
    kid: z.string().min(1).max(100),
    value: z.string().regex(/^[A-Za-z0-9_-]{86}$/, "must be a 64-byte Ed25519 signature in base64url"),
  }),
});

/** One readable line per schema problem, e.g. `actions.0.parameters.prompt_hash: must be "sha256:" …`. */
export function schemaProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "record"}: ${issue.message}`);
}
