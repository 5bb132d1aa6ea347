// The crash test: the BUILT server (`oto server start`, a real child process on a PGlite data folder)
// is killed with SIGKILL in the middle of a job and started again; the job then finishes or is refunded,
// exactly once, and the balance is right. RunPod is the local fake, living in this test process, so the
// job keeps going "at RunPod" while the server is dead. Needs `pnpm build` (as `pnpm test` does).
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type FakeRunpod, fixtures, startFakeRunpod } from "../support/fake-runpod.js";
import { call, register } from "../helpers.js";
import { balance, createAgent, generate, waitForJob } from "./jobs-support.js";

const OTO_BIN = fileURLToPath(new URL("../../../cli/dist/bin.js", import.meta.url));
const SERVER_DIST = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

interface Child {
  process: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
let fake: FakeRunpod;

beforeAll(async () => {
  if (!existsSync(OTO_BIN) || !existsSync(SERVER_DIST)) {
    throw new Error("Build first (pnpm build): this test starts packages/cli/dist/bin.js, which loads packages/server/dist.");
  }
  fake = await startFakeRunpod({
    timeScale: 1,
    workers: {
      slow: fixtures.slow(4000, fixtures.text()),
      "slow-fail": async (ctx) => {
        await ctx.sleep(4000);
        throw new Error("worker crashed after a while");
      },
    },
  });
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  await fake?.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** `oto server start --json` on the data folder; resolves once it prints its URL. */
async function startChild(dataDir: string): Promise<Child> {
  const env: NodeJS.ProcessEnv = {};
  // A clean environment: PGlite in the folder (never a DATABASE_URL from the shell running the tests).
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"]) if (process.env[name]) env[name] = process.env[name];
  Object.assign(env, {
    NO_COLOR: "1",
    OTO_LOG_LEVEL: "warn",
    OTO_AUTH_RATE_LIMIT: "10000",
    OTO_STARTER_TOKENS: "30",
    RUNPOD_API_KEY: fake.apiKey,
    RUNPOD_API_BASE: fake.baseUrl,
    OTO_RUNPOD_OUTPUT_HOSTS: "127.0.0.1",
  });
  const child = spawn(process.execPath, [OTO_BIN, "server", "start", "--port", "0", "--data-dir", dataDir, "--json"], { env });
  children.push(child);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const started = Date.now();
  for (;;) {
    const match = /^\{"url":"(http:\/\/[^"]+)"/m.exec(output);
    if (match) return { process: child, url: match[1]!, exited, output: () => output };
    if (child.exitCode !== null || Date.now() - started > 60_000) {
      throw new Error(`the server did not start (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function killHard(child: Child): Promise<void> {
  child.process.kill("SIGKILL");
  expect(await child.exited).toEqual({ code: null, signal: "SIGKILL" });
}

async function ledgerOf(server: { url: string }, apiKey: string, jobId: string): Promise<string[]> {
  const res = await call(server, "GET", "/v1/tokens/history?limit=100", { apiKey });
  expect(res.status).toBe(200);
  return res.body.data
    .filter((e: { job_id?: string | null; reference?: string }) => e.job_id === jobId || e.reference?.includes(jobId))
    .map((e: { kind: string }) => e.kind)
    .sort();
}

async function dataFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "oto-sigkill-"));
  dirs.push(dir);
  return dir;
}

describe("SIGKILL in the middle of a RunPod job", () => {
  test("restarted, the server picks the job up again and it is charged exactly once", async () => {
    const dataDir = await dataFolder();
    const first = await startChild(dataDir);
    const me = await register(first);
    const agent = await createAgent(first, me.apiKey, {
      name: "survivor",
      kind: "text",
      cost_tokens: 7,
      provider: { type: "runpod", endpoint_id: "slow" },
    });
    const runsBefore = fake.requestsFor("run").length;
    const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "outlive the server" });
    await fake.waitFor(() => fake.requestsFor("run").length > runsBefore, 10_000);
    expect(await balance(first, me.apiKey)).toEqual({ available: 23, held: 7 });
    await killHard(first);

    const second = await startChild(dataDir);
    const done = await waitForJob(second, me.apiKey, job.id, { timeoutMs: 30_000 });
    expect(done.status).toBe("succeeded");
    expect(done.cost).toEqual({ quoted: 7, held: 0, charged: 7 });
    // The job RunPod already had was followed, not started again.
    expect(fake.requestsFor("run").length).toBe(runsBefore + 1);
    const creation = await call(second, "GET", `/v1/creations/${done.creation_id}`, { apiKey: me.apiKey });
    expect(creation.status).toBe(200);
    expect(await balance(second, me.apiKey)).toEqual({ available: 23, held: 0 });
    expect(await ledgerOf(second, me.apiKey, job.id)).toEqual(["capture", "hold"]);
    const list = await call(second, "GET", "/v1/generations", { apiKey: me.apiKey });
    expect(list.body.data).toHaveLength(1);

    second.process.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  test("a job that fails while the server is dead is refunded exactly once", async () => {
    const dataDir = await dataFolder();
    const first = await startChild(dataDir);
    const me = await register(first);
    const agent = await createAgent(first, me.apiKey, {
      name: "doomed",
      kind: "text",
      cost_tokens: 5,
      provider: { type: "runpod", endpoint_id: "slow-fail" },
    });
    const runsBefore = fake.requestsFor("run").length;
    const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "fail in the dark" });
    await fake.waitFor(() => fake.requestsFor("run").length > runsBefore, 10_000);
    await killHard(first);
    // RunPod finishes (fails) while nothing listens.
    await new Promise((resolve) => setTimeout(resolve, 4500));

    const second = await startChild(dataDir);
    const done = await waitForJob(second, me.apiKey, job.id, { timeoutMs: 30_000 });
    expect(done.status).toBe("failed");
    expect(done.error.message).toMatch(/worker crashed after a while/);
    expect(done.cost).toEqual({ quoted: 5, held: 0, charged: 0 });
    expect(await balance(second, me.apiKey)).toEqual({ available: 30, held: 0 });
    expect(await ledgerOf(second, me.apiKey, job.id)).toEqual(["hold", "release"]);
  }, 120_000);

  test("killed before RunPod accepted the job: the next start submits it, once", async () => {
    const dataDir = await dataFolder();
    const first = await startChild(dataDir);
    const me = await register(first);
    const agent = await createAgent(first, me.apiKey, {
      name: "late start",
      kind: "text",
      provider: { type: "runpod", endpoint_id: "slow" },
    });
    // RunPod is throttling: the first process keeps retrying /run (with backoff) until it is killed.
    fake.injectFailure({ op: "run", status: 429, retryAfterS: 3, times: 4 });
    const runsBefore = fake.requestsFor("run").length;
    const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "submit me later" });
    await fake.waitFor(() => fake.requestsFor("run").length > runsBefore, 10_000);
    const jobsBefore = fake.jobCount();
    expect((await call(first, "GET", `/v1/generations/${job.id}`, { apiKey: me.apiKey })).body.status).toBe("queued");
    await killHard(first);

    const second = await startChild(dataDir);
    const done = await waitForJob(second, me.apiKey, job.id, { timeoutMs: 60_000 });
    expect(done.status).toBe("succeeded");
    expect(fake.jobCount()).toBe(jobsBefore + 1);
    expect(await balance(second, me.apiKey)).toEqual({ available: 29, held: 0 });
    expect(await ledgerOf(second, me.apiKey, job.id)).toEqual(["capture", "hold"]);
  }, 120_000);
});
