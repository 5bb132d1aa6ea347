// Ed25519 signing keys for lineage records. The server keeps one active key to sign with and the public halves
// of retired keys, so records signed before a rotation keep verifying; the public keys are published as a JWKS.
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from "node:crypto";
import { z } from "zod";
import { canonicalJson, sha256Hex } from "./canonical.js";

export interface PublicJwk {
  kid: string;
  kty: "OKP";
  crv: "Ed25519";
  /** base64url of the 32-byte public key. */
  x: string;
}

export interface PrivateJwk extends PublicJwk {
  /** base64url of the 32-byte private key. Secret. */
  d: string;
}

export interface Jwks {
  keys: PublicJwk[];
}

/** Anything that can sign lineage records: the kid goes into `sig.kid`. */
export interface Signer {
  readonly kid: string;
  sign(bytes: Uint8Array): Uint8Array;
}

/** A private key as the server persists it (JWK or PKCS#8 PEM); the kid travels with it. */
export type StoredSigningKey =
  | { kid: string; format: "jwk"; private_key: PrivateJwk }
  | { kid: string; format: "pem"; private_key: string };

export interface RetiredKey {
  kid: string;
  public_jwk: PublicJwk;
  /** RFC 3339: when this key stopped signing. */
  retired_at: string;
}

/** The whole key ring as one JSON-serialisable value, for storing in the database. */
export interface KeyringSnapshot {
  active: StoredSigningKey;
  retired: RetiredKey[];
}

const base64url32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes of base64url");
const kidSchema = z.string().regex(/^oto-\d{4}-\d{2}-[0-9a-f]{8}$/, 'must look like "oto-<yyyy-mm>-<8 hex>"');

export const publicJwkSchema = z.object({
  kid: kidSchema,
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: base64url32,
});

const privateJwkSchema = publicJwkSchema.extend({ d: base64url32 });

export const jwksSchema = z.object({ keys: z.array(publicJwkSchema) });

const storedSigningKeySchema = z.discriminatedUnion("format", [
  z.object({ kid: kidSchema, format: z.literal("jwk"), private_key: privateJwkSchema }),
  z.object({ kid: kidSchema, format: z.literal("pem"), private_key: z.string().min(1) }),
]);

const keyringSnapshotSchema = z.object({
  active: storedSigningKeySchema,
  retired: z.array(z.object({ kid: kidSchema, public_jwk: publicJwkSchema, retired_at: z.iso.datetime({ offset: true }) })),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
}

export class KeyImportError extends Error {
  override name = "KeyImportError";
}

function rawPublicX(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new KeyImportError("not an Ed25519 key");
  }
  return jwk.x;
}

/** RFC 7638 JWK thumbprint (hex) of an Ed25519 public key. */
export function jwkThumbprint(publicKey: KeyObject): string {
  return sha256Hex(canonicalJson({ crv: "Ed25519", kty: "OKP", x: rawPublicX(publicKey) }));
}

/** `oto-<yyyy-mm>-<first 8 hex of the key's thumbprint>`: says when the key was made and which key it is. */
export function makeKid(publicKey: KeyObject, now: Date): string {
  const month = now.toISOString().slice(0, 7);
  return `oto-${month}-${jwkThumbprint(publicKey).slice(0, 8)}`;
}

