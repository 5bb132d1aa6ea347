// RunPodProvider against the local RunPod-compatible server (real HTTP on 127.0.0.1).
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { GenerationRequest, ProviderStatus } from "../../src/generation/provider.js";
import {
  pollUntilDone,
  RunPodError,
  RunPodProvider,
  type RunPodProviderOptions,
} from "../../src/generation/runpod/index.js";
import {
  fixtures,
  fixtureText,
  makeMp4Container,
  makePng,
  makeWav,
  seedOf,
  startFakeRunpod,
  type FakeRunpod,
  type FakeRunpodOptions,
} from "../support/fake-runpod.js";

const PROMPT = "a red fox in the snow";
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function fake(options: FakeRunpodOptions = {}): Promise<FakeRunpod> {
  const server = await startFakeRunpod(options);
  cleanups.push(() => server.close());
  return server;
}

/** Real but short sleeps, recording what the provider asked for. */
function recordingSleep(onSleep?: (ms: number, call: number) => void | Promise<void>) {
  const delays: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal) => {
    delays.push(ms);
    await onSleep?.(ms, delays.length);
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    signal?.throwIfAborted();
  };
  return { delays, sleep };
}

function provider(server: FakeRunpod | { apiKey: string; baseUrl: string }, options: Partial<RunPodProviderOptions> = {}) {
  const created = new RunPodProvider({
    apiKey: server.apiKey,
    baseUrl: server.baseUrl,
    allowedOutputHosts: ["127.0.0.1"],
    sleep: recordingSleep().sleep,
    ...options,
  });
  cleanups.push(() => created.close());
  return created;
}

function request(kind: GenerationRequest["kind"], endpointId: string, overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    jobId: "job_01hzz0000000000000000000aa",
    kind,
    prompt: PROMPT,
    parameters: { seed: 7 },
    inputs: [],
    agent: { id: "agt_1", name: "Test agent", endpointId },
    ...overrides,
  };
}

const fastPoll = { intervalsMs: [2, 5, 10] };

async function runToEnd(p: RunPodProvider, req: GenerationRequest) {
  const { externalId } = await p.submit(req);
  return { externalId, result: await pollUntilDone(p, externalId, fastPoll) };
}

function succeeded(status: ProviderStatus) {
  if (status.state !== "succeeded") throw new Error(`expected succeeded, got ${JSON.stringify(status)}`);
  return status.outputs;
}

