// The built `oto` binary, run with pipes (no TTY) in a temp HOME, against a real server: agents,
// generate, jobs, creations, download/publish/share, tokens and admin.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import { PASSWORD, type OtoResult, type TestHome, assertBuilt, makeHome, runOto, uniqueHandle } from "./helpers.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let home: TestHome;
let work: string;

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer({
    OTO_AUTH_RATE_LIMIT: "100000",
    OTO_ADMIN_HANDLES: "root",
    OTO_STARTER_TOKENS: "50",
  });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  home = await makeHome();
  work = join(home.home, "work");
  await mkdir(work);
});
afterEach(async () => {
  await home.cleanup();
});

function oto(args: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}) {
  return runOto(args, {
    cwd: work,
    stdin: options.stdin,
    env: { ...home.env, OTO_SERVER: server.url, ...options.env },
    timeoutMs: 60_000,
  });
}

/** Runs oto --json and parses stdout; the run must succeed and print nothing on stderr. */
async function json<T = any>(args: string[], options: Parameters<typeof oto>[1] = {}): Promise<T> {
  const result = await oto([...args, "--json"], options);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout) as T;
}

async function register(handle = uniqueHandle()) {
  const result = await oto(["register", "--handle", handle, "--password-stdin"], { stdin: PASSWORD });
  expect(result.code, result.stderr).toBe(0);
  return handle;
}

