// Lineage records on their own: build, sign, verify, and every kind of tampering a verifier must catch.
import { randomBytes, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sortableId } from "../../src/ids.js";
import {
  DIGITAL_SOURCE_TYPE,
  LineageBuildError,
  SigningKey,
  SigningKeys,
  buildRecord,
  canonicalJson,
  promptHash,
  recordHash,
  sha256Hex,
  signRecord,
  verifyRecord,
  type AgentStep,
  type BuildRecordInput,
  type LineageRecord,
} from "../../src/lineage/index.js";

const keys = SigningKeys.generate(new Date("2026-11-03T10:00:00Z"));
const publicKeys = keys.publicKeys();
const aiAgent: AgentStep = { agent_id: `agt_${sortableId()}`, name: "sdxl-portrait", model: "sdxl-1.0", endpoint_id: "ep-abc123", generator: "ai" };
const localAgent: AgentStep = { agent_id: `agt_${sortableId()}`, name: "doodler", generator: "procedural" };

function input(overrides: Partial<BuildRecordInput> = {}): BuildRecordInput & { content: Uint8Array } {
  return {
    creation_id: `cre_${sortableId()}`,
    content: randomBytes(256),
    media_type: "image/png",
    created_at: "2026-11-03T10:15:00.000Z",
    oto_version: "0.1.0",
    owner_id: `acc_${sortableId()}`,
    job_id: `job_${sortableId()}`,
    prompt: "a red fox at dawn, in the snow",
    agents: [aiAgent],
    ...overrides,
  } as BuildRecordInput & { content: Uint8Array };
}

const clone = (record: LineageRecord): LineageRecord => structuredClone(record);

describe("buildRecord + signRecord + verifyRecord", () => {
  it("round-trips: a freshly signed original verifies against its bytes", () => {
    const original = input();
    const record = signRecord(buildRecord(original), keys.active);

    expect(record).toMatchObject({
      v: 1,
      creation_id: original.creation_id,
      content_hash: { alg: "sha256", value: sha256Hex(original.content) },
      media_type: "image/png",
      claim_generator: "oto/0.1.0",
      ingredients: [],
      prev_record_hash: null,
      sig: { alg: "Ed25519", kid: keys.active.kid },
    });
    expect(record.actions).toEqual([
      {
        action: "c2pa.created",
        digital_source_type: DIGITAL_SOURCE_TYPE.trainedAlgorithmicMedia,
        software_agent: { agent_id: aiAgent.agent_id, name: "sdxl-portrait", model: "sdxl-1.0", endpoint_id: "ep-abc123" },
        parameters: { prompt_hash: promptHash(original.prompt), ingredient_ids: [] },
      },
    ]);
    expect(Buffer.from(record.sig.value, "base64url")).toHaveLength(64);
    expect(verifyRecord(record, { publicKeys, contentBytes: original.content })).toEqual({ ok: true, problems: [] });
    // It survives a trip through JSON text (the API, the database) unchanged.
    expect(verifyRecord(JSON.parse(JSON.stringify(record)), { publicKeys }).ok).toBe(true);
  });

  it("says the local procedural provider is algorithmic media, not AI", () => {
    const record = buildRecord(input({ agents: [localAgent] }));
    expect(record.actions[0]).toMatchObject({ action: "c2pa.created", digital_source_type: DIGITAL_SOURCE_TYPE.algorithmicMedia });
    expect(JSON.stringify(record)).not.toContain("trainedAlgorithmicMedia");
  });

  it("records several agents of one job as created, then edited, in order", () => {
    const record = buildRecord(input({ agents: [localAgent, aiAgent] }));
    expect(record.actions.map((a) => a.action)).toEqual(["c2pa.created", "c2pa.edited"]);
    expect(record.actions.map((a) => ("software_agent" in a ? a.software_agent.agent_id : null))).toEqual([localAgent.agent_id, aiAgent.agent_id]);
  });

  it("makes a fork c2pa.opened + c2pa.edited with a parentOf ingredient and the parent's record hash", () => {
    const parentInput = input();
    const parent = signRecord(buildRecord(parentInput), keys.active);
    const reference = signRecord(buildRecord(input({ agents: [localAgent] })), keys.active);
    const fork = signRecord(buildRecord(input({ parent, inputs: [reference], created_at: "2026-11-03T11:00:00Z" })), keys.active);

    expect(fork.prev_record_hash).toBe(recordHash(parent));
    expect(fork.ingredients).toEqual([
      { creation_id: parent.creation_id, relationship: "parentOf", content_hash: parent.content_hash, record_hash: recordHash(parent) },
      { creation_id: reference.creation_id, relationship: "inputTo", content_hash: reference.content_hash, record_hash: recordHash(reference) },
    ]);
    expect(fork.actions.map((a) => a.action)).toEqual(["c2pa.opened", "c2pa.edited"]);
    expect(fork.actions[0]!.parameters.ingredient_ids).toEqual([parent.creation_id]);
    expect(fork.actions[1]!.parameters.ingredient_ids).toEqual([parent.creation_id, reference.creation_id]);

    expect(verifyRecord(fork, { publicKeys, parentRecord: parent, ingredientRecords: [parent, reference] })).toEqual({ ok: true, problems: [] });
  });

  it("never puts the prompt in the record, only its sha256", () => {
    const prompt = "my secret prompt: portrait of Zxqvbrt the unrevealed";
    const record = signRecord(buildRecord(input({ prompt })), keys.active);
    const text = JSON.stringify(record);
    expect(text).not.toContain("Zxqvbrt");
    expect(text).not.toContain(prompt);
    expect(Object.keys(record)).not.toContain("prompt");
    expect(record.actions[0]!.parameters).toEqual({ prompt_hash: `sha256:${sha256Hex(prompt)}`, ingredient_ids: [] });

    // A record carrying the prompt is not a valid record, even when signed.
    const leaky = signRecord({ ...buildRecord(input({ prompt })), prompt } as never, keys.active);
    const result = verifyRecord(leaky, { publicKeys });
    expect(result.ok).toBe(false);
    expect(result.problems.join("\n")).toMatch(/Unrecognized key.*"prompt"/);
  });

  it("refuses to build records that could not verify", () => {
    expect(() => buildRecord(input({ agents: [] }))).toThrow(/at least one agent/);
    expect(() => buildRecord(input({ owner_id: "Not An Id" }))).toThrow(LineageBuildError);
    expect(() => buildRecord(input({ owner_id: "Not An Id" }))).toThrow(/owner_id: must be an oTo id/);
    expect(() => buildRecord(input({ created_at: "yesterday" }))).toThrow(/created_at is not a timestamp/);
    const parent = signRecord(buildRecord(input()), keys.active);
    expect(() => buildRecord(input({ parent, inputs: [parent] }))).toThrow(/listed as an ingredient twice/);
    expect(() => buildRecord(input({ creation_id: parent.creation_id, parent }))).toThrow(/its own ingredient/);
  });
});

