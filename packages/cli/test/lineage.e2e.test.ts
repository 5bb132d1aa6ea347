// The built `oto` binary against a real server: a fork chain three levels deep made with `oto fork`, the tree
// printed by `oto tree`, the lineage endpoint behind it, and `oto verify` checking records, files and the chain
// locally, failing loudly on a tampered record (in the database or in a file), an unknown key and a replaced file.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import { PASSWORD, type OtoResult, type TestHome, assertBuilt, makeHome, runOto, uniqueHandle } from "./helpers.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let ada: TestHome;
let bob: TestHome;
let adaHandle: string;
let bobHandle: string;
// a (Ada, text, published) ← b (Bob, image, published) ← c (Bob, image, published); a ← d (Ada's draft)
let a: string;
let b: string;
let c: string;
let d: string;

function oto(home: TestHome, args: string[], env: Record<string, string | undefined> = {}): Promise<OtoResult> {
  return runOto(args, { cwd: home.home, env: { ...home.env, OTO_SERVER: server.url, ...env }, timeoutMs: 60_000 });
}

async function json<T = any>(home: TestHome, args: string[]): Promise<T> {
  const result = await oto(home, [...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function signUp(home: TestHome, handle: string, agentName: string, kind: string): Promise<void> {
  const reg = await runOto(["register", "--handle", handle, "--password-stdin"], {
    cwd: home.home,
    env: { ...home.env, OTO_SERVER: server.url },
    stdin: PASSWORD,
  });
  expect(reg.code, reg.stderr).toBe(0);
  await json(home, ["agents", "create", "--name", agentName, "--kind", kind, "--cost", "1"]);
}

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000", OTO_STARTER_TOKENS: "50" });
  ada = await makeHome();
  bob = await makeHome();
  adaHandle = uniqueHandle("ada");
  bobHandle = uniqueHandle("bob");
  await signUp(ada, adaHandle, "Verse writer", "text");
  await signUp(bob, bobHandle, "Ink sketcher", "image");
}, 120_000);

afterAll(async () => {
  await server?.close();
  await ada?.cleanup();
  await bob?.cleanup();
});

/** Runs `fn` with one creation's stored record changed in the database, then puts it back. */
async function withRecord(id: string, change: (record: any) => void, fn: () => Promise<void>): Promise<void> {
  const [row] = await server.app.db.query<{ lineage_record: string }>("SELECT lineage_record FROM creations WHERE id = $1", [id]);
  const original = row!.lineage_record;
  const changed = JSON.parse(original);
  change(changed);
  await server.app.db.query("UPDATE creations SET lineage_record = $2 WHERE id = $1", [id, JSON.stringify(changed)]);
  try {
    await fn();
  } finally {
    await server.app.db.query("UPDATE creations SET lineage_record = $2 WHERE id = $1", [id, original]);
  }
}

function expectFailure(result: OtoResult, pattern: RegExp): void {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^oto: error: verification of cr_\w+ FAILED: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stdout).toMatch(/^✘ /m);
  expect(result.stdout).not.toMatch(/Verified:/);
}

