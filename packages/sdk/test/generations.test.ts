import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  Oto,
  OtoConnectionError,
  OtoGenerationFailedError,
  OtoInsufficientTokensError,
  type Generation,
} from "../src/index.js";
import {
  sendJson,
  sendProblem,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from "./support/scripted-server.js";

// Generation jobs against a scripted HTTP server on 127.0.0.1: the event stream (and its
// reconnect), Prefer: wait, and generateAndWait with its polling fallback and failures.

const JOB = "job_01jd3x9v6q8r5m2k7n4p0w1z3y";

function job(status: Generation["status"], extra: Partial<Generation> = {}): Generation {
  const ended = ["succeeded", "failed", "canceled", "timed_out"].includes(status);
  return {
    id: JOB,
    status,
    agent: { id: "ag_01jd3x9v6q8r5m2k7n4p0w1z3y", name: "Ink", kind: "image", color: "#d4a017" },
    provider: "local",
    prompt: "a lighthouse",
    parameters: {},
    inputs: [],
    progress: status === "succeeded" ? 1 : null,
    error: null,
    cost: { quoted: 4, held: ended ? 0 : 4, charged: status === "succeeded" ? 4 : 0 },
    creation_id: status === "succeeded" ? "cr_01jd3x9v6q8r5m2k7n4p0w1z3y" : null,
    created_at: "2026-11-26T10:00:00.000Z",
    started_at: status === "queued" ? null : "2026-11-26T10:00:01.000Z",
    finished_at: ended ? "2026-11-26T10:00:02.000Z" : null,
    ...extra,
  };
}

/** Starts an event stream, writes `events` (with a heartbeat comment first), then ends it unless `keepOpen`. */
function stream(res: ServerResponse, events: Generation[], options: { keepOpen?: boolean } = {}): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(": connected\n\n");
  for (const event of events) res.write(`event: generation\ndata: ${JSON.stringify(event)}\n\n`);
  if (!options.keepOpen) res.end();
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script): Promise<{ oto: Oto; server: ScriptedServer }> {
  server = await startScriptedServer(script);
  return { oto: new Oto({ baseUrl: server.url, apiKey: "oto_test0000_secret", retryBaseDelayMs: 10 }), server };
}

async function collect(iterable: AsyncIterable<Generation>): Promise<Generation[]> {
  const all: Generation[] = [];
  for await (const item of iterable) all.push(item);
  return all;
}