describe("RunPodProvider submit", () => {
  it("posts /run with auth, oTo's input contract, policy and webhook, and returns endpointId:jobId", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    server.pauseWorkers();
    const p = provider(server, { executionTimeoutMs: 120_000, ttlMs: 3_600_000 });
    const { externalId } = await p.submit(
      request("text", "ep-text", {
        agent: { id: "agt_1", name: "Writer", endpointId: "ep-text", model: "llama-3-8b" },
        inputs: [{ creationId: "cre_1", kind: "image", mediaType: "image/png", bytes: new Uint8Array([1, 2, 3]) }],
      }),
      { webhookUrl: "https://oto.example/v1/hooks/runpod/job_1?t=abc" },
    );
    const [endpointId, runpodJobId] = externalId.split(":");
    expect(endpointId).toBe("ep-text");
    expect(runpodJobId).toMatch(/^[0-9a-f-]{36}-u1$/);
    const job = server.job(runpodJobId!);
    expect(job).toMatchObject({
      status: "IN_QUEUE",
      webhook: "https://oto.example/v1/hooks/runpod/job_1?t=abc",
      executionTimeout: 120_000,
      ttl: 3_600_000,
      input: {
        kind: "text",
        prompt: PROMPT,
        parameters: { seed: 7 },
        model: "llama-3-8b",
        inputs: [{ creation_id: "cre_1", media_type: "image/png", data: "AQID" }],
      },
    });
    expect(server.requestsFor("run")[0]?.auth).toBe("bearer");
    expect(await p.status(externalId)).toEqual({ state: "queued" });
  });

  it("sends an input as a URL when resolveInputUrl gives one", async () => {
    const server = await fake({ workers: { "ep-image": fixtures.image() } });
    server.pauseWorkers();
    const p = provider(server, { resolveInputUrl: async (file) => `https://files.oto.example/${file.creationId}` });
    const { externalId } = await p.submit(
      request("image", "ep-image", {
        inputs: [{ creationId: "cre_9", kind: "image", mediaType: "image/png", bytes: new Uint8Array([9]) }],
      }),
    );
    const input = server.job(externalId.split(":")[1]!)?.input as { inputs: unknown[] };
    expect(input.inputs).toEqual([{ creation_id: "cre_9", media_type: "image/png", url: "https://files.oto.example/cre_9" }]);
  });

  it("refuses an agent without endpoint id and an input over RunPod's 10 MB /run limit, without calling RunPod", async () => {
    const server = await fake({ workers: { "ep-image": fixtures.image() } });
    const p = provider(server);
    await expect(p.submit(request("image", "", { agent: { id: "a", name: "No endpoint" } }))).rejects.toThrow(
      /no valid RunPod endpoint id/,
    );
    const big = { creationId: "cre_big", kind: "image" as const, mediaType: "image/png", bytes: new Uint8Array(8 * 1024 * 1024) };
    const error = await p.submit(request("image", "ep-image", { inputs: [big] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunPodError);
    expect((error as RunPodError).code).toBe("payload_too_large");
    expect(server.requestsFor("run")).toHaveLength(0);
  });

  it("retries /run on 429, honouring Retry-After, then succeeds", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() }, queueLimit: 1, retryAfterS: 2 });
    server.pauseWorkers();
    const first = provider(server);
    await first.submit(request("text", "ep-text")); // fills the queue
    const { delays, sleep } = recordingSleep(() => server.resumeWorkers());
    const p = provider(server, { sleep });
    const { externalId } = await p.submit(request("text", "ep-text"));
    expect(server.requestsFor("run").map((entry) => entry.status)).toEqual([200, 429, 200]);
    expect(delays).toEqual([2000]);
    const result = await pollUntilDone(p, externalId, fastPoll);
    expect(result.state).toBe("succeeded");
  });

  it("gives up after maxAttempts when RunPod keeps throttling, with a retryable error", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() }, queueLimit: 0, retryAfterS: 1 });
    const p = provider(server, { maxAttempts: 3, maxRetryAfterMs: 500 });
    const error = (await p.submit(request("text", "ep-text")).catch((e: unknown) => e)) as RunPodError;
    expect(error).toBeInstanceOf(RunPodError);
    expect(error).toMatchObject({ code: "throttled", status: 429, retryable: true });
    expect(server.requestsFor("run")).toHaveLength(3);
  });

  it("never retries /run after a 5xx or a connection dropped after sending (it could duplicate the job)", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    const p = provider(server);
    server.injectFailure({ op: "run", status: 503 });
    const serverError = (await p.submit(request("text", "ep-text")).catch((e: unknown) => e)) as RunPodError;
    expect(serverError).toMatchObject({ code: "server_error", status: 503, retryable: false });
    expect(serverError.message).toMatch(/may have been created/);
    expect(server.requestsFor("run")).toHaveLength(1);

    server.injectFailure({ op: "run", reset: true });
    const reset = (await p.submit(request("text", "ep-text")).catch((e: unknown) => e)) as RunPodError;
    expect(reset).toMatchObject({ code: "network", retryable: false });
    expect(server.requestsFor("run")).toHaveLength(2);
  });

  it("retries /run when the connection was refused (nothing was sent)", async () => {
    const port = await freePort();
    let server: FakeRunpod | undefined;
    const { delays, sleep } = recordingSleep(async () => {
      server ??= await fake({ port, workers: { "ep-text": fixtures.text() } });
    });
    const p = provider({ apiKey: "rp_fake_key", baseUrl: `http://127.0.0.1:${port}/v2` }, { sleep });
    const { externalId } = await p.submit(request("text", "ep-text"));
    expect(delays).toHaveLength(1);
    expect(server?.requestsFor("run")).toHaveLength(1);
    expect((await pollUntilDone(p, externalId, fastPoll)).state).toBe("succeeded");
  });

  it("reports a rejected API key as a non-retryable auth error", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    const p = provider({ apiKey: "wrong", baseUrl: server.baseUrl });
    await expect(p.submit(request("text", "ep-text"))).rejects.toMatchObject({ code: "auth", status: 401, retryable: false });
  });
});