describe("tampering", () => {
  const parentInput = input();
  const parent = signRecord(buildRecord(parentInput), keys.active);
  const childInput = input({ parent, created_at: "2026-11-04T09:00:00Z" });
  const child = signRecord(buildRecord(childInput), keys.active);
  const otherHash = `sha256:${sha256Hex("something else")}`;
  const signatureProblem = new RegExp(`signature by key "${keys.active.kid}" does not match`);

  const tamperings: Array<[string, (r: LineageRecord) => void]> = [
    ["content hash", (r) => void (r.content_hash.value = sha256Hex("other bytes"))],
    ["owner", (r) => void (r.owner_id = `acc_${sortableId()}`)],
    ["creation id", (r) => void (r.creation_id = `cre_${sortableId()}`)],
    ["media type", (r) => void (r.media_type = "image/jpeg")],
    ["created_at", (r) => void (r.created_at = "2026-11-05T00:00:00Z")],
    ["claim generator", (r) => void (r.claim_generator = "oto/9.9.9")],
    ["ingredient content hash", (r) => void (r.ingredients[0]!.content_hash.value = sha256Hex("x"))],
    ["ingredient record hash", (r) => void (r.ingredients[0]!.record_hash = otherHash)],
    ["ingredient relationship", (r) => void (r.ingredients[0]!.relationship = "inputTo")],
    ["action agent", (r) => void ((r.actions[1] as { software_agent: { name: string } }).software_agent.name = "impostor")],
    ["action source type (AI claimed as procedural)", (r) => void ((r.actions[1] as { digital_source_type: string }).digital_source_type = DIGITAL_SOURCE_TYPE.algorithmicMedia)],
    ["action prompt hash", (r) => void ((r.actions[1] as { parameters: { prompt_hash: string } }).parameters.prompt_hash = otherHash)],
    ["action removed", (r) => void r.actions.pop()],
    ["prev hash", (r) => void (r.prev_record_hash = otherHash)],
  ];

  it.each(tamperings)("a changed %s fails the signature with a readable problem", (_name, mutate) => {
    const tampered = clone(child);
    mutate(tampered);
    const result = verifyRecord(tampered, { publicKeys });
    expect(result.ok).toBe(false);
    expect(result.problems.some((p) => signatureProblem.test(p))).toBe(true);
  });

  it("a changed content hash is also caught against the bytes", () => {
    const tampered = clone(child);
    tampered.content_hash.value = sha256Hex("other bytes");
    const result = verifyRecord(tampered, { publicKeys, contentBytes: childInput.content });
    expect(result.problems).toContain(
      `content hash does not match the bytes: record says sha256 ${sha256Hex("other bytes")}, content is ${sha256Hex(childInput.content)}`,
    );
  });

  it("different bytes under an intact record fail the content check only", () => {
    const result = verifyRecord(child, { publicKeys, contentBytes: Buffer.from("swapped file") });
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^content hash does not match the bytes/);
  });

  it("a changed prev hash is also caught against the parent and the ingredient", () => {
    const tampered = clone(child);
    tampered.prev_record_hash = otherHash;
    const problems = verifyRecord(tampered, { publicKeys, parentRecord: parent }).problems.join("\n");
    expect(problems).toContain(`prev_record_hash ${otherHash} does not match the parent record ${parent.creation_id}`);
    expect(problems).toContain("is not the parent ingredient's record_hash");
  });

  it("a tampered parent no longer matches its child's hashes", () => {
    const tamperedParent = clone(parent);
    tamperedParent.owner_id = `acc_${sortableId()}`;
    const result = verifyRecord(child, { publicKeys, parentRecord: tamperedParent, ingredientRecords: [tamperedParent] });
    expect(result.ok).toBe(false);
    expect(result.problems.join("\n")).toMatch(/prev_record_hash .* does not match the parent record/);
    expect(result.problems.join("\n")).toMatch(new RegExp(`ingredient ${parent.creation_id} record_hash .* does not match its record`));
  });

  it("a record re-signed by someone else's key under our kid fails; an unknown kid is named", () => {
    const forged = clone(child);
    forged.owner_id = `acc_${sortableId()}`;
    const attacker = SigningKey.generate(new Date("2026-11-03T00:00:00Z"));
    const resigned = signRecord(forged, { kid: keys.active.kid, sign: (bytes) => attacker.sign(bytes) });
    expect(verifyRecord(resigned, { publicKeys }).problems).toEqual([
      `signature by key "${keys.active.kid}" does not match: the record was changed after signing, or signed with another key`,
    ]);

    const ownKid = signRecord(forged, attacker);
    expect(verifyRecord(ownKid, { publicKeys }).problems).toEqual([`signing key "${attacker.kid}" is not a known oTo key`]);
  });

  it("a validly signed but self-inconsistent record still fails (e.g. a buggy signer)", () => {
    const broken = clone(child);
    broken.prev_record_hash = null;
    broken.actions[1]!.parameters.ingredient_ids.push(`cre_${sortableId()}`);
    const result = verifyRecord(signRecord(broken, keys.active), { publicKeys });
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(`prev_record_hash null is not the parent ingredient's record_hash ${recordHash(parent)}`);
    expect(result.problems.join("\n")).toMatch(/actions\[1\] \(c2pa\.edited\) uses cre_\w+, which is not an ingredient/);

    const orphan = clone(parent);
    orphan.prev_record_hash = recordHash(child);
    expect(verifyRecord(signRecord(orphan, keys.active), { publicKeys }).problems).toEqual([
      "prev_record_hash is set but the record has no parentOf ingredient",
    ]);
  });

  it("malformed input gets one line per problem instead of a crash", () => {
    expect(verifyRecord(null, { publicKeys }).problems).toEqual(["record: Invalid input: expected object, received null"]);
    const { sig: _sig, ...unsigned } = child;
    expect(verifyRecord(unsigned, { publicKeys }).problems).toEqual(["sig: Invalid input: expected object, received undefined"]);
    const badSig = clone(child);
    badSig.sig.value = "abc";
    expect(verifyRecord(badSig, { publicKeys }).problems).toEqual(["sig.value: must be a 64-byte Ed25519 signature in base64url"]);
  });

  it("the signed bytes are the canonical JSON of the record without sig", () => {
    const { sig, ...unsigned } = child;
    const bytes = Buffer.from(canonicalJson(unsigned), "utf8");
    const key = keys.publicKeys().get(sig.kid)!;
    expect(verify(null, bytes, key, Buffer.from(sig.value, "base64url"))).toBe(true);
    expect(recordHash(child)).toBe(`sha256:${sha256Hex(canonicalJson(child))}`);
  });
});