describe("generations.events", () => {
  it("yields each state from the event stream and stops after the ended one", async () => {
    const { oto, server } = await serve((_req, res) =>
      stream(res, [job("queued"), job("running", { progress: 0.5 }), job("succeeded")], { keepOpen: true }),
    );

    const states = await collect(oto.generations.events(JOB));

    expect(states.map((g) => [g.status, g.progress])).toEqual([
      ["queued", null],
      ["running", 0.5],
      ["succeeded", 1],
    ]);
    expect(server.requests[0]).toMatchObject({ method: "GET", url: `/v1/generations/${JOB}/events` });
    expect(server.requests[0]?.headers["accept"]).toBe("text/event-stream");
    expect(server.requests[0]?.headers["authorization"]).toBe("Bearer oto_test0000_secret");
  });

  it("ignores events of other names and heartbeat comments", async () => {
    const { oto } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`: keep-alive\n\nevent: other\ndata: {"x":1}\n\n`);
      res.end(`event: generation\ndata: ${JSON.stringify(job("failed"))}\n\n`);
    });
    expect((await collect(oto.generations.events(JOB))).map((g) => g.status)).toEqual(["failed"]);
  });

  it("after a dropped stream, re-reads the job and reconnects once, without repeating a state", async () => {
    const { oto, server } = await serve((req, res, n) => {
      if (n === 0) return stream(res, [job("queued"), job("running", { progress: 0.3 })]); // ends early
      if (req.url === `/v1/generations/${JOB}`) return sendJson(res, 200, job("running", { progress: 0.3 }));
      return stream(res, [job("running", { progress: 0.3 }), job("succeeded")], { keepOpen: true });
    });

    const states = await collect(oto.generations.events(JOB));

    expect(states.map((g) => g.status)).toEqual(["queued", "running", "succeeded"]);
    expect(server.requests.map((r) => r.url)).toEqual([
      `/v1/generations/${JOB}/events`,
      `/v1/generations/${JOB}`,
      `/v1/generations/${JOB}/events`,
    ]);
  });

  it("a connection cut in the middle of the stream counts as a drop too", async () => {
    const { oto } = await serve((req, res, n) => {
      if (n === 0) {
        stream(res, [job("running")], { keepOpen: true });
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      if (req.url === `/v1/generations/${JOB}`) return sendJson(res, 200, job("succeeded"));
      throw new Error("no second stream expected: the job had ended");
    });
    expect((await collect(oto.generations.events(JOB))).map((g) => g.status)).toEqual(["running", "succeeded"]);
  });

  it("a second drop rejects with OtoConnectionError", async () => {
    const { oto } = await serve((req, res) => {
      if (req.url === `/v1/generations/${JOB}`) return sendJson(res, 200, job("running"));
      stream(res, [job("running")]);
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const g of oto.generations.events(JOB)) seen.push(g.status);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoConnectionError);
    expect((error as Error).message).toMatch(/dropped twice/);
    expect(seen).toEqual(["running"]);
  });

  it("silence past idleTimeoutMs counts as a drop", async () => {
    const { oto } = await serve((req, res, n) => {
      if (n === 0) return stream(res, [job("running")], { keepOpen: true }); // then nothing at all
      if (req.url === `/v1/generations/${JOB}`) return sendJson(res, 200, job("canceled"));
    });
    const states = await collect(oto.generations.events(JOB, { idleTimeoutMs: 200 }));
    expect(states.map((g) => g.status)).toEqual(["running", "canceled"]);
  });

  it("aborting the signal stops the iteration with the signal's reason", async () => {
    const { oto } = await serve((_req, res) => stream(res, [job("running")], { keepOpen: true }));
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const g of oto.generations.events(JOB, { signal: controller.signal })) {
        seen.push(g.status);
        controller.abort(new Error("stop"));
      }
    })().catch((e: unknown) => e);
    expect(error).toEqual(new Error("stop"));
    expect(seen).toEqual(["running"]);
  });

  it("an unknown job is OtoNotFoundError from the first request", async () => {
    const { oto } = await serve((_req, res) => sendProblem(res, 404, "not_found", `No job ${JOB}.`));
    await expect(collect(oto.generations.events(JOB))).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("generations.create", () => {
  it("sends Prefer: wait=N and an Idempotency-Key", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 200, job("succeeded")));
    const done = await oto.generations.create({ agent_id: job("queued").agent.id, prompt: "x" }, { wait: 5 });
    expect(done.status).toBe("succeeded");
    expect(server.requests[0]?.headers["prefer"]).toBe("wait=5");
    expect(server.requests[0]?.headers["idempotency-key"]).toEqual(expect.any(String));
  });

  it("refuses a wait outside 1–60 before sending anything", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 200, job("succeeded")));
    expect(() => oto.generations.create({ agent_id: job("queued").agent.id, prompt: "x" }, { wait: 61 })).toThrow(
      /wait must be/,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe("generateAndWait", () => {
  const body = { agent_id: "ag_01jd3x9v6q8r5m2k7n4p0w1z3y", prompt: "a lighthouse" };

  it("creates the job, follows its events and resolves to the succeeded job", async () => {
    const { oto, server } = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 202, job("queued"));
      stream(res, [job("queued"), job("running", { progress: 0.5 }), job("succeeded")], { keepOpen: true });
    });
    const progress: Array<[string, number | null]> = [];

    const done = await oto.generateAndWait(body, { onProgress: (g) => progress.push([g.status, g.progress]) });

    expect(done).toMatchObject({ status: "succeeded", creation_id: expect.stringMatching(/^cr_/) });
    expect(progress).toEqual([
      ["queued", null],
      ["running", 0.5],
      ["succeeded", 1],
    ]);
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual(body);
  });

  it("reads the job every pollIntervalMs when the event stream is not there", async () => {
    let polls = 0;
    const { oto, server } = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 202, job("queued"));
      if (req.url?.endsWith("/events")) return sendProblem(res, 404, "not_found", "No events here.");
      polls += 1;
      sendJson(res, 200, polls < 3 ? job("running", { progress: polls / 3 }) : job("succeeded"));
    });

    const done = await oto.generateAndWait(body, { pollIntervalMs: 20 });

    expect(done.status).toBe("succeeded");
    expect(server.requests.filter((r) => r.url === `/v1/generations/${JOB}`)).toHaveLength(3);
  });

  it("rejects with OtoGenerationFailedError carrying the job's error when it fails", async () => {
    const failed = job("failed", { error: { code: "provider_failed", message: "the worker crashed" } });
    const { oto } = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 202, job("running"));
      stream(res, [job("running"), failed]);
    });

    const error = await oto.generateAndWait(body).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OtoGenerationFailedError);
    expect(error).toMatchObject({ code: "provider_failed", jobId: JOB, status: 0, generation: failed });
    expect((error as Error).message).toBe(`job ${JOB} failed: the worker crashed`);
  });

  it("a canceled job rejects with code canceled; a job already ended by the create call is not followed", async () => {
    const { oto, server } = await serve((_req, res) => sendJson(res, 200, job("canceled")));
    const error = await oto.generateAndWait(body).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "OtoGenerationFailedError", code: "canceled" });
    expect((error as Error).message).toBe(`job ${JOB} was canceled.`);
    expect(server.requests).toHaveLength(1);
  });

  it("rejects with wait_timeout when the job has not ended within timeoutMs", async () => {
    const { oto } = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 202, job("queued"));
      stream(res, [job("running", { progress: 0.1 })], { keepOpen: true });
    });
    const error = await oto.generateAndWait(body, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoGenerationFailedError);
    expect(error).toMatchObject({ code: "wait_timeout", generation: { status: "running", progress: 0.1 } });
  });

  it("passes a 402 of the create call through as OtoInsufficientTokensError", async () => {
    const { oto } = await serve((_req, res) =>
      sendProblem(res, 402, "insufficient_tokens", "This run costs 4 tokens and 2 are available.", {
        body: { price: 4, available: 2 },
      }),
    );
    const error = await oto.generateAndWait(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoInsufficientTokensError);
    expect((error as OtoInsufficientTokensError).problem).toMatchObject({ price: 4, available: 2 });
  });

  it("the caller's signal stops the wait with its reason", async () => {
    const { oto } = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 202, job("queued"));
      stream(res, [job("running")], { keepOpen: true });
    });
    const controller = new AbortController();
    const waiting = oto.generateAndWait(body, {
      signal: controller.signal,
      onProgress: (g) => g.status === "running" && controller.abort(new Error("user stopped")),
    });
    await expect(waiting).rejects.toEqual(new Error("user stopped"));
  });

  it("generations.wait follows a job that already exists", async () => {
    const { oto, server } = await serve((req, res) => {
      if (req.url === `/v1/generations/${JOB}`) return sendJson(res, 200, job("running", { progress: 0.2 }));
      stream(res, [job("running", { progress: 0.2 }), job("succeeded")], { keepOpen: true });
    });
    const seen: string[] = [];
    const done = await oto.generations.wait(JOB, { onProgress: (g) => seen.push(g.status) });
    expect(done.status).toBe("succeeded");
    expect(seen).toEqual(["running", "succeeded"]);
    expect(server.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });
});
