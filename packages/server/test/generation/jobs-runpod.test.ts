// Generation jobs on RunPod, against the local RunPod-compatible server (test/support/fake-runpod.ts):
// a success is charged once; a failure, a timeout or a cancellation costs nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type FakeRunpod, fixtures, startFakeRunpod } from "../support/fake-runpod.js";
import { call, expectProblem, register } from "../helpers.js";
import { balance, createAgent, expectCharged, expectRefunded, generate, getJob, jobEntries, waitForJob } from "./jobs-support.js";

/** RunPod time runs 1000× faster than real time here (the fake's default). */
let fast: FakeRunpod;
/** RunPod time is real time here: jobs that must stay in progress for a while. */
let real: FakeRunpod;
let server: RunningServer;

const QUICK_POLLS = { runner: { pollIntervalsMs: { local: [50], runpod: [50, 100, 200] } }, sweepIntervalMs: 250 };

function runpodEnv(fake: FakeRunpod, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTO_AUTH_RATE_LIMIT: "10000",
    OTO_STARTER_TOKENS: "40",
    RUNPOD_API_KEY: fake.apiKey,
    RUNPOD_API_BASE: fake.baseUrl,
    OTO_RUNPOD_OUTPUT_HOSTS: "127.0.0.1",
    ...extra,
  };
}

beforeAll(async () => {
  fast = await startFakeRunpod({
    workers: {
      "img-ok": fixtures.image({ as: "url", size: 16 }),
      "txt-ok": fixtures.text({ steps: 3, stepMs: 200_000 }),
      "voice-ok": fixtures.voice(),
      "raises": fixtures.throws("CUDA out of memory", "RuntimeError"),
      "returns-error": fixtures.returnsError("prompt rejected by the safety filter", ["nsfw score 0.97"]),
      "too-slow": fixtures.slow(5_000_000),
      "wrong-kind": fixtures.image(),
    },
  });
  real = await startFakeRunpod({
    timeScale: 1,
    workers: {
      "long": fixtures.slow(60_000),
      "medium": fixtures.slow(1500, fixtures.text()),
    },
  });
  server = await startTestServer(runpodEnv(fast), { generation: QUICK_POLLS });
});
afterAll(async () => {
  await server?.close();
  await fast?.close();
  await real?.close();
});

async function runpodAgent(target: RunningServer, apiKey: string, kind: string, endpoint: string, extra: Record<string, unknown> = {}) {
  return createAgent(target, apiKey, {
    name: `${endpoint} agent`,
    kind,
    provider: { type: "runpod", endpoint_id: endpoint, model: "test-model" },
    ...extra,
  });
}

async function externalId(target: RunningServer, jobId: string): Promise<{ endpointId: string; runpodId: string }> {
  const rows = await target.app.db.query<{ external_id: string | null }>("SELECT external_id FROM generation_jobs WHERE id = $1", [jobId]);
  const [endpointId, runpodId] = (rows[0]?.external_id ?? ":").split(":") as [string, string];
  return { endpointId, runpodId };
}

describe("succeeded", () => {
  test("an image job: the worker gets the filled template, the output is copied in at once, the price is charged once", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "image", "img-ok", {
      prompt_template: "a watercolour of {{prompt}}",
      default_parameters: { width: 512, height: 512 },
    });
    const created = await generate(server, me.apiKey, { agent_id: agent.id, prompt: "a red fox", parameters: { seed: 42 } });
    expect(created.provider).toBe("runpod");
    const job = await waitForJob(server, me.apiKey, created.id);
    expect(job.status).toBe("succeeded");
    await expectCharged(server, job);
    expect(await balance(server, me.apiKey)).toEqual({ available: 36, held: 0 });

    const { endpointId, runpodId } = await externalId(server, job.id);
    expect(endpointId).toBe("img-ok");
    const sent = fast.job(runpodId)!;
    expect(sent.input).toEqual({
      kind: "image",
      prompt: "a watercolour of a red fox",
      parameters: { width: 512, height: 512, seed: 42 },
      inputs: [],
      model: "test-model",
    });
    // The webhook URL carries the job id and its token.
    expect(sent.webhook).toMatch(new RegExp(`^${server.url}/v1/hooks/runpod/${job.id}\\?t=[A-Za-z0-9_-]{43}$`));
    expect(fast.requestsFor("run").filter((r) => r.jobId === runpodId)).toHaveLength(1);

    const creation = await call(server, "GET", `/v1/creations/${job.creation_id}`, { apiKey: me.apiKey });
    expect(creation.body.file).toMatchObject({ media_type: "image/png", width: 16, height: 16 });
    expect(creation.body.generator_notice).toBeNull();
  });

  test("progress reported by the worker shows on the job while it runs", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "text", "txt-ok");
    const created = await generate(server, me.apiKey, { agent_id: agent.id, prompt: "progress please" });
    const running = await waitForJob(server, me.apiKey, created.id, { done: (j) => j.status === "running" && j.progress > 0 });
    expect(running.progress).toBeGreaterThan(0);
    expect(running.progress).toBeLessThan(1);
    const done = await waitForJob(server, me.apiKey, created.id);
    expect(done.status).toBe("succeeded");
    expect(done.progress).toBe(1);
  });
});