describe("RunPodProvider status: completed outputs per kind", () => {
  it("text: {text, format} becomes a Markdown file", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    const { externalId, result } = await runToEnd(provider(server), request("text", "ep-text"));
    const [file, ...rest] = succeeded(result);
    expect(rest).toHaveLength(0);
    expect(new TextDecoder().decode(file!.bytes)).toBe(fixtureText(PROMPT));
    expect(file).toMatchObject({ mediaType: "text/markdown", filename: "output.md" });
    expect(file!.metadata).toMatchObject({
      provider: "runpod",
      runpod_endpoint_id: "ep-text",
      runpod_job_id: externalId.split(":")[1],
      output_kind: "text",
      output_source: "inline",
    });
    expect(file!.metadata.runpod_worker_id).toMatch(/^fake-ep-text-w\d+$/);
  });

  it("text: vLLM batches (streamed by a generator worker) are joined into one plain-text file", async () => {
    const server = await fake({ workers: { "ep-llm": fixtures.vllm() } });
    const { result } = await runToEnd(provider(server), request("text", "ep-llm"));
    const [file] = succeeded(result);
    expect(new TextDecoder().decode(file!.bytes)).toBe(fixtureText(PROMPT));
    expect(file).toMatchObject({ mediaType: "text/plain", filename: "output.txt" });
    expect(file!.metadata).toMatchObject({ output_shape: "vllm", usage_input_tokens: "6" });
  });

  it.each(["base64", "url"] as const)("image: ComfyUI images as %s", async (as) => {
    const server = await fake({ workers: { "ep-image": fixtures.image({ as, count: 2 }) } });
    const { result } = await runToEnd(provider(server), request("image", "ep-image"));
    const files = succeeded(result);
    expect(files.map((file) => file.filename)).toEqual(["ComfyUI_00001_.png", "ComfyUI_00002_.png"]);
    const seed = seedOf(PROMPT);
    expect(Buffer.from(files[0]!.bytes).equals(Buffer.from(makePng(8, 8, seed)))).toBe(true);
    expect(Buffer.from(files[1]!.bytes).equals(Buffer.from(makePng(8, 8, seed + 1)))).toBe(true);
    expect(files[0]).toMatchObject({ mediaType: "image/png", metadata: { output_source: as, output_kind: "image" } });
    expect(server.requestsFor("file")).toHaveLength(as === "url" ? 2 : 0);
    if (as === "url") expect(files[0]!.metadata.source_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
  });

  it.each([
    ["audio as base64", { as: "base64" as const }],
    ["audio as url", { as: "url" as const }],
    ["audio_base64 (community shape)", { shape: "audio_base64" as const }],
  ])("voice: %s", async (_label, options) => {
    const server = await fake({ workers: { "ep-voice": fixtures.voice(options) } });
    const { result } = await runToEnd(provider(server), request("voice", "ep-voice"));
    const [file] = succeeded(result);
    const expected = makeWav(200, 16_000, 220 + (seedOf(PROMPT) % 440));
    expect(Buffer.from(file!.bytes).equals(Buffer.from(expected))).toBe(true);
    expect(file).toMatchObject({ mediaType: "audio/wav", filename: "voice.wav", metadata: { sample_rate: "16000", format: "wav" } });
  });

  it.each([
    ["video as base64", { as: "base64" as const }, "video.mp4"],
    ["video as url", { as: "url" as const }, "video.mp4"],
    ["AnimateDiff {filename, data}", { shape: "animatediff" as const }, "animation.mp4"],
  ])("video: %s", async (_label, options, filename) => {
    const server = await fake({ workers: { "ep-video": fixtures.video(options) } });
    const { result } = await runToEnd(provider(server), request("video", "ep-video"));
    const [file] = succeeded(result);
    expect(Buffer.from(file!.bytes).equals(Buffer.from(makeMp4Container(PROMPT)))).toBe(true);
    expect(file).toMatchObject({ mediaType: "video/mp4", filename });
  });

  it("reports running progress as a fraction with the worker's message", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text({ steps: 2, stepMs: 40_000 }) } });
    const p = provider(server);
    const { externalId } = await p.submit(request("text", "ep-text"));
    const seen: Array<{ state: string; progress?: number; message?: string }> = [];
    const result = await pollUntilDone(p, externalId, { intervalsMs: [3], onProgress: (status) => seen.push(status) });
    expect(result.state).toBe("succeeded");
    const running = seen.filter((status) => status.state === "running" && status.progress !== undefined);
    expect(running.length).toBeGreaterThanOrEqual(1);
    for (const status of running) {
      expect(status.progress).toBeGreaterThan(0);
      expect(status.progress).toBeLessThan(1);
      expect(status.message).toMatch(/^step \d of 2$/);
    }
  });

  it("a completed job whose output breaks the contract fails with a pointer to the contract", async () => {
    const server = await fake({ workers: { "ep-x": fixtures.returns({ result: "no idea" }) } });
    const { result } = await runToEnd(provider(server), request("image", "ep-x"));
    expect(result).toMatchObject({ state: "failed", retryable: false });
    expect((result as { error: string }).error).toMatch(/output contract.*no known output key.*got result/);
  });
});

