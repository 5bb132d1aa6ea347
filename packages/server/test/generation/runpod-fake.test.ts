// The local RunPod fake follows the documented contract (notes-generation-tokens.md §1), checked with raw HTTP.
import { afterEach, describe, expect, it } from "vitest";
import { fixtures, startFakeRunpod, type FakeRunpod, type FakeRunpodOptions } from "../support/fake-runpod.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function fake(options: FakeRunpodOptions): Promise<FakeRunpod> {
  const server = await startFakeRunpod(options);
  cleanups.push(() => server.close());
  return server;
}

async function call(server: FakeRunpod, method: string, path: string, body?: unknown, auth = `Bearer ${server.apiKey}`) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

async function waitForStatus(server: FakeRunpod, endpoint: string, id: string, statuses: string[]) {
  for (let i = 0; i < 400; i++) {
    const { json } = await call(server, "GET", `/${endpoint}/status/${id}`);
    if (statuses.includes(json.status)) return json;
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  throw new Error(`job ${id} never reached ${statuses.join("/")}`);
}

describe("fake RunPod: auth and request validation", () => {
  it("accepts the Bearer and the raw key forms, and answers 401 to anything else", async () => {
    const server = await fake({ workers: { ep: fixtures.text() } });
    expect((await call(server, "GET", "/ep/health")).status).toBe(200);
    expect((await call(server, "GET", "/ep/health", undefined, server.apiKey)).status).toBe(200);
    expect((await call(server, "GET", "/ep/health", undefined, "Bearer nope")).status).toBe(401);
    expect((await call(server, "GET", "/ep/health", undefined, "")).status).toBe(401);
    expect(server.requests.map((entry) => entry.auth)).toEqual(["bearer", "raw", "invalid", "missing"]);
  });

  it("answers 404 for an unknown endpoint or job, 405 for a wrong method, 400 for a bad body or policy", async () => {
    const server = await fake({ workers: { ep: fixtures.text() } });
    expect((await call(server, "POST", "/nope/run", { input: {} })).status).toBe(404);
    expect((await call(server, "GET", "/ep/status/unknown-u1")).status).toBe(404);
    expect((await call(server, "GET", "/ep/run")).status).toBe(405);
    expect((await call(server, "POST", "/ep/run", { prompt: "no input key" })).json).toEqual({
      error: "input is required and must be an object",
    });
    expect((await call(server, "POST", "/ep/run", { input: {}, policy: { executionTimeout: 5000 } })).status).toBe(400);
    expect((await call(server, "POST", "/ep/run", { input: {}, policy: { ttl: 9999 } })).status).toBe(400);
    expect((await call(server, "POST", "/ep/run", { input: {}, webhook: "ftp://x" })).status).toBe(400);
    expect(server.jobCount()).toBe(0);
  });

  it("refuses a /run body over the size limit with 413", async () => {
    const server = await fake({ workers: { ep: fixtures.text() }, maxRunBodyBytes: 1024 });
    const response = await call(server, "POST", "/ep/run", { input: { prompt: "x".repeat(2000) } });
    expect(response.status).toBe(413);
    expect(server.jobCount()).toBe(0);
  });

  it("throttles /run with 429 and Retry-After while the queue is over its limit", async () => {
    const server = await fake({ workers: { ep: fixtures.text() }, queueLimit: 2, retryAfterS: 3 });
    server.pauseWorkers();
    expect((await call(server, "POST", "/ep/run", { input: {} })).status).toBe(200);
    expect((await call(server, "POST", "/ep/run", { input: {} })).status).toBe(200);
    const throttled = await call(server, "POST", "/ep/run", { input: {} });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("3");
    expect(server.jobCount()).toBe(2);
  });
});

describe("fake RunPod: job lifecycle", () => {
  it("IN_QUEUE → IN_PROGRESS (with progress output) → COMPLETED, with delayTime, executionTime and workerId", async () => {
    const server = await fake({ workers: { ep: fixtures.slow(50_000) }, queueDelayMs: 2_000 });
    server.pauseWorkers();
    const run = await call(server, "POST", "/ep/run", { input: { prompt: "p" } });
    expect(run.json).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}-u1$/), status: "IN_QUEUE" });
    expect((await call(server, "GET", `/ep/status/${run.json.id}`)).json.status).toBe("IN_QUEUE");
    server.resumeWorkers();
    const inProgress = await waitForStatus(server, "ep", run.json.id, ["IN_PROGRESS"]);
    expect(inProgress.output).toBe(0.1);
    const done = await waitForStatus(server, "ep", run.json.id, ["COMPLETED"]);
    expect(done).toMatchObject({ output: { format: "markdown" }, workerId: expect.stringMatching(/^fake-ep-w/) });
    // Scaled time is only as precise as Node's timers: about 1 real ms, i.e. 1 000 RunPod ms at the default scale.
    expect(done.delayTime).toBeGreaterThanOrEqual(1_000);
    expect(done.executionTime).toBeGreaterThanOrEqual(48_000);
    expect(done.executionTime).toBeLessThan(600_000);
  });

  it("FAILED in both error forms: a JSON-encoded exception string, or {error} with the rest kept as output", async () => {
    const server = await fake({
      workers: { raises: fixtures.throws("boom", "RuntimeError"), returns: fixtures.returnsError("bad workflow", ["n1"]) },
    });
    const raised = await call(server, "POST", "/raises/run", { input: {} });
    const failed = await waitForStatus(server, "raises", raised.json.id, ["FAILED"]);
    expect(JSON.parse(failed.error)).toMatchObject({
      error_type: "<class 'RuntimeError'>",
      error_message: "boom",
      hostname: "fake-runpod",
      worker_id: failed.workerId,
    });
    const returned = await call(server, "POST", "/returns/run", { input: {} });
    expect(await waitForStatus(server, "returns", returned.json.id, ["FAILED"])).toMatchObject({
      error: "bad workflow",
      output: { details: ["n1"] },
    });
  });

  it("TIMED_OUT on executionTimeout, and on ttl while queued", async () => {
    const server = await fake({ workers: { slow: fixtures.slow(600_000), ep: fixtures.text() } });
    const running = await call(server, "POST", "/slow/run", { input: {}, policy: { executionTimeout: 6_000 } });
    expect((await waitForStatus(server, "slow", running.json.id, ["TIMED_OUT", "COMPLETED"])).status).toBe("TIMED_OUT");
    server.pauseWorkers();
    const queued = await call(server, "POST", "/ep/run", { input: {}, policy: { ttl: 10_000 } });
    expect((await waitForStatus(server, "ep", queued.json.id, ["TIMED_OUT"])).delayTime).toBeUndefined();
  });

  it("cancel, retry, purge-queue and health behave as documented", async () => {
    let attempts = 0;
    const server = await fake({
      workers: {
        flaky: () => {
          attempts++;
          if (attempts === 1) throw new Error("first try fails");
          return { text: "second try", format: "plain" };
        },
        ep: fixtures.text(),
      },
    });
    const flaky = await call(server, "POST", "/flaky/run", { input: {} });
    await waitForStatus(server, "flaky", flaky.json.id, ["FAILED"]);
    expect((await call(server, "POST", `/flaky/retry/${flaky.json.id}`)).json).toEqual({ id: flaky.json.id, status: "IN_QUEUE" });
    expect(await waitForStatus(server, "flaky", flaky.json.id, ["COMPLETED"])).toMatchObject({ output: { text: "second try" } });
    expect(await waitForStatus(server, "flaky", flaky.json.id, ["COMPLETED"])).not.toHaveProperty("error");
    expect((await call(server, "POST", `/flaky/retry/${flaky.json.id}`)).status).toBe(400);
    expect((await call(server, "GET", "/flaky/health")).json.jobs).toMatchObject({ completed: 1, failed: 1, retried: 1 });

    server.pauseWorkers();
    const a = await call(server, "POST", "/ep/run", { input: {} });
    const b = await call(server, "POST", "/ep/run", { input: {} });
    expect((await call(server, "GET", "/ep/health")).json.jobs).toMatchObject({ inQueue: 2, inProgress: 0 });
    expect((await call(server, "POST", `/ep/cancel/${a.json.id}`)).json).toEqual({ id: a.json.id, status: "CANCELLED" });
    expect((await call(server, "POST", "/ep/purge-queue")).json).toEqual({ removed: 1, status: "completed" });
    expect((await call(server, "GET", `/ep/status/${b.json.id}`)).json.status).toBe("CANCELLED");
  });

  it("/runsync returns the finished job, or its id and status when it outlasts ?wait; /status-sync long-polls", async () => {
    const server = await fake({ workers: { ep: fixtures.text(), slow: fixtures.slow(100_000) } });
    const quick = await call(server, "POST", "/ep/runsync", { input: { prompt: "q" } });
    expect(quick.json).toMatchObject({ id: expect.stringMatching(/^sync-/), status: "COMPLETED", output: { format: "markdown" } });
    const slow = await call(server, "POST", "/slow/runsync?wait=1000", { input: { prompt: "s" } });
    expect(slow.json).toEqual({ id: slow.json.id, status: expect.stringMatching(/^IN_(QUEUE|PROGRESS)$/) });
    expect((await call(server, "GET", `/slow/status-sync/${slow.json.id}?wait=300000`)).json.status).toBe("COMPLETED");
  });

  it("/stream hands out each generator chunk once, as {output: chunk}", async () => {
    const server = await fake({ workers: { llm: fixtures.vllm() } });
    const run = await call(server, "POST", "/llm/run", { input: { prompt: "one two three four five" } });
    const seen: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const { json } = await call(server, "GET", `/llm/stream/${run.json.id}`);
      seen.push(...(json.stream as Array<{ output: unknown }>).map((item) => item.output));
      if (json.status === "COMPLETED") break;
    }
    const status = await call(server, "GET", `/llm/status/${run.json.id}`);
    expect(seen).toEqual(status.json.output);
    expect((await call(server, "GET", `/llm/stream/${run.json.id}`)).json.stream).toEqual([]);
  });

  it("forgets results after the retention period (404), sooner with ?ttl on /status", async () => {
    const server = await fake({ workers: { ep: fixtures.text() }, retention: { runMs: 30_000 } });
    const run = await call(server, "POST", "/ep/run", { input: {} });
    await waitForStatus(server, "ep", run.json.id, ["COMPLETED"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call(server, "GET", `/ep/status/${run.json.id}`)).status).toBe(404);

    const kept = await fake({ workers: { ep: fixtures.text() } });
    const second = await call(kept, "POST", "/ep/run", { input: {} });
    await waitForStatus(kept, "ep", second.json.id, ["COMPLETED"]);
    expect((await call(kept, "GET", `/ep/status/${second.json.id}?ttl=0`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await call(kept, "GET", `/ep/status/${second.json.id}`)).status).toBe(404);
  });
});
