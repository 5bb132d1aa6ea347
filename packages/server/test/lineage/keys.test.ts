// Signing keys: kids, persistence (JWK and PEM), the published JWKS, and rotation keeping old records valid.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sortableId } from "../../src/ids.js";
import {
  KeyImportError,
  SigningKey,
  SigningKeys,
  buildRecord,
  jwkThumbprint,
  publicKeysFromJwks,
  signRecord,
  verifyRecord,
  type KeyringSnapshot,
  type LineageRecord,
  type PublicJwk,
} from "../../src/lineage/index.js";

function record(signer: SigningKey, createdAt: Date): LineageRecord {
  return signRecord(
    buildRecord({
      creation_id: `cre_${sortableId()}`,
      content: Buffer.from(`made at ${createdAt.toISOString()}`),
      media_type: "text/plain",
      created_at: createdAt,
      oto_version: "0.1.0",
      owner_id: `acc_${sortableId()}`,
      job_id: `job_${sortableId()}`,
      prompt: "write something",
      agents: [{ agent_id: `agt_${sortableId()}`, name: "writer", generator: "procedural" }],
    }),
    signer,
  );
}

describe("SigningKey", () => {
  it("names keys oto-<yyyy-mm>-<thumbprint prefix>", () => {
    const key = SigningKey.generate(new Date("2026-03-31T23:59:59Z"));
    expect(key.kid).toMatch(/^oto-2026-03-[0-9a-f]{8}$/);
    expect(key.kid.endsWith(jwkThumbprint(key.publicKey).slice(0, 8))).toBe(true);
    expect(SigningKey.generate(new Date("2026-03-31T23:59:59Z")).kid).not.toBe(key.kid);
  });

  it.each(["jwk", "pem"] as const)("survives export/import as %s and signs exactly as before", (format) => {
    const key = SigningKey.generate();
    const stored = JSON.parse(JSON.stringify(key.export(format)));
    if (format === "pem") expect(stored.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    else expect(stored.private_key).toMatchObject({ kid: key.kid, kty: "OKP", crv: "Ed25519", x: key.publicJwk().x, d: expect.any(String) });
    const restored = SigningKey.import(stored);
    expect(restored.kid).toBe(key.kid);
    const bytes = Buffer.from("same message");
    expect(Buffer.from(restored.sign(bytes)).equals(Buffer.from(key.sign(bytes)))).toBe(true); // Ed25519 is deterministic
  });

  it("refuses stored keys that are not Ed25519, are inconsistent, or carry another key's kid", () => {
    const key = SigningKey.generate();
    const other = SigningKey.generate();
    const rsaPem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

    expect(() => SigningKey.import({ kid: key.kid, format: "pem", private_key: rsaPem })).toThrow(/is a rsa key, not Ed25519/);
    expect(() => SigningKey.import({ ...other.export("pem"), kid: key.kid })).toThrow(/does not belong to this key/);
    const jwk = key.export("jwk");
    if (jwk.format !== "jwk") throw new Error("expected a JWK");
    expect(() => SigningKey.import({ ...jwk, private_key: { ...jwk.private_key, x: other.publicJwk().x } })).toThrow(KeyImportError);
    expect(() => SigningKey.import({ kid: "my-key", format: "pem", private_key: "x" })).toThrow(/kid: must look like "oto-<yyyy-mm>-<8 hex>"/);
    expect(() => SigningKey.import({ kid: key.kid, format: "pem", private_key: "not a pem" })).toThrow(/cannot be read/);
  });
});

describe("SigningKeys (key ring)", () => {
  it("publishes public keys only, as a JWKS", () => {
    const keys = SigningKeys.generate();
    const jwks = keys.jwks();
    expect(jwks).toEqual({ keys: [{ kid: keys.active.kid, kty: "OKP", crv: "Ed25519", x: keys.active.publicJwk().x }] });
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it("rotation: records signed by retired keys still verify with the published keys, after a restart too", () => {
    const keys = SigningKeys.generate(new Date("2026-01-10T00:00:00Z"));
    const january = keys.active.kid;
    const oldRecord = record(keys.active, new Date("2026-01-15T00:00:00Z"));

    const june = keys.rotate(new Date("2026-06-01T00:00:00Z"));
    expect(june.kid).toMatch(/^oto-2026-06-/);
    expect(keys.active).toBe(june);
    expect(keys.retired).toEqual([{ kid: january, public_jwk: expect.objectContaining({ kid: january }), retired_at: "2026-06-01T00:00:00.000Z" }]);
    const newRecord = record(keys.active, new Date("2026-06-02T00:00:00Z"));
    expect(newRecord.sig.kid).toBe(june.kid);

    // What the server stores, and what it publishes, both as JSON text.
    const snapshot = JSON.parse(JSON.stringify(keys.export("pem"))) as KeyringSnapshot;
    expect(JSON.stringify(snapshot.retired)).not.toContain("PRIVATE KEY"); // retired private keys are dropped
    const published = JSON.parse(JSON.stringify(SigningKeys.import(snapshot).jwks()));
    expect(published.keys.map((k: { kid: string }) => k.kid)).toEqual([june.kid, january]);

    const verifierKeys = publicKeysFromJwks(published);
    expect(verifyRecord(oldRecord, { publicKeys: verifierKeys })).toEqual({ ok: true, problems: [] });
    expect(verifyRecord(newRecord, { publicKeys: verifierKeys })).toEqual({ ok: true, problems: [] });

    // JWKs work directly as verification keys as well.
    const asJwks = new Map<string, PublicJwk>(published.keys.map((k: PublicJwk) => [k.kid, k]));
    expect(verifyRecord(oldRecord, { publicKeys: asJwks }).ok).toBe(true);

    // A verifier that forgot the old key cannot vouch for old records.
    const onlyNew = new Map([[june.kid, june.publicKey]]);
    expect(verifyRecord(oldRecord, { publicKeys: onlyNew }).problems).toEqual([`signing key "${january}" is not a known oTo key`]);

    // The restored ring keeps signing with the June key.
    const restored = SigningKeys.import(snapshot);
    expect(restored.active.kid).toBe(june.kid);
    expect(verifyRecord(record(restored.active, new Date("2026-07-01T00:00:00Z")), { publicKeys: verifierKeys }).ok).toBe(true);
  });

  it("a record signed with the wrong key for its kid fails", () => {
    const keys = SigningKeys.generate();
    const oldKid = keys.active.kid;
    keys.rotate();
    const mislabelled = signRecord(record(keys.active, new Date()), { kid: oldKid, sign: (b) => keys.active.sign(b) });
    expect(verifyRecord(mislabelled, { publicKeys: keys.publicKeys() }).problems).toEqual([
      `signature by key "${oldKid}" does not match: the record was changed after signing, or signed with another key`,
    ]);
  });

  it("rejects a JWKS with malformed, duplicated or mislabelled keys", () => {
    const a = SigningKey.generate().publicJwk();
    const b = SigningKey.generate().publicJwk();
    expect(() => publicKeysFromJwks({ keys: [a, a] })).toThrow(/lists kid .* twice/);
    expect(() => publicKeysFromJwks({ keys: [{ ...a, x: b.x }] })).toThrow(/does not belong to this key/);
    expect(() => publicKeysFromJwks({ keys: [{ ...a, crv: "P-256" }] })).toThrow(/JWKS is invalid: keys.0.crv/);
    expect(() => publicKeysFromJwks({ nope: true })).toThrow(/JWKS is invalid: keys/);
  });

  it("refuses a key ring whose retired key does not match its kid", () => {
    const keys = SigningKeys.generate();
    keys.rotate();
    const snapshot = keys.export();
    snapshot.retired[0]!.public_jwk.x = SigningKey.generate().publicJwk().x;
    expect(() => SigningKeys.import(snapshot)).toThrow(/does not belong to this key/);
  });
});
