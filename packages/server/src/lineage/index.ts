// Signed lineage records (C2PA-inspired provenance) for creations: build, sign, hash, verify; key management.
export * from "./types.js";
export { canonicalBytes, canonicalJson, sha256Hex } from "./canonical.js";
export {
  buildRecord,
  contentHashOf,
  LineageBuildError,
  promptHash,
  recordHash,
  signingBytes,
  signRecord,
  type AgentStep,
  type BuildRecordInput,
} from "./record.js";
export { lineageRecordSchema, unsignedRecordSchema } from "./schema.js";
export {
  jwkThumbprint,
  KeyImportError,
  makeKid,
  publicKeyFrom,
  publicKeysFromJwks,
  SigningKey,
  SigningKeys,
  type Jwks,
  type KeyringSnapshot,
  type PrivateJwk,
  type PublicJwk,
  type RetiredKey,
  type Signer,
  type StoredSigningKey,
} from "./keys.js";
export { verifyChain, verifyRecord, type ChainOptions, type ChainResult, type VerifyOptions, type VerifyResult } from "./verify.js";
