// Fork, lineage, tree, signed records and the JWKS over HTTP, on a real server with the local provider: records are
// signed in the job's settle transaction, verify against the published keys, chain by hash from fork to source, and
// old creations get theirs on first read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateSigningKey } from "../../src/lineage/keyStore.js";
import {
  DIGITAL_SOURCE_TYPE,
  promptHash,
  publicKeysFromJwks,
  recordHash,
  verifyChain,
  verifyRecord,
  type LineageRecord,
} from "../../src/lineage/index.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type Registered, call, expectProblem, register } from "../helpers.js";
import { getBytes, seedCreation } from "../creations/support.js";

let server: RunningServer;
let ada: Registered;
let bob: Registered;
let adaText: string;
let bobImage: string;

beforeAll(async () => {
  server = await startTestServer({ OTO_STARTER_TOKENS: "200" });
  ada = await register(server);
  bob = await register(server);
  adaText = await agent(ada, "text", "Verse writer");
  bobImage = await agent(bob, "image", "Ink sketcher", { width: 96, height: 64 });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

async function agent(who: Registered, kind: string, name: string, parameters: Record<string, number> = {}): Promise<string> {
  const res = await call(server, "POST", "/v1/agents", {
    apiKey: who.apiKey,
    json: { name, kind, cost_tokens: 1, default_parameters: parameters },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function generate(who: Registered, agentId: string, prompt: string): Promise<string> {
  const res = await call(server, "POST", "/v1/generations", {
    apiKey: who.apiKey,
    json: { agent_id: agentId, prompt },
    headers: { prefer: "wait=60" },
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.status).toBe("succeeded");
  return res.body.creation_id;
}

async function fork(who: Registered, creationId: string, agentId: string, prompt: string): Promise<string> {
  const res = await call(server, "POST", `/v1/creations/${creationId}/fork`, {
    apiKey: who.apiKey,
    json: { agent_id: agentId, prompt },
    headers: { prefer: "wait=60" },
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.status).toBe("succeeded");
  expect(res.body.inputs).toEqual([creationId]);
  expect(res.headers.get("location")).toBe(`/v1/generations/${res.body.id}`);
  return res.body.creation_id;
}

const publish = async (who: Registered, id: string) =>
  expect((await call(server, "POST", `/v1/creations/${id}/publish`, { apiKey: who.apiKey })).status).toBe(200);

async function record(id: string, who?: Registered): Promise<LineageRecord> {
  const res = await call(server, "GET", `/v1/creations/${id}/record`, who ? { apiKey: who.apiKey } : {});
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function keys() {
  const res = await call(server, "GET", "/v1/lineage/keys");
  expect(res.status).toBe(200);
  return publicKeysFromJwks(res.body);
}

describe("signing keys", () => {
  it("publishes one Ed25519 key as a cacheable JWKS, made at start", async () => {
    const res = await call(server, "GET", "/v1/lineage/keys");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA", kid: expect.stringMatching(/^oto-\d{4}-\d{2}-[0-9a-f]{8}$/) });
    expect(res.body.keys[0].d).toBeUndefined();
    const rows = await server.app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM lineage_keys WHERE retired_at IS NULL");
    expect(rows[0]!.n).toBe(1);
  });
});

describe("fork, records and lineage", () => {
  let a: string; // ada's original text, published
  let b: string; // bob's image forked from a, a draft
  let c: string; // bob's image forked from his own draft b

  it("signs a record in the transaction that makes the creation", async () => {
    a = await generate(ada, adaText, "a lighthouse in a storm");
    const rows = await server.app.db.query<{ lineage_record: string | null; record_hash: string | null }>(
      "SELECT lineage_record, record_hash FROM creations WHERE id = $1",
      [a],
    );
    expect(rows[0]!.lineage_record).not.toBeNull();
    const stored = JSON.parse(rows[0]!.lineage_record!) as LineageRecord;
    expect(rows[0]!.record_hash).toBe(recordHash(stored));

    const got = await record(a, ada);
    expect(got).toEqual(stored);
    const file = await getBytes(server, `/v1/creations/${a}/file`, { apiKey: ada.apiKey });
    expect(verifyRecord(got, { publicKeys: await keys(), contentBytes: file.bytes })).toEqual({ ok: true, problems: [] });
    expect(got).toMatchObject({
      creation_id: a,
      owner_id: ada.accountId,
      media_type: "text/markdown",
      prev_record_hash: null,
      ingredients: [],
      actions: [
        {
          action: "c2pa.created",
          // The local provider is procedural, not AI.
          digital_source_type: DIGITAL_SOURCE_TYPE.algorithmicMedia,
          software_agent: { agent_id: adaText, name: "Verse writer" },
          parameters: { prompt_hash: promptHash("a lighthouse in a storm"), ingredient_ids: [] },
        },
      ],
    });
    expect(got.actions[0]).not.toHaveProperty("software_agent.model");
  });

  it("answers 404 for someone else's draft (fork, record, lineage, tree) and 401 without a key", async () => {
    for (const path of ["record", "lineage", "tree"]) {
      expectProblem(await call(server, "GET", `/v1/creations/${a}/${path}`, { apiKey: bob.apiKey }), 404, "not_found");
      expectProblem(await call(server, "GET", `/v1/creations/${a}/${path}`), 404, "not_found");
      expectProblem(await call(server, "GET", `/v1/creations/cr_00000000000000000000000000/${path}`, { apiKey: ada.apiKey }), 404, "not_found");
    }
    const before = await call(server, "GET", "/v1/tokens/balance", { apiKey: bob.apiKey });
    // The creation is checked first: an unknown agent still answers "no creation".
    const res = await call(server, "POST", `/v1/creations/${a}/fork`, { apiKey: bob.apiKey, json: { agent_id: "ag_00000000000000000000000000", prompt: "x" } });
    expectProblem(res, 404, "not_found");
    expect(res.body.detail).toContain(a);
    expectProblem(await call(server, "POST", `/v1/creations/${a}/fork`, { json: { agent_id: bobImage, prompt: "x" } }), 401, "missing_api_key");
    expect((await call(server, "GET", "/v1/tokens/balance", { apiKey: bob.apiKey })).body).toEqual(before.body);
  });

  it("forks a published creation and your own draft; the records chain by hash", async () => {
    await publish(ada, a);
    b = await fork(bob, a, bobImage, "the same lighthouse as ink");
    c = await fork(bob, b, bobImage, "the ink lighthouse at night");
    // Ada cannot fork Bob's draft.
    expectProblem(await call(server, "POST", `/v1/creations/${b}/fork`, { apiKey: ada.apiKey, json: { agent_id: adaText, prompt: "x" } }), 404, "not_found");

    const [ra, rb, rc] = [await record(a), await record(b, bob), await record(c, bob)];
    expect(rb.prev_record_hash).toBe(recordHash(ra));
    expect(rc.prev_record_hash).toBe(recordHash(rb));
    expect(rc.ingredients).toEqual([{ creation_id: b, relationship: "parentOf", content_hash: rb.content_hash, record_hash: recordHash(rb) }]);
    expect(rc.actions.map((x) => x.action)).toEqual(["c2pa.opened", "c2pa.edited"]);
    const bytes = new Map<string, Uint8Array>();
    for (const id of [a, b, c]) bytes.set(id, (await getBytes(server, `/v1/creations/${id}/file`, { apiKey: id === a ? ada.apiKey : bob.apiKey })).bytes);
    expect(verifyChain([ra, rb, rc], { publicKeys: await keys(), contentBytes: bytes })).toMatchObject({ ok: true, problems: [] });
  });

  it("shows the lineage oldest first with agents and prompts, hiding steps the caller may not see", async () => {
    const own = await call(server, "GET", `/v1/creations/${c}/lineage`, { apiKey: bob.apiKey });
    expect(own.status).toBe(200);
    expect(own.body.creation_id).toBe(c);
    expect(own.body.steps.map((s: any) => [s.creation_id, s.hidden, s.prompt, s.agents.map((x: any) => x.name)])).toEqual([
      [a, false, "a lighthouse in a storm", ["Verse writer"]],
      [b, false, "the same lighthouse as ink", ["Ink sketcher"]],
      [c, false, "the ink lighthouse at night", ["Ink sketcher"]],
    ]);
    expect(own.body.steps[0].creation).toMatchObject({ id: a, kind: "text", state: "published", thumbnail_url: null, author: { id: ada.accountId, handle: ada.handle } });
    expect(own.body.steps[1].creation.thumbnail_url).toBe(`${server.url}/v1/creations/${b}/thumbnail`);

    await publish(bob, c);
    const anonymous = await call(server, "GET", `/v1/creations/${c}/lineage`);
    expect(anonymous.body.steps).toEqual([
      expect.objectContaining({ creation_id: a, hidden: false }),
      { creation_id: b, hidden: true, creation: null, agents: [], prompt: null },
      expect.objectContaining({ creation_id: c, hidden: false }),
    ]);
    // Records follow the same visibility.
    expectProblem(await call(server, "GET", `/v1/creations/${b}/record`), 404, "not_found");
    expect((await call(server, "GET", `/v1/creations/${c}/record`)).status).toBe(200);
  });

  it("builds the tree breadth-first: published forks for all, drafts for their author, depth and limit", async () => {
    const d = await fork(ada, a, adaText, "a second poem"); // ada's draft
    const ids = (node: any): any => [node.creation.id, node.children.map(ids)];

    const asBob = await call(server, "GET", `/v1/creations/${a}/tree`, { apiKey: bob.apiKey });
    expect(asBob.status).toBe(200);
    expect(asBob.body).toMatchObject({ count: 3, truncated: false });
    expect(ids(asBob.body.root)).toEqual([a, [[b, [[c, []]]]]]);
    expect(asBob.body.root.agents).toEqual([expect.objectContaining({ id: adaText, name: "Verse writer", kind: "text" })]);

    const asAda = await call(server, "GET", `/v1/creations/${a}/tree`, { apiKey: ada.apiKey });
    // Bob's draft b is hidden from Ada, and so is c below it; her own draft d shows.
    expect(ids(asAda.body.root)).toEqual([a, [[d, []]]]);
    expect(asAda.body.count).toBe(2);

    const shallow = await call(server, "GET", `/v1/creations/${a}/tree?depth=1`, { apiKey: bob.apiKey });
    expect(ids(shallow.body.root)).toEqual([a, [[b, []]]]);
    expect(shallow.body).toMatchObject({ count: 2, truncated: true });
    const small = await call(server, "GET", `/v1/creations/${a}/tree?limit=1`, { apiKey: bob.apiKey });
    expect(small.body).toMatchObject({ count: 1, truncated: true });
    expect(small.body.root.children).toEqual([]);
    const leaf = await call(server, "GET", `/v1/creations/${c}/tree`);
    expect(leaf.body).toMatchObject({ count: 1, truncated: false });
    expectProblem(await call(server, "GET", `/v1/creations/${a}/tree?depth=0`), 400, "validation_failed");
  });
});

describe("records of creations made before records existed", () => {
  it("signs them on first read, parents first, once even under concurrent reads", async () => {
    const runpod = await call(server, "POST", "/v1/agents", {
      apiKey: ada.apiKey,
      json: { name: "Flux", kind: "image", provider: { type: "runpod", endpoint_id: "ep123abc", model: "flux-dev" } },
    });
    expect(runpod.status, runpod.text).toBe(201);
    const parent = await seedCreation(server, ada.accountId, "image", "an old sketch", { agentIds: [runpod.body.id] });
    const child = await seedCreation(server, ada.accountId, "text", "an old poem", { agentIds: [adaText], sourceIds: [parent.id] });

    const reads = await Promise.all(Array.from({ length: 6 }, () => record(child.id, ada)));
    for (const r of reads) expect(r).toEqual(reads[0]);
    const parentRecord = await record(parent.id, ada);
    expect(reads[0]!.prev_record_hash).toBe(recordHash(parentRecord));
    expect(parentRecord.actions[0]).toMatchObject({
      digital_source_type: DIGITAL_SOURCE_TYPE.trainedAlgorithmicMedia,
      software_agent: { agent_id: runpod.body.id, name: "Flux", model: "flux-dev", endpoint_id: "ep123abc" },
    });
    const chain = verifyChain([parentRecord, reads[0]], {
      publicKeys: await keys(),
      contentBytes: new Map([[parent.id, parent.bytes], [child.id, child.bytes]]),
    });
    expect(chain).toMatchObject({ ok: true });
    const stored = await server.app.db.query<{ record_hash: string }>("SELECT record_hash FROM creations WHERE id = $1", [child.id]);
    expect(stored[0]!.record_hash).toBe(recordHash(reads[0]!));
  });
});

describe("key rotation", () => {
  it("signs new records with the new key and keeps old ones verifiable", async () => {
    const before = await generate(ada, adaText, "before the rotation");
    const oldRecord = await record(before, ada);
    const kid = await rotateSigningKey(server.app.db);
    expect(kid).not.toBe(oldRecord.sig.kid);

    const jwks = (await call(server, "GET", "/v1/lineage/keys")).body;
    expect(jwks.keys.map((k: any) => k.kid)).toEqual([kid, oldRecord.sig.kid]);
    const after = await record(await generate(ada, adaText, "after the rotation"), ada);
    expect(after.sig.kid).toBe(kid);
    const publicKeys = publicKeysFromJwks(jwks);
    expect(verifyRecord(oldRecord, { publicKeys }).ok).toBe(true);
    expect(verifyRecord(after, { publicKeys }).ok).toBe(true);
  });
});
