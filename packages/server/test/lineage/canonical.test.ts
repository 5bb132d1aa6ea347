// RFC 8785 canonical JSON: the bytes that are signed and hashed must not depend on key order or formatting.
import { describe, expect, it } from "vitest";
import { sortableId } from "../../src/ids.js";
import { SigningKeys, buildRecord, canonicalBytes, canonicalJson, recordHash, signRecord, verifyRecord } from "../../src/lineage/index.js";

/** Rebuilds every object with its keys in reverse order, as a database's JSON type may hand them back. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

describe("canonical JSON", () => {
  it("matches the RFC 8785 sample (numbers, escapes, literals)", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units at every depth, whatever the insertion order", () => {
    const a = { b: 1, a: { z: [3, { y: 1, x: 2 }], "é": true, A: null } };
    const b = reverseKeys(a);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(canonicalJson(b)).toBe(canonicalJson(a));
    expect(canonicalJson(a)).toBe('{"a":{"A":null,"z":[3,{"x":2,"y":1}],"é":true},"b":1}');
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson(undefined)).toThrow(/cannot be written as JSON/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow(/Infinity/);
  });

  it("keeps a signed record verifiable and its hash stable after key reordering and pretty-printing", () => {
    const keys = SigningKeys.generate();
    const record = signRecord(
      buildRecord({
        creation_id: `cre_${sortableId()}`,
        content: Buffer.from("hello wall"),
        media_type: "text/plain",
        oto_version: "0.1.0",
        owner_id: `acc_${sortableId()}`,
        job_id: `job_${sortableId()}`,
        prompt: "say hello",
        agents: [{ agent_id: `agt_${sortableId()}`, name: "greeter", generator: "procedural" }],
      }),
      keys.active,
    );
    const reordered = JSON.parse(JSON.stringify(reverseKeys(record), null, 2)) as typeof record;
    expect(Object.keys(reordered)[0]).toBe("sig");
    expect(canonicalBytes(reordered).equals(canonicalBytes(record))).toBe(true);
    expect(recordHash(reordered)).toBe(recordHash(record));
    expect(verifyRecord(reordered, { publicKeys: keys.publicKeys() })).toEqual({ ok: true, problems: [] });
  });
});