describe("RunPodProvider status: other terminal states", () => {
  it("failed (handler raised): the JSON-encoded error string becomes 'Type: message'", async () => {
    const server = await fake({ workers: { "ep-x": fixtures.throws("prompt must not mention cats") } });
    const { result } = await runToEnd(provider(server), request("text", "ep-x"));
    expect(result).toEqual({ state: "failed", error: "ValueError: prompt must not mention cats", retryable: false });
  });

  it("failed (handler returned {error, details}): error and details are both kept", async () => {
    const server = await fake({
      workers: { "ep-x": fixtures.returnsError("Workflow validation failed", ["node 3: missing checkpoint", { node: 7 }]) },
    });
    const { result } = await runToEnd(provider(server), request("image", "ep-x"));
    expect(result).toEqual({
      state: "failed",
      error: 'Workflow validation failed (details: node 3: missing checkpoint; {"node":7})',
      retryable: false,
    });
  });

  it("cancelled while running, and while still queued", async () => {
    const server = await fake({ workers: { "ep-slow": fixtures.slow(300_000) }, workersMax: 1 });
    const p = provider(server);
    const running = await p.submit(request("text", "ep-slow"));
    const queued = await p.submit(request("text", "ep-slow"));
    await server.waitFor(() => server.job(running.externalId.split(":")[1]!)?.status === "IN_PROGRESS");
    expect(await p.status(running.externalId)).toMatchObject({ state: "running", progress: 0.1 });
    expect(await p.status(queued.externalId)).toEqual({ state: "queued" });
    await p.cancel(queued.externalId);
    await p.cancel(running.externalId);
    expect(await p.status(running.externalId)).toEqual({ state: "canceled" });
    expect(await p.status(queued.externalId)).toEqual({ state: "canceled" });
  });

  it("cancelling a finished job leaves it finished, and cancelling an unknown job is harmless", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    const p = provider(server);
    const { externalId, result } = await runToEnd(p, request("text", "ep-text"));
    expect(result.state).toBe("succeeded");
    await p.cancel(externalId);
    expect((await p.status(externalId)).state).toBe("succeeded");
    await expect(p.cancel("ep-text:no-such-job")).resolves.toBeUndefined();
  });

  it("timed out: executionTimeout exceeded while running", async () => {
    const server = await fake({ workers: { "ep-slow": fixtures.slow(600_000) } });
    const p = provider(server, { executionTimeoutMs: 6_000 });
    const { result } = await runToEnd(p, request("text", "ep-slow"));
    expect(result).toEqual({ state: "timed_out" });
  });

  it("timed out: ttl passed before any worker picked the job up", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    server.pauseWorkers();
    const p = provider(server, { ttlMs: 10_000 });
    const { result } = await runToEnd(p, request("text", "ep-text"));
    expect(result).toEqual({ state: "timed_out" });
  });

  it("expired: a result past RunPod's retention answers 404, which maps to expired", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() }, retention: { runMs: 20_000 } });
    const p = provider(server);
    const { externalId } = await p.submit(request("text", "ep-text"));
    const runpodJobId = externalId.split(":")[1]!;
    await server.waitFor(() => server.job(runpodJobId)?.status === "COMPLETED");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await p.status(externalId)).toEqual({ state: "expired" });
    expect(server.requestsFor("status").at(-1)?.status).toBe(404);
  });

  it("retries /status on 5xx, 429 and dropped connections (GET is safe)", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    const { delays, sleep } = recordingSleep();
    const p = provider(server, { sleep });
    const { externalId } = await p.submit(request("text", "ep-text"));
    await server.waitFor(() => server.job(externalId.split(":")[1]!)?.status === "COMPLETED");
    server.injectFailure({ op: "status", status: 502 });
    server.injectFailure({ op: "status", reset: true });
    server.injectFailure({ op: "status", status: 429, retryAfterS: 3 });
    expect((await p.status(externalId)).state).toBe("succeeded");
    expect(server.requestsFor("status").map((entry) => entry.status)).toEqual([502, -1, 429, 200]);
    expect(delays).toHaveLength(3);
    expect(delays[2]).toBe(3000);
  });
});

