import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Oto, OtoBadRequestError, OtoNotFoundError, type Agent } from "../src/index.js";
import { type RunningServer, startTestServer } from "./support/real-server.js";

// Fork, lineage, tree, records and the signing keys through the SDK against the real server (local provider).

const password = "correct horse battery staple";

describe("SDK: fork, lineage, tree, record, keys", () => {
  let server: RunningServer;
  let ada: Oto;
  let bob: Oto;
  let anonymous: Oto;
  let writer: Agent;
  let original: string;
  let forked: string;

  beforeAll(async () => {
    server = await startTestServer({ OTO_STARTER_TOKENS: "20" });
    anonymous = new Oto({ baseUrl: server.url, apiKey: "" });
    ada = new Oto({ baseUrl: server.url, apiKey: (await anonymous.register({ handle: "ada", password })).api_key.secret });
    bob = new Oto({ baseUrl: server.url, apiKey: (await anonymous.register({ handle: "bob", password })).api_key.secret });
    writer = await ada.agents.create({ name: "Verse writer", kind: "text", cost_tokens: 1 });
    original = (await ada.generateAndWait({ agent_id: writer.id, prompt: "a lighthouse" })).creation_id!;
  }, 60_000);
  afterAll(() => server?.close());

  it("forks a published creation: the job takes it as its input, and its creation names it as source", async () => {
    await expect(bob.creations.fork(original, { agent_id: writer.id, prompt: "x" })).rejects.toBeInstanceOf(OtoNotFoundError);
    await ada.creations.publish(original);
    const job = await bob.creations.fork(original, { agent_id: writer.id, prompt: "the lighthouse as a poem", parameters: { max_words: 40 } });
    expect(job).toMatchObject({ inputs: [original], agent: { id: writer.id }, prompt: "the lighthouse as a poem" });
    const done = await bob.generations.wait(job.id);
    forked = done.creation_id!;
    expect((await bob.creations.get(forked)).sources).toEqual([original]);
    await expect(bob.creations.fork(original, { agent_id: writer.id, prompt: "" })).rejects.toBeInstanceOf(OtoBadRequestError);
  });

  it("reads the lineage, the tree and the signed records", async () => {
    const lineage = await bob.creations.lineage(forked);
    expect(lineage.steps.map((s) => [s.creation_id, s.hidden, s.prompt])).toEqual([
      [original, false, "a lighthouse"],
      [forked, false, "the lighthouse as a poem"],
    ]);
    const tree = await anonymous.creations.tree(original, { depth: 3 });
    // Bob's fork is a draft: only Bob sees it in the tree.
    expect(tree).toMatchObject({ count: 1, truncated: false, root: { creation: { id: original }, children: [] } });
    expect((await bob.creations.tree(original)).root.children.map((n) => n.creation.id)).toEqual([forked]);

    const record = await bob.creations.record(forked);
    const parent = await anonymous.creations.record(original);
    expect(record).toMatchObject({ creation_id: forked, owner_id: (await bob.me()).id, prev_record_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(record.ingredients).toEqual([
      { creation_id: original, relationship: "parentOf", content_hash: parent.content_hash, record_hash: record.prev_record_hash },
    ]);
    await expect(anonymous.creations.record(forked)).rejects.toBeInstanceOf(OtoNotFoundError);
    const keys = await anonymous.lineage.keys();
    expect(keys.keys.map((k) => k.kid)).toContain(record.sig.kid);
  });
});
