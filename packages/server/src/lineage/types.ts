// The signed lineage record of one creation, borrowed from C2PA (claim + actions + ingredients + signature),
// written as plain JSON so it can live in the database and travel through the API. Field names follow the
// API's snake_case; action names and digital source types keep their C2PA / IPTC values.

export const RECORD_VERSION = 1 as const;

/** IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/) used by oTo. */
export const DIGITAL_SOURCE_TYPE = {
  /** Made by a trained model (generative AI). */
  trainedAlgorithmicMedia: "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
  /** Made by an algorithm without a trained model: oTo's local procedural provider, which is not AI. */
  algorithmicMedia: "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia",
} as const;

export type DigitalSourceType = (typeof DIGITAL_SOURCE_TYPE)[keyof typeof DIGITAL_SOURCE_TYPE];

export interface ContentHash {
  alg: "sha256";
  /** Lowercase hex of the SHA-256 of the creation's bytes. */
  value: string;
}

export interface SoftwareAgent {
  agent_id: string;
  name: string;
  model?: string;
  endpoint_id?: string;
}

/** First action of an original creation, and the step of each agent that worked on it. */
export interface GenerativeAction {
  action: "c2pa.created" | "c2pa.edited";
  digital_source_type: DigitalSourceType;
  software_agent: SoftwareAgent;
  parameters: {
    /** "sha256:<hex>" of the prompt; the prompt itself is never part of a record. */
    prompt_hash: string;
    /** Creations this step used: the parent (forks) and any inputTo ingredients. */
    ingredient_ids: string[];
  };
}

/** First action of a fork: the parent was opened, then edited by one or more agents. */
export interface OpenedAction {
  action: "c2pa.opened";
  parameters: { ingredient_ids: [string] };
}

export type LineageAction = GenerativeAction | OpenedAction;

export interface Ingredient {
  creation_id: string;
  /** parentOf: the creation this one was forked from (at most one). inputTo: any other input. */
  relationship: "parentOf" | "inputTo";
  content_hash: ContentHash;
  /** recordHash() of the ingredient's own signed record, so the lineage is a tamper-evident chain. */
  record_hash: string;
}

export interface RecordSignature {
  alg: "Ed25519";
  kid: string;
  /** base64url Ed25519 signature over the RFC 8785 bytes of the record without `sig`. */
  value: string;
}

export interface UnsignedLineageRecord {
  v: typeof RECORD_VERSION;
  creation_id: string;
  content_hash: ContentHash;
  media_type: string;
  /** RFC 3339. */
  created_at: string;
  /** "oto/<version>". */
  claim_generator: string;
  owner_id: string;
  job_id: string;
  actions: LineageAction[];
  ingredients: Ingredient[];
  /** recordHash() of the parent's record, or null for an original creation. */
  prev_record_hash: string | null;
}

export interface LineageRecord extends UnsignedLineageRecord {
  sig: RecordSignature;
}
