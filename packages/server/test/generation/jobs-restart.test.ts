// Jobs outlive the process that started them: resumed on the next start, settled by a webhook that reaches
// another process, timed out by the sweeper, and never run by two processes at once (leases).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { createTestDatabase, startTestServer } from "../../src/testing.js";
import { type FakeRunpod, fixtures, startFakeRunpod } from "../support/fake-runpod.js";
import { call, register } from "../helpers.js";
import { balance, createAgent, expectCharged, expectRefunded, generate, waitForJob } from "./jobs-support.js";

const adminUrl = process.env.OTO_TEST_DATABASE_URL;
const QUICK = { local: [50], runpod: [50, 100, 200] };

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Database and files that several servers use one after the other (or, on PostgreSQL, at once). */
async function sharedStore(): Promise<Record<string, string> & { databaseUrl?: string }> {
  const filesDir = await mkdtemp(path.join(tmpdir(), "oto-jobs-files-"));
  cleanups.push(() => rm(filesDir, { recursive: true, force: true }));
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), "oto-jobs-data-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    return { OTO_DATA_DIR: dataDir, OTO_FILES_DIR: filesDir };
  }
  const database = await createTestDatabase(adminUrl);
  cleanups.push(() => database.drop());
  return { OTO_FILES_DIR: filesDir, databaseUrl: database.url };
}

let fake: FakeRunpod;
beforeAll(async () => {
  fake = await startFakeRunpod({
    timeScale: 1,
    workers: { medium: fixtures.slow(1500, fixtures.text()), long: fixtures.slow(60_000) },
  });
});
afterAll(async () => {
  await fake?.close();
});

function env(store: Record<string, string>, extra: Record<string, string> = {}) {
  return {
    ...store,
    OTO_AUTH_RATE_LIMIT: "10000",
    OTO_STARTER_TOKENS: "10",
    RUNPOD_API_KEY: fake.apiKey,
    RUNPOD_API_BASE: fake.baseUrl,
    OTO_RUNPOD_OUTPUT_HOSTS: "127.0.0.1",
    ...extra,
  };
}

async function jobRow(server: RunningServer, jobId: string) {
  const rows = await server.app.db.query<{ status: string; attempts: number; external_id: string | null }>(
    "SELECT status, attempts, external_id FROM generation_jobs WHERE id = $1",
    [jobId],
  );
  return rows[0]!;
}

test("a local job interrupted by a stop runs again on the next start and is charged once", async () => {
  const store = await sharedStore();
  const first = await startTestServer(env(store), { generation: { localDelayMs: 5000, runner: { pollIntervalsMs: QUICK } } });
  const me = await register(first);
  const agent = await createAgent(first, me.apiKey, { name: "interrupted", kind: "image", cost_tokens: 4 });
  const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "a bridge at night" });
  await waitForJob(first, me.apiKey, job.id, { done: (j) => j.status === "running" });
  await first.close();

  const second = await startTestServer(env(store), { generation: { runner: { pollIntervalsMs: QUICK } } });
  try {
    const done = await waitForJob(second, me.apiKey, job.id);
    expect(done.status).toBe("succeeded");
    // The local generator forgot it with the first process, so it was handed over a second time.
    expect((await jobRow(second, job.id)).attempts).toBe(2);
    await expectCharged(second, done);
    expect(await balance(second, me.apiKey)).toEqual({ available: 6, held: 0 });
  } finally {
    await second.close();
  }
});

test("a RunPod webhook reaching a process that did not start the job: status re-read, settled once", async () => {
  const store = await sharedStore();
  const first = await startTestServer(env(store), { generation: { runner: { pollIntervalsMs: QUICK } } });
  const me = await register(first);
  const agent = await createAgent(first, me.apiKey, {
    name: "hooked",
    kind: "text",
    provider: { type: "runpod", endpoint_id: "medium" },
  });
  const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "across processes" });
  await waitForJob(first, me.apiKey, job.id, { done: (j) => j.status === "running" });
  const runpodId = (await jobRow(first, job.id)).external_id!.split(":")[1]!;
  const hookUrl = new URL(fake.job(runpodId)!.webhook!);
  await first.close();

  // An API-only process: it runs no jobs itself, so only the webhook can settle this one.
  const second = await startTestServer(env(store), { generation: { runner: { concurrency: 0 }, sweepIntervalMs: 60_000 } });
  try {
    await fake.waitFor(() => fake.job(runpodId)!.status === "COMPLETED", 10_000);
    expect((await waitForJob(second, me.apiKey, job.id, { done: () => true })).status).toBe("running");
    const deliver = () =>
      call(second, "POST", `${hookUrl.pathname}${hookUrl.search}`, { json: { id: runpodId, status: "COMPLETED" } });
    const res = await deliver();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: "settled" });
    const done = await waitForJob(second, me.apiKey, job.id);
    expect(done.status).toBe("succeeded");
    await expectCharged(second, done);
    expect((await deliver()).body).toEqual({ received: true, outcome: "already_ended" });
    expect(await balance(second, me.apiKey)).toEqual({ available: 9, held: 0 });
  } finally {
    await second.close();
  }
});