describe("oto fork", () => {
  it("forks three levels deep across two accounts, waiting, saving and publishing", async () => {
    const made = await json(ada, ["generate", "--agent", "Verse writer", "--prompt", "a lighthouse in a storm", "--wait"]);
    a = made.creation_id;
    expect((await oto(ada, ["publish", a])).code).toBe(0);

    const forked = await json(bob, ["fork", a, "--agent", "Ink sketcher", "--prompt", "the lighthouse in ink", "--param", "width=96", "--param", "height=64", "--publish"]);
    expect(forked).toMatchObject({ status: "succeeded", inputs: [a], agent: { name: "Ink sketcher" } });
    b = forked.creation_id;

    const out = join(bob.home, "night.png");
    const human = await oto(bob, ["fork", b, "--agent", "Ink sketcher", "--prompt", "the ink lighthouse at night", "--param", "width=96", "--param", "height=64", "--out", out, "--publish"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(new RegExp(`Forked ${b} into image cr_\\w+ with Ink sketcher in .+; 1 token charged\\.`));
    expect(human.stderr).toMatch(/Saved .*night\.png \(.+, image\/png\)/);
    expect(human.stderr).toContain("Published cr_");
    c = human.stdout.trim();
    expect(c).toMatch(/^cr_[0-9a-z]{26}$/);
    expect((await readFile(out)).subarray(1, 4).toString("latin1")).toBe("PNG");

    // Without --wait: the job id at once.
    const queued = await oto(ada, ["fork", a, "--agent", "Verse writer", "--prompt", "a second poem"]);
    expect(queued.code, queued.stderr).toBe(0);
    const jobId = queued.stdout.trim();
    expect(jobId).toMatch(/^job_/);
    expect((await oto(ada, ["jobs", "watch", jobId])).code).toBe(0);
    d = (await json(ada, ["jobs", "show", jobId])).creation_id;
    expect(d).toMatch(/^cr_/);
  });

  it("refuses someone else's draft and a malformed id, in one line", async () => {
    const hidden = await oto(bob, ["fork", d, "--agent", "Ink sketcher", "--prompt", "mine now"]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(new RegExp(`^oto: error: .*No creation ${d}`));
    const bad = await oto(bob, ["fork", "cr_nope", "--agent", "Ink sketcher", "--prompt", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a creation id/);
  });
});

describe("oto tree and the lineage behind it", () => {
  it("prints the descendants as a terminal tree, the caller's drafts included", async () => {
    const result = await oto(ada, ["tree", a]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      `a lighthouse in a storm  text  @${adaHandle}  ${a}`,
      `├── the lighthouse in ink  image  @${bobHandle}  ${b}`,
      `│   └── the ink lighthouse at night  image  @${bobHandle}  ${c}`,
      `└── a second poem  text  @${adaHandle}  ${d} (draft)`,
    ]);
    expect(result.stderr).toContain("3 forks you can see.");

    // Bob does not see Ada's draft; anonymous callers neither.
    const asBob = await oto(bob, ["tree", a]);
    expect(asBob.stdout).not.toContain(d);
    const anonymous = await oto(bob, ["tree", a], { OTO_CONFIG_DIR: join(bob.home, "nobody") });
    expect(anonymous.code, anonymous.stderr).toBe(0);
    expect(anonymous.stdout.trimEnd().split("\n")).toHaveLength(3);

    const shallow = await oto(ada, ["tree", a, "--depth", "1"]);
    expect(shallow.stdout).not.toContain(c);
    expect(shallow.stderr).toMatch(/More forks exist .*--depth \(1\)/);
    const tree = await json(ada, ["tree", a, "--depth", "1"]);
    expect(tree).toMatchObject({ count: 3, truncated: true });
  });

  it("serves the lineage oldest first with each step's agents and prompt", async () => {
    const res = await fetch(`${server.url}/v1/creations/${c}/lineage`);
    expect(res.status).toBe(200);
    const lineage = (await res.json()) as any;
    expect(lineage.steps.map((s: any) => [s.creation_id, s.hidden, s.prompt, s.agents.map((x: any) => x.name), s.creation.author.handle])).toEqual([
      [a, false, "a lighthouse in a storm", ["Verse writer"], adaHandle],
      [b, false, "the lighthouse in ink", ["Ink sketcher"], bobHandle],
      [c, false, "the ink lighthouse at night", ["Ink sketcher"], bobHandle],
    ]);
  });
});

describe("oto verify", () => {
  it("verifies a fork's record, its file and its chain back to the original, locally", async () => {
    const result = await oto(bob, ["verify", c]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^Lineage of ${c}: the server's record, checked here against 1 key published by ${server.url}$`));
    expect(lines[1]).toMatch(new RegExp(`^✔ ${c}  this creation, image/png, signed by oto-\\d{4}-\\d{2}-[0-9a-f]{8}$`));
    expect(lines[2]).toMatch(new RegExp(`^✔ ${b}  parent of ${c}, image/png, signed by oto-`));
    expect(lines[3]).toMatch(new RegExp(`^✔ ${a}  parent of ${b}, text/markdown, signed by oto-.*, original$`));
    expect(lines[4]).toMatch(/^Verified: signature, 3 files \(this one's sha256 [0-9a-f]{16}…\) and 3 records back to the original\.$/);

    const report = await json(ada, ["verify", c]);
    expect(report).toMatchObject({ ok: true, creation_id: c, record_from: "server", problems: [], unchecked: [], files_checked: 3 });
    expect(report.records.map((r: any) => r.creation_id)).toEqual([c, b, a]);
    // Anyone can verify a published creation, without an account.
    const anonymous = await oto(bob, ["verify", a], { OTO_CONFIG_DIR: join(bob.home, "nobody") });
    expect(anonymous.code, anonymous.stderr).toBe(0);
  });

  it("says which ancestors it could not check when they are not visible to you, without failing", async () => {
    expect((await oto(bob, ["unpublish", b])).code).toBe(0);
    try {
      const result = await oto(ada, ["verify", c]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^! ${b}  not visible to you: its record could not be checked$`, "m"));
      expect(result.stdout).toMatch(/and 1 record; 1 ancestor not visible to you not checked\./);
    } finally {
      expect((await oto(bob, ["publish", b])).code).toBe(0);
    }
  });

  it("fails when a record in the database was changed after signing", async () => {
    await withRecord(b, (record) => (record.media_type = "image/jpeg"), async () => {
      const result = await oto(bob, ["verify", c]);
      expectFailure(result, new RegExp(`${b}: signature by key "oto-[^"]+" does not match: the record was changed after signing`));
      // The fork no longer links to the changed parent either.
      expect(result.stdout).toMatch(new RegExp(`prev_record_hash sha256:[0-9a-f]+ does not match the parent record ${b}`));
      expect(result.stdout).toMatch(new RegExp(`^✔ ${a}`, "m"));
    });
  });

  it("fails on a tampered record file, and passes on the untouched one", async () => {
    const recordFile = join(bob.home, "record.json");
    const served = await (await fetch(`${server.url}/v1/creations/${c}/record`)).json();
    await writeFile(recordFile, JSON.stringify(served, null, 2));
    const good = await oto(bob, ["verify", "--record", recordFile]);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain(`the record in ${recordFile.replace(bob.home, "~")}`);

    await writeFile(recordFile, JSON.stringify({ ...(served as any), owner_id: "acc_01jd3x9v6q8r5m2k7n4p0w1z3y" }));
    expectFailure(await oto(bob, ["verify", "--record", recordFile]), /signature by key .* does not match/);
    // The record must be for the creation named.
    await writeFile(recordFile, JSON.stringify(served));
    expectFailure(await oto(bob, ["verify", b, "--record", recordFile]), new RegExp(`the record is for ${c}, not ${b}`));
    await writeFile(recordFile, "{not json");
    const broken = await oto(bob, ["verify", "--record", recordFile]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^oto: error: .*record\.json is not JSON/);
  });

  it("fails when the record names a key the server never published", async () => {
    await withRecord(c, (record) => (record.sig.kid = "oto-2020-01-deadbeef"), async () => {
      expectFailure(await oto(bob, ["verify", c]), /signing key "oto-2020-01-deadbeef" is not a known oTo key/);
    });
  });

  it("fails when the file was replaced after signing", async () => {
    const [row] = await server.app.db.query<{ sha256: string }>("SELECT sha256 FROM creations WHERE id = $1", [c]);
    const path = server.app.files.pathOf(row!.sha256);
    const original = await readFile(path);
    const replaced = Buffer.from(original);
    const at = replaced.length - 20;
    replaced[at] = replaced[at]! ^ 0xff;
    await writeFile(path, replaced);
    try {
      expectFailure(await oto(bob, ["verify", c]), new RegExp(`${c}: content hash does not match the bytes: record says sha256 ${row!.sha256}, content is [0-9a-f]{64}`));
    } finally {
      await writeFile(path, original);
    }
    expect((await oto(bob, ["verify", c])).code).toBe(0);
  });

  it("fails when an ancestor's file was replaced after signing", async () => {
    const [row] = await server.app.db.query<{ sha256: string }>("SELECT sha256 FROM creations WHERE id = $1", [a]);
    const path = server.app.files.pathOf(row!.sha256);
    const original = await readFile(path);
    await writeFile(path, Buffer.concat([original, Buffer.from("\nedited later")]));
    try {
      const result = await oto(bob, ["verify", c]);
      expectFailure(result, new RegExp(`${a}: content hash does not match the bytes: record says sha256 ${row!.sha256}`));
      expect(result.stdout).toMatch(new RegExp(`^✔ ${c}`, "m"));
    } finally {
      await writeFile(path, original);
    }
  });

  it("needs a creation or a record file", async () => {
    const result = await oto(bob, ["verify"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^oto: error: say which creation to verify/);
  });
});