describe("RunPodProvider output safety", () => {
  const LIMIT = 1000;
  const bigImage = (options: Parameters<typeof fixtures.image>[0]) => fixtures.image({ size: 64, ...options });

  it.each([
    ["base64", { as: "base64" as const }, /is \d+ bytes, over the 1000-byte output limit/],
    ["url with Content-Length", { as: "url" as const }, /declares \d+ bytes, over the 1000-byte output limit/],
    ["url without Content-Length (chunked)", { as: "url" as const, omitContentLength: true }, /stopped while downloading/],
  ])("an output over the size limit fails clearly: %s", async (_label, options, message) => {
    const server = await fake({ workers: { "ep-image": bigImage(options) } });
    const { result } = await runToEnd(provider(server, { maxOutputBytes: LIMIT }), request("image", "ep-image"));
    expect(result).toMatchObject({ state: "failed", retryable: false });
    expect((result as { error: string }).error).toMatch(message);
  });

  it("refuses a URL whose host is outside the allow-list, without fetching it", async () => {
    const server = await fake({
      workers: {
        "ep-image": (ctx) => {
          const url = ctx.serveFile(makePng(4, 4, 1), "image/png", { name: "x.png" }).replace("127.0.0.1", "localhost");
          return { images: [{ filename: "x.png", type: "s3_url", data: url }] };
        },
      },
    });
    const { result } = await runToEnd(provider(server, { allowedOutputHosts: ["127.0.0.1"] }), request("image", "ep-image"));
    expect(result).toMatchObject({ state: "failed", retryable: false });
    expect((result as { error: string }).error).toMatch(/host "localhost" is not in the allow-list/);
    expect(server.requestsFor("file")).toHaveLength(0);
  });

  it("refuses plain http to a non-loopback host even when it is allow-listed", async () => {
    const server = await fake({ workers: { "ep-voice": fixtures.returns({ audio: "http://cdn.example.com/a.wav", format: "wav" }) } });
    const p = provider(server, { allowedOutputHosts: ["127.0.0.1", "cdn.example.com"] });
    const { result } = await runToEnd(p, request("voice", "ep-voice"));
    expect((result as { error: string }).error).toMatch(/plain http is only allowed to loopback hosts/);
  });

  it("refuses output URLs entirely when no host is allow-listed", async () => {
    const server = await fake({ workers: { "ep-video": fixtures.video({ as: "url" }) } });
    const { result } = await runToEnd(provider(server, { allowedOutputHosts: [] }), request("video", "ep-video"));
    expect((result as { error: string }).error).toMatch(/not in the allow-list/);
    expect(server.requestsFor("file")).toHaveLength(0);
  });
});

describe("pollUntilDone", () => {
  it("backs off 1 s → 2 s → 5 s and stays at 5 s", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    server.pauseWorkers();
    const p = provider(server);
    const { externalId } = await p.submit(request("text", "ep-text"));
    const delays: number[] = [];
    const result = await pollUntilDone(p, externalId, {
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 5) {
          server.resumeWorkers();
          await server.waitFor(() => server.job(externalId.split(":")[1]!)?.status === "COMPLETED");
        }
      },
    });
    expect(result.state).toBe("succeeded");
    expect(delays).toEqual([1000, 2000, 5000, 5000, 5000]);
  });

  it("stops when the signal aborts", async () => {
    const server = await fake({ workers: { "ep-text": fixtures.text() } });
    server.pauseWorkers();
    const p = provider(server);
    const { externalId } = await p.submit(request("text", "ep-text"));
    const controller = new AbortController();
    const polling = pollUntilDone(p, externalId, { signal: controller.signal, intervalsMs: [5] });
    setTimeout(() => controller.abort(new Error("user stopped")), 20);
    await expect(polling).rejects.toThrow("user stopped");
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