test("the sweeper times out a job nobody finishes: cancelled at RunPod, hold released", async () => {
  const store = await sharedStore();
  const first = await startTestServer(env(store, { OTO_JOB_TIMEOUT_S: "5" }), {
    generation: { runner: { pollIntervalsMs: QUICK } },
  });
  const me = await register(first);
  const agent = await createAgent(first, me.apiKey, {
    name: "forever",
    kind: "text",
    provider: { type: "runpod", endpoint_id: "long" },
  });
  const job = await generate(first, me.apiKey, { agent_id: agent.id, prompt: "never ends" });
  await waitForJob(first, me.apiKey, job.id, { done: (j) => j.status === "running" });
  const runpodId = (await jobRow(first, job.id)).external_id!.split(":")[1]!;
  await first.close();

  const second = await startTestServer(env(store), { generation: { runner: { concurrency: 0 }, sweepIntervalMs: 250 } });
  try {
    const done = await waitForJob(second, me.apiKey, job.id, { timeoutMs: 15_000 });
    expect(done.status).toBe("timed_out");
    expect(Date.parse(done.finished_at) - Date.parse(done.created_at)).toBeGreaterThanOrEqual(5000);
    expect(fake.job(runpodId)!.status).toBe("CANCELLED");
    await expectRefunded(second, done);
    expect(await balance(second, me.apiKey)).toEqual({ available: 10, held: 0 });
  } finally {
    await second.close();
  }
});

test("a job leased by another process is left alone until its lease runs out", async () => {
  const server = await startTestServer(env(await sharedStore()), {
    generation: { localDelayMs: 1000, sweepIntervalMs: 200, runner: { concurrency: 1, pollIntervalsMs: QUICK } },
  });
  try {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "leases", kind: "text" });
    const first = await generate(server, me.apiKey, { agent_id: agent.id, prompt: "first" });
    await waitForJob(server, me.apiKey, first.id, { done: (j) => j.status === "running" });
    const second = await generate(server, me.apiKey, { agent_id: agent.id, prompt: "second" });
    // Another process claims the waiting job for 2.5 s (and then dies without running it).
    await server.app.db.query(
      "UPDATE generation_jobs SET lease_owner = 'proc_elsewhere', lease_until = now() + interval '2500 milliseconds' WHERE id = $1",
      [second.id],
    );
    const claimedAt = Date.now();
    expect((await waitForJob(server, me.apiKey, first.id)).status).toBe("succeeded");
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (Date.now() - claimedAt < 2300) {
      expect(await jobRow(server, second.id)).toMatchObject({ status: "queued", attempts: 0 });
    }
    const done = await waitForJob(server, me.apiKey, second.id);
    expect(done.status).toBe("succeeded");
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(2400);
    expect((await jobRow(server, second.id)).attempts).toBe(1);
    await expectCharged(server, done);
  } finally {
    await server.close();
  }
});

describe.runIf(adminUrl)("two server processes on one PostgreSQL database", () => {
  test("share the jobs without running any twice", async () => {
    const store = await sharedStore();
    const options = { generation: { localDelayMs: 300, sweepIntervalMs: 100, runner: { concurrency: 2, pollIntervalsMs: QUICK } } };
    const a = await startTestServer(env(store, { OTO_STARTER_TOKENS: "100" }), options);
    const b = await startTestServer(env(store, { OTO_STARTER_TOKENS: "100" }), options);
    try {
      const me = await register(a);
      const agent = await createAgent(a, me.apiKey, { name: "shared", kind: "text", cost_tokens: 2 });
      const jobs = await Promise.all(
        Array.from({ length: 16 }, (_, i) => generate(i % 2 ? a : b, me.apiKey, { agent_id: agent.id, prompt: `job ${i}` })),
      );
      const done = await Promise.all(jobs.map((j) => waitForJob(a, me.apiKey, j.id, { timeoutMs: 60_000 })));
      expect(done.every((j) => j.status === "succeeded")).toBe(true);
      for (const job of done) {
        expect((await jobRow(a, job.id)).attempts).toBe(1);
        await expectCharged(a, job);
      }
      expect(await balance(b, me.apiKey)).toEqual({ available: 100 - 32, held: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  }, 90_000);
});