function assertKidMatches(kid: string, publicKey: KeyObject): void {
  const parsed = kidSchema.safeParse(kid);
  if (!parsed.success) throw new KeyImportError(`kid "${kid}" ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  if (!kid.endsWith(`-${jwkThumbprint(publicKey).slice(0, 8)}`)) {
    throw new KeyImportError(`kid "${kid}" does not belong to this key (its thumbprint differs)`);
  }
}

function toEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new KeyImportError(`${what} is a ${key.asymmetricKeyType ?? key.type} key, not Ed25519`);
  }
  return key;
}

/** Turns a published JWK (or an Ed25519 KeyObject) into a public KeyObject. */
export function publicKeyFrom(key: KeyObject | PublicJwk | JsonWebKey): KeyObject {
  if (key instanceof KeyObject) {
    return toEd25519(key.type === "private" ? createPublicKey(key) : key, "the public key");
  }
  const jwk = key;
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new KeyImportError('a public JWK must have kty "OKP", crv "Ed25519" and x');
  }
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
}

export class SigningKey implements Signer {
  private constructor(
    readonly kid: string,
    private readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
  ) {}

  static generate(now: Date = new Date()): SigningKey {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    return new SigningKey(makeKid(publicKey, now), privateKey, publicKey);
  }

  /** Reads a stored key; fails if it is not Ed25519 or the kid does not match the key. */
  static import(stored: StoredSigningKey): SigningKey {
    const parsed = storedSigningKeySchema.safeParse(stored);
    if (!parsed.success) {
      throw new KeyImportError(`stored signing key is invalid: ${firstIssue(parsed.error)}`);
    }
    let privateKey: KeyObject;
    try {
      privateKey =
        parsed.data.format === "jwk"
          ? createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", x: parsed.data.private_key.x, d: parsed.data.private_key.d }, format: "jwk" })
          : createPrivateKey({ key: parsed.data.private_key, format: "pem" });
    } catch (error) {
      throw new KeyImportError(`stored signing key cannot be read: ${(error as Error).message}`);
    }
    toEd25519(privateKey, "the stored signing key");
    const publicKey = createPublicKey(privateKey);
    if (parsed.data.format === "jwk" && rawPublicX(publicKey) !== parsed.data.private_key.x) {
      throw new KeyImportError("stored signing key is inconsistent: x is not the public half of d");
    }
    assertKidMatches(parsed.data.kid, publicKey);
    return new SigningKey(parsed.data.kid, privateKey, publicKey);
  }

  sign(bytes: Uint8Array): Uint8Array {
    return sign(null, bytes, this.privateKey);
  }

  publicJwk(): PublicJwk {
    return { kid: this.kid, kty: "OKP", crv: "Ed25519", x: rawPublicX(this.publicKey) };
  }

  export(format: "jwk" | "pem" = "jwk"): StoredSigningKey {
    if (format === "pem") {
      return { kid: this.kid, format, private_key: this.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
    }
    const jwk = this.privateKey.export({ format: "jwk" });
    return { kid: this.kid, format, private_key: { ...this.publicJwk(), d: jwk.d as string } };
  }
}

/** The server's key ring: one active signing key plus the public halves of every retired one. */
export class SigningKeys {
  private constructor(
    private activeKey: SigningKey,
    private readonly retiredKeys: RetiredKey[],
  ) {}

  static generate(now: Date = new Date()): SigningKeys {
    return new SigningKeys(SigningKey.generate(now), []);
  }

  static import(snapshot: KeyringSnapshot): SigningKeys {
    const parsed = keyringSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      throw new KeyImportError(`key ring is invalid: ${firstIssue(parsed.error)}`);
    }
    const active = SigningKey.import(parsed.data.active as StoredSigningKey);
    for (const retired of parsed.data.retired) {
      if (retired.public_jwk.kid !== retired.kid) throw new KeyImportError(`retired key ${retired.kid} has a JWK for ${retired.public_jwk.kid}`);
      assertKidMatches(retired.kid, publicKeyFrom(retired.public_jwk));
    }
    return new SigningKeys(active, parsed.data.retired.map((r) => ({ ...r, public_jwk: { ...r.public_jwk } })));
  }

  /** The key new records are signed with. */
  get active(): SigningKey {
    return this.activeKey;
  }

  get retired(): readonly RetiredKey[] {
    return this.retiredKeys;
  }

  /** Makes a new active key; the old one stops signing but stays published for verification. */
  rotate(now: Date = new Date()): SigningKey {
    let next = SigningKey.generate(now);
    // Two keys made in the same month with colliding 8-hex thumbprints would share a kid; draw again.
    while (this.allKids().has(next.kid)) next = SigningKey.generate(now);
    this.retiredKeys.push({ kid: this.activeKey.kid, public_jwk: this.activeKey.publicJwk(), retired_at: now.toISOString() });
    this.activeKey = next;
    return next;
  }

  /** Every key that may have signed a record, newest first, as published at /.well-known style endpoints. */
  jwks(): Jwks {
    return { keys: [this.activeKey.publicJwk(), ...this.retiredKeys.map((r) => r.public_jwk).reverse()] };
  }

  /** kid → public key, ready for verifyRecord. */
  publicKeys(): Map<string, KeyObject> {
    return publicKeysFromJwks(this.jwks());
  }

  export(format: "jwk" | "pem" = "jwk"): KeyringSnapshot {
    return { active: this.activeKey.export(format), retired: this.retiredKeys.map((r) => ({ ...r, public_jwk: { ...r.public_jwk } })) };
  }

  private allKids(): Set<string> {
    return new Set([this.activeKey.kid, ...this.retiredKeys.map((r) => r.kid)]);
  }
}

/** Reads a published JWKS (e.g. fetched by `oto verify`) into kid → public key; rejects malformed keys. */
export function publicKeysFromJwks(jwks: unknown): Map<string, KeyObject> {
  const parsed = jwksSchema.safeParse(jwks);
  if (!parsed.success) {
    throw new KeyImportError(`JWKS is invalid: ${firstIssue(parsed.error)}`);
  }
  const keys = new Map<string, KeyObject>();
  for (const jwk of parsed.data.keys) {
    if (keys.has(jwk.kid)) throw new KeyImportError(`JWKS lists kid ${jwk.kid} twice`);
    const key = publicKeyFrom(jwk);
    assertKidMatches(jwk.kid, key);
    keys.set(jwk.kid, key);
  }
  return keys;
}
