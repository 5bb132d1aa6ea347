// A lineage from the first ancestor to a fork of a fork: every record verifies against the one before it.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sortableId } from "../../src/ids.js";
import {
  SigningKeys,
  buildRecord,
  recordHash,
  signRecord,
  verifyChain,
  type AgentStep,
  type LineageRecord,
} from "../../src/lineage/index.js";

const keys = SigningKeys.generate(new Date("2026-10-01T00:00:00Z"));
const publicKeys = keys.publicKeys();
const agents: AgentStep[] = [
  { agent_id: `agt_${sortableId()}`, name: "doodler", generator: "procedural" },
  { agent_id: `agt_${sortableId()}`, name: "sdxl-portrait", model: "sdxl-1.0", generator: "ai" },
  { agent_id: `agt_${sortableId()}`, name: "upscaler", model: "esrgan-x4", endpoint_id: "ep-up4", generator: "ai" },
];

interface Step {
  record: LineageRecord;
  bytes: Buffer;
}

/** Root by the local provider, then three forks, each by a different owner and a different agent. */
function lineage(): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < 4; i++) {
    const bytes = randomBytes(128);
    const parent = steps[i - 1]?.record;
    const record = signRecord(
      buildRecord({
        creation_id: `cre_${sortableId()}`,
        content: bytes,
        media_type: "image/png",
        created_at: new Date(Date.UTC(2026, 10, 1 + i)),
        oto_version: "0.1.0",
        owner_id: `acc_${sortableId()}`,
        job_id: `job_${sortableId()}`,
        prompt: `step ${i}`,
        agents: [agents[i % agents.length]!],
        ...(parent ? { parent } : {}),
      }),
      keys.active,
    );
    steps.push({ record, bytes });
  }
  return steps;
}

const contentOf = (steps: Step[]) => new Map(steps.map((s) => [s.record.creation_id, s.bytes]));

describe("verifyChain", () => {
  it("verifies an original and three forks, content included", () => {
    const steps = lineage();
    const records = steps.map((s) => s.record);
    expect(records.slice(1).map((r, i) => r.prev_record_hash === recordHash(records[i]!))).toEqual([true, true, true]);
    const result = verifyChain(records, { publicKeys, contentBytes: contentOf(steps) });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.records.map((r) => r.ok)).toEqual([true, true, true, true]);
  });

  it("breaking a middle record fails that record and the link from its child", () => {
    const records = lineage().map((s) => structuredClone(s.record));
    const middle = records[2]!;
    middle.owner_id = `acc_${sortableId()}`;

    const result = verifyChain(records, { publicKeys });
    expect(result.ok).toBe(false);
    expect(result.records.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(result.problems).toEqual([
      `record 3/4 (${middle.creation_id}): signature by key "${keys.active.kid}" does not match: the record was changed after signing, or signed with another key`,
      expect.stringMatching(new RegExp(`^record 4/4 \\(${records[3]!.creation_id}\\): prev_record_hash sha256:\\w+ does not match the parent record ${middle.creation_id}`)),
    ]);
  });

  it("even a middle record re-signed with the real key breaks the chain at its child", () => {
    const records = lineage().map((s) => s.record);
    records[1] = signRecord({ ...records[1]!, owner_id: `acc_${sortableId()}` }, keys.active);
    const result = verifyChain(records, { publicKeys });
    expect(result.records.map((r) => r.ok)).toEqual([true, true, false, true]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^record 3\/4 .* prev_record_hash .* does not match the parent record/);
  });

  it("catches swapped content in the middle of the chain", () => {
    const steps = lineage();
    const contents = contentOf(steps);
    contents.set(steps[1]!.record.creation_id, Buffer.from("not the original image"));
    const result = verifyChain(steps.map((s) => s.record), { publicKeys, contentBytes: contents });
    expect(result.records.map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(result.problems[0]).toMatch(/^record 2\/4 .*: content hash does not match the bytes/);
  });

  it("rejects records out of order, a chain not starting at an original, a missing link, and an empty chain", () => {
    const records = lineage().map((s) => s.record);
    expect(verifyChain([...records].reverse(), { publicKeys }).ok).toBe(false);

    const fromFork = verifyChain(records.slice(1), { publicKeys });
    expect(fromFork.problems).toEqual([
      `record 1/3 (${records[1]!.creation_id}): the first record of a chain must be an original creation (prev_record_hash null)`,
    ]);

    const gap = verifyChain([records[0]!, records[2]!], { publicKeys });
    expect(gap.ok).toBe(false);
    expect(gap.problems.join("\n")).toMatch(/record 2\/2 .* prev_record_hash .* does not match the parent record/);
    expect(gap.problems.join("\n")).toMatch(/the parent record is cre_\w+ but the parentOf ingredient is cre_\w+/);

    const malformed = verifyChain([records[0]!, { hello: "world" }, records[2]!], { publicKeys });
    expect(malformed.records.map((r) => r.ok)).toEqual([true, false, false]);
    expect(malformed.problems).toContain("record 3/3 (" + records[2]!.creation_id + "): cannot be linked: the record before it is malformed");

    expect(verifyChain([], { publicKeys })).toEqual({ ok: false, problems: ["the chain is empty"], records: [] });
  });
});