/** One "oto: error: …" line, plus at most one hint line, no stack trace. */
function expectOneErrorLine(result: OtoResult, pattern: RegExp) {
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^oto: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const COST = { text: 1, image: 4, voice: 3, video: 10 } as const;

describe("oto agents", () => {
  it("create from flags (--json), list, show by id or name, update, archive --yes", async () => {
    await register();
    const agent = await json([
      "agents",
      "create",
      "--name",
      "Ink sketcher",
      "--kind",
      "image",
      "--description",
      "Pen and ink",
      "--template",
      "a pen and ink sketch of {{prompt}}",
      "--param",
      "width=256",
      "--param",
      "height=128",
      "--cost",
      "2",
      "--color",
      "#D4A017",
    ]);
    expect(agent).toMatchObject({
      id: expect.stringMatching(/^ag_[0-9a-z]{26}$/),
      name: "Ink sketcher",
      kind: "image",
      description: "Pen and ink",
      prompt_template: "a pen and ink sketch of {{prompt}}",
      default_parameters: { width: 256, height: 128 },
      cost_tokens: 2,
      color: "#d4a017",
      provider: { type: "local" },
    });

    const human = await oto([
      "agents",
      "create",
      "--name",
      "Narrator",
      "--kind",
      "voice",
      "--endpoint-id",
      "ep-1",
      "--model",
      "xtts",
    ]);
    expect(human.code, human.stderr).toBe(0);
    const narratorId = human.stdout.trim();
    expect(narratorId).toMatch(/^ag_/);
    expect(human.stderr).toContain(`Created agent ${narratorId} "Narrator" (voice, 3 tokens per run, runpod:ep-1).`);

    const mine = await json(["agents", "list", "--mine"]);
    expect(mine.data.map((a: { name: string }) => a.name)).toEqual(["Narrator", "Ink sketcher"]);
    expect((await json(["agents", "list", "--mine", "--kind", "voice"])).data).toHaveLength(1);
    const table = await oto(["agents", "list", "--mine"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+KIND\s+COST\s+PROVIDER\s+OWNER\s+CREATED\n/);
    expect(table.stdout).toContain("runpod:ep-1");

    expect(await json(["agents", "show", "ink SKETCHER"])).toMatchObject({ id: agent.id });
    const shown = await oto(["agents", "show", narratorId]);
    expect(shown.stdout).toContain("runpod endpoint ep-1, model xtts");

    const updated = await json(["agents", "update", agent.id, "--param", "width=512", "--cost", "3"]);
    expect(updated).toMatchObject({ cost_tokens: 3, default_parameters: { width: 512, height: 128 }, kind: "image" });

    const archived = await json(["agents", "archive", "Narrator", "--yes"]);
    expect(archived.archived_at).toEqual(expect.any(String));
    expect((await json(["agents", "list", "--mine"])).data).toHaveLength(1);
    expect((await json(["agents", "list", "--mine", "--archived"])).data).toHaveLength(2);
    const run = await oto(["generate", "--agent", "Narrator", "--prompt", "hello"]);
    expect(run.code).toBe(1);
    expectOneErrorLine(run, /is archived and no longer runs/);
  });

  it("off a TTY, missing or bad flags are usage errors (exit 2) that name them", async () => {
    await register();
    const missing = await oto(["agents", "create"]);
    expect(missing.code).toBe(2);
    expectOneErrorLine(missing, /--name and --kind are required when oto cannot prompt \(stdin is not a terminal\)/);
    const noKind = await oto(["agents", "create", "--name", "x"]);
    expect(noKind.code).toBe(2);
    expectOneErrorLine(noKind, /--kind is required/);

    for (const [args, pattern] of [
      [["--kind", "music"], /argument 'music' is invalid/],
      [["--kind", "text", "--provider", "runpod"], /--provider runpod needs --endpoint-id/],
      [["--kind", "text", "--template", "no placeholder"], /--template must contain \{\{prompt\}\}/],
      [["--kind", "text", "--color", "gold"], /hex colour/],
      [["--kind", "text", "--param", "loudness=11"], /unknown parameter "loudness"/],
      [["--kind", "text", "--cost", "-1"], /whole number from 0 to 100000/],
    ] as const) {
      const result = await oto(["agents", "create", "--name", "x", ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.split("\n")[0]).toMatch(pattern);
    }
    const archive = await oto(["agents", "archive", "ag_00000000000000000000000000"]);
    expect(archive.code).toBe(2);
    expectOneErrorLine(archive, /--yes is required/);
    const nothing = await oto(["agents", "update", "ag_00000000000000000000000000"]);
    expect(nothing.code).toBe(2);
    expectOneErrorLine(nothing, /nothing to update/);
  });

  it("lists every active agent without logging in", async () => {
    const handle = await register();
    await json(["agents", "create", "--name", "Public one", "--kind", "text"]);
    const anonymousHome = await makeHome();
    try {
      const result = await runOto(["agents", "list", "--owner", handle, "--json"], {
        env: { ...anonymousHome.env, OTO_SERVER: server.url },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).data.map((a: { name: string }) => a.name)).toEqual(["Public one"]);
    } finally {
      await anonymousHome.cleanup();
    }
  });
});

describe("oto generate, jobs and download", () => {
  it("makes one creation of each kind with --out; the files are exact and the balance moved by the prices", async () => {
    await register();
    const magic: Record<string, (b: Buffer) => boolean> = {
      text: (b) => b.toString("utf8").trim().length > 0,
      image: (b) => b.subarray(1, 4).toString("latin1") === "PNG",
      voice: (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WAVE",
      video: (b) =>
        b.subarray(0, 4).toString("latin1") === "RIFF" ||
        b.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])),
    };
    for (const kind of ["text", "image", "voice", "video"] as const) {
      const agent = await json(["agents", "create", "--name", `Local ${kind}`, "--kind", kind]);
      const out = `${kind}.bin`;
      const result = await oto(["generate", "--agent", agent.id, "--prompt", `a lighthouse as ${kind}`, "--out", out]);
      expect(result.code, result.stderr).toBe(0);
      const creationId = result.stdout.trim();
      expect(creationId).toMatch(/^cr_[0-9a-z]{26}$/);
      expect(result.stderr).toMatch(
        new RegExp(`Made ${kind} ${creationId} with Local ${kind} in [\\d.]+ s; ${COST[kind]} tokens? charged`),
      );
      expect(result.stderr).toContain(`Saved ~/work/${out}`);
      expect(result.stderr).toMatch(/ queued\n|running/);

      const creation = await json(["creations", "show", creationId]);
      const bytes = await readFile(join(work, out));
      expect(sha256(bytes)).toBe(creation.file.sha256);
      expect(bytes.length).toBe(creation.file.size_bytes);
      expect(magic[kind]?.(bytes), `${kind} file starts like a ${creation.file.media_type}`).toBe(true);
    }
    const balance = await json(["tokens", "balance"]);
    expect(balance).toEqual({ available: 50 - (1 + 4 + 3 + 10), held: 0 });
    const history = await json(["tokens", "history", "--all"]);
    expect(history.data.filter((e: { kind: string }) => e.kind === "capture")).toHaveLength(4);
    expect((await oto(["tokens", "balance"])).stdout).toBe("32 tokens available\n");
    expect((await readdir(work)).sort()).toEqual(["image.bin", "text.bin", "video.bin", "voice.bin"]);
  }, 120_000);

  it("without --wait prints the job id; jobs watch, show, list and cancel follow it", async () => {
    await register();
    const agent = await json(["agents", "create", "--name", "Writer", "--kind", "text"]);
    const started = await oto(["generate", "--agent", "Writer", "--prompt", "a haiku", "--param", "max_words=20"]);
    expect(started.code, started.stderr).toBe(0);
    const jobId = started.stdout.trim();
    expect(jobId).toMatch(/^job_[0-9a-z]{26}$/);
    expect(started.stderr).toContain(`Follow it: oto jobs watch ${jobId}`);

    const watched = await oto(["jobs", "watch", jobId]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/^cr_[0-9a-z]{26}\n$/);
    expect(watched.stderr).toMatch(new RegExp(`${jobId} succeeded in [\\d.]+ s; 1 token charged\\.`));

    const lines = (await oto(["jobs", "watch", jobId, "--json"])).stdout.trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line).status)).toEqual(["succeeded"]);

    const job = await json(["jobs", "show", jobId]);
    expect(job).toMatchObject({
      id: jobId,
      status: "succeeded",
      agent: { id: agent.id },
      parameters: { max_words: 20 },
    });
    expect((await json(["jobs", "list", "--status", "succeeded"])).data.map((j: { id: string }) => j.id)).toContain(
      jobId,
    );
    const shown = await oto(["jobs", "show", jobId]);
    expect(shown.stdout).toContain(`creation    ${job.creation_id}`);

    const cancel = await oto(["jobs", "cancel", jobId]);
    expect(cancel.code).toBe(0);
    expect(cancel.stderr).toContain(`${jobId} had already ended: succeeded (1 token charged).`);
    const bad = await oto(["jobs", "show", "job_nope"]);
    expect(bad.code).toBe(2);
    expectOneErrorLine(bad, /"job_nope" is not a job id/);
    const missing = await oto(["jobs", "show", "job_00000000000000000000000000"]);
    expect(missing.code).toBe(1);
    expectOneErrorLine(missing, /\(not_found, request \S+\)$/);
  });

  it("--quote and tokens quote price a run without holding anything", async () => {
    await register();
    await json(["agents", "create", "--name", "Film", "--kind", "video"]);
    expect(await json(["generate", "--agent", "Film", "--prompt", "x", "--quote"])).toEqual({
      tokens: 10,
      available: 50,
      sufficient: true,
    });
    const quote = await oto(["tokens", "quote", "--agent", "Film", "--prompt", "x"]);
    expect(quote.code).toBe(0);
    expect(quote.stdout).toBe("10 tokens\n");
    expect(quote.stderr).toContain("A run of Film costs 10 tokens; you have 50 available (enough).");
    expect(await json(["tokens", "balance"])).toEqual({ available: 50, held: 0 });
    const noPrompt = await oto(["generate", "--agent", "Film"]);
    expect(noPrompt.code).toBe(2);
    expectOneErrorLine(noPrompt, /--prompt is required when oto cannot prompt/);
  });

  it("a failing job is one clean line and exit 1, costs nothing; --json prints the failed job", async () => {
    await register();
    // The test server has no RunPod key: RunPod agents fail at once, and their hold is released.
    await json(["agents", "create", "--name", "Remote", "--kind", "text", "--endpoint-id", "ep1"]);
    const result = await oto(["generate", "--agent", "Remote", "--prompt", "hi", "--wait"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const errorLine = result.stderr.trimEnd().split("\n").at(-1) as string;
    expect(errorLine).toMatch(
      /^oto: error: job_[0-9a-z]{26} failed: .+ \(\w+\)\. No tokens were charged \(1 token released\)\.$/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const asJson = await oto(["generate", "--agent", "Remote", "--prompt", "hi", "--wait", "--json"]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ status: "failed", cost: { charged: 0, held: 0 } });
    expect(await json(["tokens", "balance"])).toEqual({ available: 50, held: 0 });
  });

  it("--timeout: a job still running is one line naming it, with how to follow or cancel it (exit 1)", async () => {
    await register();
    await json(["agents", "create", "--name", "Film", "--kind", "video", "--cost", "0"]);
    const slow = ["--param", "duration_s=30", "--param", "fps=30", "--param", "width=1024", "--param", "height=1024"];
    const result = await oto([
      "generate",
      "--agent",
      "Film",
      "--prompt",
      "a long wave",
      ...slow,
      "--wait",
      "--timeout",
      "1",
    ]);
    expect(result.code).toBe(1);
    const [line, hint] = result.stderr.trimEnd().split("\n").slice(-2);
    expect(line).toMatch(/^oto: error: (job_[0-9a-z]{26}) has not ended yet \(it is (queued|running)/);
    const jobId = /(job_[0-9a-z]{26})/.exec(line as string)?.[1];
    expect(hint).toBe(`Follow it with "oto jobs watch ${jobId}", or stop it with "oto jobs cancel ${jobId}".`);
    const canceled = await json(["jobs", "cancel", jobId as string]);
    expect(["canceled", "succeeded"]).toContain(canceled.status);
  }, 60_000);

  it("402: the price and the balance in one line, with a hint to buy", async () => {
    await register();
    await json(["agents", "create", "--name", "Pricey", "--kind", "image", "--cost", "500"]);
    const result = await oto(["generate", "--agent", "Pricey", "--prompt", "x", "--wait"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^oto: error: This run costs 500 tokens and 50 are available\. \(insufficient_tokens, request \S+\)\nSee your balance with "oto tokens balance"; buy tokens with "oto tokens buy"\.\n$/,
    );
  });

  it("download: the name from Content-Disposition, no overwrite without --force, stdout, --json", async () => {
    await register();
    await json(["agents", "create", "--name", "Voice", "--kind", "voice"]);
    const creationId = (await oto(["generate", "--agent", "Voice", "--prompt", "a calm sea", "--wait"])).stdout.trim();
    const creation = await json(["creations", "show", creationId]);

    const first = await oto(["download", creationId]);
    expect(first.code, first.stderr).toBe(0);
    const path = join(work, creation.file.filename);
    expect(first.stdout).toBe(`${path}\n`);
    expect(sha256(await readFile(path))).toBe(creation.file.sha256);
    expect(await readdir(work)).toEqual([creation.file.filename]); // no temp file left behind

    await writeFile(path, "mine");
    const again = await oto(["download", creationId]);
    expect(again.code).toBe(1);
    expectOneErrorLine(again, new RegExp(`${creation.file.filename} already exists\\.`));
    expect(await readFile(path, "utf8")).toBe("mine");
    expect((await oto(["download", creationId, "--force"])).code).toBe(0);
    expect(sha256(await readFile(path))).toBe(creation.file.sha256);

    const piped = await oto(["download", creationId, "--out", "-"]);
    expect(piped.code).toBe(0);
    expect(sha256(piped.stdoutBytes)).toBe(creation.file.sha256);

    const described = await json(["download", creationId, "--out", "copy.wav"]);
    expect(described).toEqual({
      creation_id: creationId,
      path: join(work, "copy.wav"),
      filename: creation.file.filename,
      media_type: creation.file.media_type,
      size_bytes: creation.file.size_bytes,
      sha256: creation.file.sha256,
    });
    const conflict = await oto(["download", creationId, "--out", "-", "--json"]);
    expect(conflict.code).toBe(2);
    const noFolder = await oto(["download", creationId, "--out", "missing/x.wav"]);
    expect(noFolder.code).toBe(1);
    expectOneErrorLine(noFolder, /the folder missing does not exist/);
  });

  it("publish, share (link works without an account), revoke, unpublish", async () => {
    await register();
    await json(["agents", "create", "--name", "Writer", "--kind", "text"]);
    const creationId = (await oto(["generate", "--agent", "Writer", "--prompt", "a fable", "--wait"])).stdout.trim();
    expect((await json(["creations", "list", "--drafts"])).data.map((c: { id: string }) => c.id)).toEqual([creationId]);
    expect((await json(["creations", "list", "--published"])).data).toEqual([]);

    expect(await json(["publish", creationId])).toMatchObject({ id: creationId, state: "published" });
    expect((await json(["creations", "list", "--published", "--kind", "text"])).data).toHaveLength(1);

    const shared = await oto(["share", creationId]);
    expect(shared.code, shared.stderr).toBe(0);
    const link = shared.stdout.trim();
    expect(link).toMatch(new RegExp(`^${server.url}/v1/shared/s_[0-9A-Za-z]{32}$`));
    expect(await json(["share", creationId])).toMatchObject({ url: link });

    const stranger = await makeHome();
    try {
      const anonymous = await runOto(["download", link, "--out", "-"], {
        env: { ...stranger.env, OTO_SERVER: server.url },
      });
      expect(anonymous.code, anonymous.stderr).toBe(0);
      const creation = await json(["creations", "show", creationId]);
      expect(sha256(anonymous.stdoutBytes)).toBe(creation.file.sha256);

      expect((await json(["share", creationId, "--revoke"])).share).toBeNull();
      const revoked = await runOto(["download", link, "--out", "-"], {
        env: { ...stranger.env, OTO_SERVER: server.url },
      });
      expect(revoked.code).toBe(1);
      expectOneErrorLine(revoked, /\(not_found, request \S+\)$/);
    } finally {
      await stranger.cleanup();
    }
    expect(await json(["unpublish", creationId])).toMatchObject({ state: "draft" });
    const table = await oto(["creations", "list"]);
    expect(table.stdout).toMatch(/^ID\s+KIND\s+TITLE\s+STATE\s+SIZE\s+AGENT\s+CREATED\n/);
    expect(table.stdout).toContain("a fable");
  });
});

describe("oto tokens and admin", () => {
  it("buy without Stripe keys: one line saying payments are not configured (exit 1)", async () => {
    await register();
    for (const args of [
      ["tokens", "buy"],
      ["tokens", "buy", "starter"],
    ]) {
      const result = await oto(args);
      expect(result.code).toBe(1);
      expectOneErrorLine(
        result,
        new RegExp(`^oto: error: ${server.url} sells no tokens: payments are not configured there\\.$`),
      );
    }
  });

  it("admin grant: admins only; the amount lands in the ledger", async () => {
    const ada = await register();
    const denied = await oto(["admin", "grant", ada, "10", "--reason", "please"]);
    expect(denied.code).toBe(1);
    expectOneErrorLine(denied, /\(forbidden, request \S+\)$/);

    await register("root");
    const entry = await json(["admin", "grant", ada, "100", "--reason", "conference demo"]);
    expect(entry).toMatchObject({
      kind: "adjustment",
      amount: 100,
      available_after: 150,
      description: expect.stringContaining("conference demo"),
    });
    const removed = await oto(["admin", "grant", `@${ada}`, "-20", "--reason", "too many"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain(`Removed 20 tokens from @${ada} (-20); they now have 130 tokens available.`);
    const zero = await oto(["admin", "grant", ada, "0", "--reason", "x"]);
    expect(zero.code).toBe(2);
    const noReason = await oto(["admin", "grant", ada, "5"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
  });
});