describe("cost nothing", () => {
  test("a worker that raises: failed with its readable error, hold released", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "image", "raises");
    const job = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
    expect(job.status).toBe("failed");
    expect(job.error).toEqual({ code: "provider_failed", message: "RuntimeError: CUDA out of memory" });
    await expectRefunded(server, job);
    expect(await balance(server, me.apiKey)).toEqual({ available: 40, held: 0 });
  });

  test("a worker that returns {error, details}: failed, hold released", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "image", "returns-error");
    const job = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
    expect(job.status).toBe("failed");
    expect(job.error.message).toBe("prompt rejected by the safety filter (details: nsfw score 0.97)");
    await expectRefunded(server, job);
  });

  test("RunPod times the job out (executionTimeout): timed_out, hold released", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "text", "too-slow");
    const job = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
    expect(job.status).toBe("timed_out");
    expect(job.error.code).toBe("timed_out");
    const { runpodId } = await externalId(server, job.id);
    expect(fast.job(runpodId)!.status).toBe("TIMED_OUT");
    await expectRefunded(server, job);
    expect(await balance(server, me.apiKey)).toEqual({ available: 40, held: 0 });
  });

  test("output of the wrong kind is refused: failed, hold released", async () => {
    const me = await register(server);
    const agent = await runpodAgent(server, me.apiKey, "voice", "wrong-kind");
    const job = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
    expect(job.status).toBe("failed");
    expect(job.error.code).toBe("output_rejected");
    await expectRefunded(server, job);
  });

  test("an output URL outside the allow-list is never fetched: failed, hold released", async () => {
    const strict = await startTestServer(runpodEnv(fast, { OTO_RUNPOD_OUTPUT_HOSTS: "" }), { generation: QUICK_POLLS });
    try {
      const me = await register(strict);
      const agent = await runpodAgent(strict, me.apiKey, "image", "img-ok");
      const filesBefore = fast.requestsFor("file").length;
      const job = await waitForJob(strict, me.apiKey, (await generate(strict, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
      expect(job.status).toBe("failed");
      expect(job.error.message).toMatch(/127\.0\.0\.1/);
      expect(fast.requestsFor("file").length).toBe(filesBefore);
      await expectRefunded(strict, job);
    } finally {
      await strict.close();
    }
  });

  test("without a RunPod key the job fails at once with how to configure it, and costs nothing", async () => {
    const bare = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "10" }, { generation: QUICK_POLLS });
    try {
      const me = await register(bare);
      const agent = await runpodAgent(bare, me.apiKey, "image", "img-ok");
      const job = await waitForJob(bare, me.apiKey, (await generate(bare, me.apiKey, { agent_id: agent.id, prompt: "x" })).id);
      expect(job.status).toBe("failed");
      expect(job.error.code).toBe("provider_not_configured");
      expect(job.error.message).toMatch(/RUNPOD_API_KEY/);
      await expectRefunded(bare, job);
      expect(await balance(bare, me.apiKey)).toEqual({ available: 10, held: 0 });
    } finally {
      await bare.close();
    }
  });
});

describe("jobs that stay in progress (RunPod time = real time)", () => {
  let slow: RunningServer;
  beforeAll(async () => {
    slow = await startTestServer(runpodEnv(real, { OTO_JOB_TIMEOUT_S: "5" }), { generation: QUICK_POLLS });
  });
  afterAll(async () => {
    await slow?.close();
  });

  test("cancel: the RunPod job is cancelled and the hold released", async () => {
    const me = await register(slow);
    const agent = await runpodAgent(slow, me.apiKey, "text", "long");
    const created = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "x" });
    await waitForJob(slow, me.apiKey, created.id, { done: (j) => j.status === "running" });
    const canceled = await call(slow, "POST", `/v1/generations/${created.id}/cancel`, { apiKey: me.apiKey });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    await expectRefunded(slow, canceled.body);
    const { runpodId } = await externalId(slow, created.id);
    expect(real.job(runpodId)!.status).toBe("CANCELLED");
    expect(await balance(slow, me.apiKey)).toEqual({ available: 40, held: 0 });
  });

  test("cancelled at RunPod (not by oTo): canceled, hold released", async () => {
    const me = await register(slow);
    const agent = await runpodAgent(slow, me.apiKey, "text", "long");
    const created = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "x" });
    await waitForJob(slow, me.apiKey, created.id, { done: (j) => j.status === "running" });
    const { endpointId, runpodId } = await externalId(slow, created.id);
    const res = await fetch(`${real.baseUrl}/${endpointId}/cancel/${runpodId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${real.apiKey}` },
    });
    expect(res.status).toBe(200);
    const job = await waitForJob(slow, me.apiKey, created.id);
    expect(job.status).toBe("canceled");
    expect(job.error.code).toBe("canceled_by_provider");
    await expectRefunded(slow, job);
  });

  test("past oTo's own deadline: cancelled at RunPod, timed_out, hold released", async () => {
    const me = await register(slow);
    const agent = await runpodAgent(slow, me.apiKey, "text", "long");
    const created = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "x" });
    const job = await waitForJob(slow, me.apiKey, created.id, { timeoutMs: 15_000 });
    expect(job.status).toBe("timed_out");
    const took = Date.parse(job.finished_at) - Date.parse(job.created_at);
    expect(took).toBeGreaterThanOrEqual(5000);
    expect(took).toBeLessThan(8000);
    const { runpodId } = await externalId(slow, created.id);
    expect(real.job(runpodId)!.status).toBe("CANCELLED");
    await expectRefunded(slow, job);
    expect(await balance(slow, me.apiKey)).toEqual({ available: 40, held: 0 });
  });
});

describe("the webhook", () => {
  let hooked: RunningServer;
  beforeAll(async () => {
    // Polls so rare that only the webhook can settle a job within the test.
    hooked = await startTestServer(runpodEnv(real), {
      generation: { runner: { pollIntervalsMs: { local: [50], runpod: [60_000] } }, sweepIntervalMs: 60_000 },
    });
  });
  afterAll(async () => {
    await hooked?.close();
  });

  test("RunPod's call makes the server re-read the job and settle it once; replays change nothing", async () => {
    const me = await register(hooked);
    const agent = await runpodAgent(hooked, me.apiKey, "text", "medium");
    const created = await generate(hooked, me.apiKey, { agent_id: agent.id, prompt: "hook me" });
    const job = await waitForJob(hooked, me.apiKey, created.id, { timeoutMs: 10_000 });
    expect(job.status).toBe("succeeded");
    await expectCharged(hooked, job);
    // Settled well before the next poll (60 s): the webhook did it, after re-reading /status.
    expect(Date.parse(job.finished_at) - Date.parse(job.created_at)).toBeLessThan(6000);
    const { runpodId } = await externalId(hooked, created.id);
    const deliveries = real.webhookDeliveries.filter((d) => d.jobId === runpodId);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.status).toBe(200);
    const statusReads = real.requestsFor("status").filter((r) => r.jobId === runpodId);
    expect(statusReads.length).toBeGreaterThanOrEqual(2);

    // RunPod retries, or someone replays the URL: acknowledged, nothing changes.
    const url = deliveries[0]!.url;
    for (let i = 0; i < 3; i++) {
      const replay = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(deliveries[0]!.body) });
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ received: true, outcome: "already_ended" });
    }
    expect(await jobEntries(hooked, job.id)).toEqual([
      { kind: "hold", amount: expect.any(Number) },
      { kind: "capture", amount: expect.any(Number) },
    ]);
    expect(await getJob(hooked, me.apiKey, job.id)).toEqual(job);
    const creations = await hooked.app.db.query("SELECT id FROM creations WHERE job_id = $1", [job.id]);
    expect(creations).toHaveLength(1);
  });

  test("a wrong token, another job's token or an unknown job: 404 and nothing happens", async () => {
    const me = await register(hooked);
    const agent = await runpodAgent(hooked, me.apiKey, "text", "long");
    const a = await generate(hooked, me.apiKey, { agent_id: agent.id, prompt: "a" });
    const b = await generate(hooked, me.apiKey, { agent_id: agent.id, prompt: "b" });
    // Submitted, and running at RunPod. oTo's own status may still say queued: its first poll can see the worker's
    // cold start, and the next one is a minute away (the lying webhook below makes it re-read).
    let runpodId = "";
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      runpodId = (await externalId(hooked, b.id)).runpodId;
      if (real.job(runpodId)?.status === "IN_PROGRESS") break;
    }
    expect(real.job(runpodId)?.status).toBe("IN_PROGRESS");
    const tokenOfB = new URL(real.job(runpodId)!.webhook!).searchParams.get("t")!;

    const post = (jobId: string, token: string) =>
      call(hooked, "POST", `/v1/hooks/runpod/${jobId}?t=${encodeURIComponent(token)}`, { json: { id: runpodId, status: "COMPLETED" } });
    expectProblem(await post(a.id, tokenOfB), 404, "not_found");
    const tampered = `${tokenOfB.slice(0, -1)}${tokenOfB.endsWith("A") ? "B" : "A"}`;
    expectProblem(await post(b.id, tampered), 404, "not_found");
    expectProblem(await post("job_00000000000000000000000000", tokenOfB), 404, "not_found");
    expectProblem(await call(hooked, "POST", `/v1/hooks/runpod/${b.id}`, { json: {} }), 400, "validation_failed");
    // A valid token whose body lies: the status is re-read, the job stays running.
    const lie = await post(b.id, tokenOfB);
    expect(lie.status).toBe(200);
    expect(lie.body.received).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await getJob(hooked, me.apiKey, b.id)).status).toBe("running");
    expect((await getJob(hooked, me.apiKey, a.id)).status).not.toMatch(/succeeded|failed/);
    for (const id of [a.id, b.id]) await call(hooked, "POST", `/v1/generations/${id}/cancel`, { apiKey: me.apiKey });
  });
});
