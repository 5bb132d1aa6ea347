// A local RunPod-compatible serverless server for tests (notes-generation-tokens.md §1, esp. §1.10).
// Real HTTP on 127.0.0.1, in-memory jobs, the documented state machine and endpoints, both auth header forms,
// 429 back-pressure, result retention, executionTimeout/ttl → TIMED_OUT, webhooks with retries, and pluggable
// per-endpoint workers. Durations are in "RunPod milliseconds"; `timeScale` converts them to real time
// (default 0.001: one RunPod second passes in one real millisecond), so documented values can be used as is.
// Scaled durations are as precise as Node's timers (about 1 real ms, i.e. 1 s of RunPod time at the default scale).
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { deflateSync } from "node:zlib";

export type FakeJobStatus = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";
export type FakeOp =
  | "run"
  | "runsync"
  | "status"
  | "status-sync"
  | "stream"
  | "cancel"
  | "retry"
  | "purge-queue"
  | "health";

const OPS: ReadonlySet<string> = new Set<FakeOp>([
  "run",
  "runsync",
  "status",
  "status-sync",
  "stream",
  "cancel",
  "retry",
  "purge-queue",
  "health",
]);
const METHODS: Record<FakeOp, "GET" | "POST"> = {
  run: "POST",
  runsync: "POST",
  status: "GET",
  "status-sync": "GET",
  stream: "GET",
  cancel: "POST",
  retry: "POST",
  "purge-queue": "POST",
  health: "GET",
};
const TERMINAL: ReadonlySet<FakeJobStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);
const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface FakeWorkerContext {
  readonly jobId: string;
  readonly endpointId: string;
  /** The request's `input`, unchanged (job["input"] in a Python handler). */
  readonly input: unknown;
  /** Aborted when the job is cancelled or times out. */
  readonly signal: AbortSignal;
  /** The fake's origin, e.g. http://127.0.0.1:41234. */
  readonly origin: string;
  /** runpod.serverless.progress_update: the value shows as `output` while IN_PROGRESS. */
  progress(update: unknown): void;
  /** Sleeps RunPod milliseconds (scaled); rejects when the job is cancelled or times out. */
  sleep(ms: number): Promise<void>;
  /** Serves bytes from the fake (like a presigned bucket URL, no auth) and returns the URL. */
  serveFile(bytes: Uint8Array, mediaType: string, options?: { omitContentLength?: boolean; name?: string }): string;
}

/**
 * A handler: return the output (→ COMPLETED), return an object with an `error` key (→ FAILED, `error` becomes the
 * job's error and the rest stays as output), throw (→ FAILED with a JSON-encoded error string), or be an async
 * generator (each yield is a /stream chunk; the output is the list of chunks, like return_aggregate_stream).
 */
export type FakeWorker = (ctx: FakeWorkerContext) => unknown;

export interface FakeRunpodOptions {
  /** Accepted API key; default "rp_fake_key". */
  apiKey?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** endpointId → worker. Unknown endpoints answer 404. */
  workers?: Record<string, FakeWorker>;
  /** Real milliseconds per RunPod millisecond. Default 0.001. */
  timeScale?: number;
  /** Concurrent jobs per endpoint (workersMax). Default 2. */
  workersMax?: number;
  /** Cold start / pick-up delay before a queued job starts (RunPod ms). Default 0. */
  queueDelayMs?: number;
  /** /run and /runsync answer 429 while this many jobs wait in the queue. Default max(50, workersMax × 500). */
  queueLimit?: number;
  /** Retry-After (seconds) sent with 429; null sends none. Default 1. */
  retryAfterS?: number | null;
  /** How long finished results stay readable (RunPod ms). Defaults 30 min (/run) and 60 s (/runsync). */
  retention?: { runMs?: number; runsyncMs?: number };
  /** Endpoint defaults when the request has no policy (RunPod ms). Defaults 10 min and 24 h. */
  defaultExecutionTimeoutMs?: number;
  defaultTtlMs?: number;
  /** "lifetime": ttl bounds the whole job (S); "queue": ttl bounds only the time in the queue (older docs). */
  ttlMode?: "lifetime" | "queue";
  /** Webhook delivery: attempts (default 3), spacing (RunPod ms, default 10 000), timeout per attempt (real ms). */
  webhook?: { attempts?: number; spacingMs?: number; timeoutRealMs?: number };
  /** How long GET /stream holds a request open waiting for a new chunk (real ms). Default 100. */
  streamHoldRealMs?: number;
  /** Body limits (bytes). Defaults 10 MB (/run) and 20 MB (/runsync). */
  maxRunBodyBytes?: number;
  maxRunsyncBodyBytes?: number;
}

export type FakeAuthForm = "bearer" | "raw" | "missing" | "invalid" | "public";

export interface FakeRequestLogEntry {
  method: string;
  path: string;
  op: FakeOp | "file" | "unknown";
  endpointId?: string;
  jobId?: string;
  auth: FakeAuthForm;
  status: number;
  body?: unknown;
  /** Virtual (RunPod) time of arrival. */
  at: number;
}

export interface FakeWebhookDelivery {
  jobId: string;
  url: string;
  attempt: number;
  status?: number;
  error?: string;
  body: unknown;
}

/** Makes the next `times` requests for `op` fail: an HTTP error, or a connection reset after the body was read. */
export interface FakeInjectedFailure {
  op: FakeOp;
  times?: number;
  status?: number;
  retryAfterS?: number;
  reset?: boolean;
}

export interface FakeJobSnapshot {
  id: string;
  endpointId: string;
  status: FakeJobStatus;
  input: unknown;
  webhook?: string;
  executionTimeout: number;
  ttl: number;
  lowPriority: boolean;
}

interface FakeJob {
  id: string;
  endpointId: string;
  input: unknown;
  webhook?: string;
  executionTimeout: number;
  ttl: number;
  lowPriority: boolean;
  sync: boolean;
  status: FakeJobStatus;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  output?: unknown;
  error?: string;
  workerId?: string;
  chunks: unknown[];
  chunkCursor: number;
  abort?: AbortController;
  retainMs: number;
  retainUntil?: number;
  /** Bumped by /retry so a stale worker run cannot write into the new attempt. */
  attempt: number;
  timers: Set<NodeJS.Timeout>;
}

interface ServedFile {
  bytes: Uint8Array;
  mediaType: string;
  omitContentLength: boolean;
}

interface EndpointState {
  queue: string[];
  /** Jobs picked up by a worker: cold-starting (still IN_QUEUE) or IN_PROGRESS. */
  active: Set<string>;
  completed: number;
  failed: number;
  retried: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeRunpod {
  /** http://127.0.0.1:<port> */
  origin = "";
  /** What a client uses as RunPod's base URL: `${origin}/v2` (production: https://api.runpod.ai/v2). */
  baseUrl = "";
  readonly apiKey: string;
  readonly requests: FakeRequestLogEntry[] = [];
  readonly webhookDeliveries: FakeWebhookDelivery[] = [];

  private readonly server: Server;
  private readonly workers = new Map<string, FakeWorker>();
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly jobs = new Map<string, FakeJob>();
  private readonly files = new Map<string, ServedFile>();
  private readonly injected: FakeInjectedFailure[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly realOrigin = performance.now();
  private readonly virtualOrigin = Date.now();
  private paused = false;
  private closed = false;
  private workerCounter = 0;

  private readonly port: number;
  private readonly timeScale: number;
  private readonly workersMax: number;
  private readonly queueDelayMs: number;
  private readonly queueLimit: number;
  private readonly retryAfterS: number | null;
  private readonly retention: { runMs: number; runsyncMs: number };
  private readonly defaultExecutionTimeoutMs: number;
  private readonly defaultTtlMs: number;
  private readonly ttlMode: "lifetime" | "queue";
  private readonly webhook: { attempts: number; spacingMs: number; timeoutRealMs: number };
  private readonly streamHoldRealMs: number;
  private readonly maxRunBodyBytes: number;
  private readonly maxRunsyncBodyBytes: number;

  constructor(options: FakeRunpodOptions = {}) {
    this.apiKey = options.apiKey ?? "rp_fake_key";
    this.port = options.port ?? 0;
    this.timeScale = options.timeScale ?? 0.001;
    this.workersMax = options.workersMax ?? 2;
    this.queueDelayMs = options.queueDelayMs ?? 0;
    this.queueLimit = options.queueLimit ?? Math.max(50, this.workersMax * 500);
    this.retryAfterS = options.retryAfterS === undefined ? 1 : options.retryAfterS;
    this.retention = {
      runMs: options.retention?.runMs ?? 30 * 60 * 1000,
      runsyncMs: options.retention?.runsyncMs ?? 60 * 1000,
    };
    this.defaultExecutionTimeoutMs = options.defaultExecutionTimeoutMs ?? 600_000;
    this.defaultTtlMs = options.defaultTtlMs ?? 86_400_000;
    this.ttlMode = options.ttlMode ?? "lifetime";
    this.webhook = {
      attempts: options.webhook?.attempts ?? 3,
      spacingMs: options.webhook?.spacingMs ?? 10_000,
      timeoutRealMs: options.webhook?.timeoutRealMs ?? 10_000,
    };
    this.streamHoldRealMs = options.streamHoldRealMs ?? 100;
    this.maxRunBodyBytes = options.maxRunBodyBytes ?? 10 * 1024 * 1024;
    this.maxRunsyncBodyBytes = options.maxRunsyncBodyBytes ?? 20 * 1024 * 1024;
    for (const [endpointId, worker] of Object.entries(options.workers ?? {})) this.setWorker(endpointId, worker);
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.baseUrl = `${this.origin}/v2`;
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.values()) {
      job.abort?.abort(new Error("fake RunPod closed"));
      for (const timer of job.timers) clearTimeout(timer);
    }
    for (const timer of this.timers) clearTimeout(timer);
    this.notify();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- knobs and assertions -------------------------------------------------------------------------

  setWorker(endpointId: string, worker: FakeWorker): void {
    this.workers.set(endpointId, worker);
    this.endpoint(endpointId);
  }

  /** Workers stop picking up jobs (they stay IN_QUEUE) until resumeWorkers(). */
  pauseWorkers(): void {
    this.paused = true;
  }

  resumeWorkers(): void {
    this.paused = false;
    for (const endpointId of this.endpoints.keys()) this.pump(endpointId);
  }

  injectFailure(failure: FakeInjectedFailure): void {
    this.injected.push({ times: 1, ...failure });
  }

  job(id: string): FakeJobSnapshot | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    return {
      id: job.id,
      endpointId: job.endpointId,
      status: job.status,
      input: job.input,
      ...(job.webhook ? { webhook: job.webhook } : {}),
      executionTimeout: job.executionTimeout,
      ttl: job.ttl,
      lowPriority: job.lowPriority,
    };
  }

  jobCount(): number {
    return this.jobs.size;
  }

  /** Requests for one operation, e.g. requestsFor("run"). */
  requestsFor(op: FakeRequestLogEntry["op"]): FakeRequestLogEntry[] {
    return this.requests.filter((entry) => entry.op === op);
  }

  /** Resolves once `predicate` holds (checked on every job change), or rejects after `realTimeoutMs`. */
  async waitFor(predicate: () => boolean, realTimeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + realTimeoutMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) throw new Error("fake RunPod: condition not reached in time");
      await this.nextChange(Math.min(left, 20));
    }
  }

  /** Serves bytes at a public URL on the fake, like a presigned S3 object. */
  serveFile(bytes: Uint8Array, mediaType: string, options: { omitContentLength?: boolean; name?: string } = {}): string {
    const token = randomBytes(9).toString("base64url");
    this.files.set(token, { bytes, mediaType, omitContentLength: options.omitContentLength ?? false });
    return `${this.origin}/files/${token}/${encodeURIComponent(options.name ?? "output.bin")}`;
  }

  /** Virtual RunPod time (ms since the epoch, advancing 1/timeScale times faster than real time). */
  now(): number {
    return this.virtualOrigin + (performance.now() - this.realOrigin) / this.timeScale;
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const entry: FakeRequestLogEntry = {
      method: req.method ?? "GET",
      path: url.pathname,
      op: "unknown",
      auth: "missing",
      status: 0,
      at: this.now(),
    };
    this.requests.push(entry);
    try {
      await this.route(req, res, url, entry);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof HttpError) this.send(res, entry, error.status, { error: error.message });
      else this.send(res, entry, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, entry: FakeRequestLogEntry): Promise<void> {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "files" && parts[1]) {
      entry.op = "file";
      entry.auth = "public";
      this.serveStored(res, entry, parts[1]);
      return;
    }
    if (parts[0] !== "v2" || !parts[1] || !parts[2] || parts.length > 4) throw new HttpError(404, "not found");
    const [, endpointId, opName, jobId] = parts as [string, string, string, string | undefined];
    entry.endpointId = endpointId;
    if (jobId) entry.jobId = jobId;

    entry.auth = this.authForm(req.headers.authorization);
    if (entry.auth !== "bearer" && entry.auth !== "raw") throw new HttpError(401, "Unauthorized");
    if (!this.workers.has(endpointId)) throw new HttpError(404, `endpoint ${endpointId} not found`);
    if (!OPS.has(opName)) throw new HttpError(404, `unknown operation ${opName}`);
    const op = opName as FakeOp;
    entry.op = op;
    if (req.method !== METHODS[op]) throw new HttpError(405, `${op} expects ${METHODS[op]}`);
    const needsId = op !== "run" && op !== "runsync" && op !== "purge-queue" && op !== "health";
    if (needsId !== (jobId !== undefined)) throw new HttpError(404, "not found");

    const limit = op === "runsync" ? this.maxRunsyncBodyBytes : this.maxRunBodyBytes;
    const raw = req.method === "POST" ? await readBody(req, limit) : Buffer.alloc(0);
    if (op === "run" || op === "runsync") entry.body = parseJson(raw);

    const failure = this.injected.find((candidate) => candidate.op === op && (candidate.times ?? 1) > 0);
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.reset) {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = failure.retryAfterS === undefined ? {} : { "retry-after": String(failure.retryAfterS) };
      this.send(res, entry, failure.status ?? 500, { error: "injected failure" }, headers);
      return;
    }

    switch (op) {
      case "run":
      case "runsync":
        return this.submit(res, entry, endpointId, op, url);
      case "status":
        return this.statusOp(res, entry, jobId as string, url);
      case "status-sync":
        return this.statusSync(res, entry, jobId as string, url);
      case "stream":
        return this.streamOp(res, entry, jobId as string);
      case "cancel":
        return this.cancelOp(res, entry, jobId as string);
      case "retry":
        return this.retryOp(res, entry, jobId as string);
      case "purge-queue":
        return this.purgeQueue(res, entry, endpointId);
      case "health":
        return this.health(res, entry, endpointId);
    }
  }

  private authForm(header: string | undefined): FakeAuthForm {
    if (header === undefined || header === "") return "missing";
    if (header === `Bearer ${this.apiKey}`) return "bearer";
    if (header === this.apiKey) return "raw";
    return "invalid";
  }

  private async submit(res: ServerResponse, entry: FakeRequestLogEntry, endpointId: string, op: "run" | "runsync", url: URL) {
    const body = entry.body;
    if (body === undefined) throw new HttpError(400, "request body must be JSON");
    if (!isRecord(body) || !isRecord(body.input)) throw new HttpError(400, "input is required and must be an object");
    const policy = body.policy === undefined ? {} : body.policy;
    if (!isRecord(policy)) throw new HttpError(400, "policy must be an object");
    const executionTimeout = policy.executionTimeout ?? this.defaultExecutionTimeoutMs;
    if (typeof executionTimeout !== "number" || !(executionTimeout > 5000)) {
      throw new HttpError(400, "policy.executionTimeout must be a number of milliseconds above 5000");
    }
    const ttl = policy.ttl ?? this.defaultTtlMs;
    if (typeof ttl !== "number" || ttl < 10_000 || ttl > WEEK_MS) {
      throw new HttpError(400, "policy.ttl must be between 10000 ms and one week");
    }
    if (policy.lowPriority !== undefined && typeof policy.lowPriority !== "boolean") {
      throw new HttpError(400, "policy.lowPriority must be a boolean");
    }
    if (body.webhook !== undefined && (typeof body.webhook !== "string" || !/^https?:\/\//.test(body.webhook))) {
      throw new HttpError(400, "webhook must be an http(s) URL");
    }
    const state = this.endpoint(endpointId);
    if (state.queue.length >= this.queueLimit) {
      const headers: Record<string, string> = this.retryAfterS === null ? {} : { "retry-after": String(this.retryAfterS) };
      this.send(res, entry, 429, { error: "too many requests: the endpoint queue is full" }, headers);
      return;
    }

    const job: FakeJob = {
      id: op === "runsync" ? `sync-${randomUUID()}` : `${randomUUID()}-u1`,
      endpointId,
      input: body.input,
      ...(typeof body.webhook === "string" ? { webhook: body.webhook } : {}),
      executionTimeout,
      ttl,
      lowPriority: policy.lowPriority === true,
      sync: op === "runsync",
      status: "IN_QUEUE",
      createdAt: this.now(),
      chunks: [],
      chunkCursor: 0,
      retainMs: op === "runsync" ? this.retention.runsyncMs : this.retention.runMs,
      attempt: 0,
      timers: new Set(),
    };
    entry.jobId = job.id;
    this.jobs.set(job.id, job);
    this.enqueue(job);

    if (op === "run") {
      this.send(res, entry, 200, { id: job.id, status: job.status });
      return;
    }
    await this.waitUntilTerminal(job, clampWait(url.searchParams.get("wait")));
    this.send(res, entry, 200, TERMINAL.has(job.status) ? this.jobObject(job) : { id: job.id, status: job.status });
  }

  private statusOp(res: ServerResponse, entry: FakeRequestLogEntry, jobId: string, url: URL): void {
    const job = this.lookup(jobId);
    const ttl = Number(url.searchParams.get("ttl"));
    if (url.searchParams.has("ttl") && Number.isFinite(ttl) && ttl >= 0) {
      job.retainMs = Math.min(job.retainMs, ttl);
      if (job.finishedAt !== undefined) job.retainUntil = job.finishedAt + job.retainMs;
    }
    this.send(res, entry, 200, this.jobObject(job));
  }

  private async statusSync(res: ServerResponse, entry: FakeRequestLogEntry, jobId: string, url: URL): Promise<void> {
    const job = this.lookup(jobId);
    await this.waitUntilTerminal(job, clampWait(url.searchParams.get("wait")));
    this.send(res, entry, 200, this.jobObject(this.lookup(jobId)));
  }

  private async streamOp(res: ServerResponse, entry: FakeRequestLogEntry, jobId: string): Promise<void> {
    let job = this.lookup(jobId);
    // Hold the request briefly so clients that loop without sleeping (runpod-sdk) do not spin.
    const deadline = performance.now() + this.streamHoldRealMs;
    while (job.chunkCursor >= job.chunks.length && !TERMINAL.has(job.status) && performance.now() < deadline) {
      await this.nextChange(deadline - performance.now());
      job = this.lookup(jobId);
    }
    const fresh = job.chunks.slice(job.chunkCursor);
    job.chunkCursor = job.chunks.length;
    this.send(res, entry, 200, { status: job.status, stream: fresh.map((output) => ({ output })) });
  }

  private cancelOp(res: ServerResponse, entry: FakeRequestLogEntry, jobId: string): void {
    const job = this.lookup(jobId);
    this.finish(job, "CANCELLED", {});
    const body: Record<string, unknown> = { id: job.id, status: job.status };
    Object.assign(body, this.timings(job));
    this.send(res, entry, 200, body);
  }

  private retryOp(res: ServerResponse, entry: FakeRequestLogEntry, jobId: string): void {
    const job = this.lookup(jobId);
    if (job.status !== "FAILED" && job.status !== "TIMED_OUT") {
      throw new HttpError(400, `job ${job.id} is ${job.status}; only FAILED or TIMED_OUT jobs can be retried`);
    }
    job.attempt++;
    job.status = "IN_QUEUE";
    job.createdAt = this.now();
    for (const key of ["startedAt", "finishedAt", "output", "error", "workerId", "retainUntil", "abort"] as const) {
      delete job[key];
    }
    job.chunks = [];
    job.chunkCursor = 0;
    this.endpoint(job.endpointId).retried++;
    this.enqueue(job);
    this.send(res, entry, 200, { id: job.id, status: job.status });
  }

  private purgeQueue(res: ServerResponse, entry: FakeRequestLogEntry, endpointId: string): void {
    const state = this.endpoint(endpointId);
    const queued = [...state.queue];
    let removed = 0;
    for (const id of queued) {
      const job = this.jobs.get(id);
      if (job && job.status === "IN_QUEUE" && this.finish(job, "CANCELLED", {})) removed++;
    }
    state.queue.length = 0;
    this.send(res, entry, 200, { removed, status: "completed" });
  }

  private health(res: ServerResponse, entry: FakeRequestLogEntry, endpointId: string): void {
    const state = this.endpoint(endpointId);
    let inQueue = 0;
    let inProgress = 0;
    for (const job of this.jobs.values()) {
      if (job.endpointId !== endpointId) continue;
      if (job.status === "IN_QUEUE") inQueue++;
      if (job.status === "IN_PROGRESS") inProgress++;
    }
    const initializing = [...state.active].filter((id) => this.jobs.get(id)?.status === "IN_QUEUE").length;
    const idle = Math.max(0, this.workersMax - state.active.size);
    this.send(res, entry, 200, {
      jobs: { completed: state.completed, failed: state.failed, inProgress, inQueue, retried: state.retried },
      workers: { idle, initializing, ready: idle, running: inProgress, throttled: 0, unhealthy: 0 },
    });
  }

  private serveStored(res: ServerResponse, entry: FakeRequestLogEntry, token: string): void {
    const file = this.files.get(token);
    if (!file) throw new HttpError(404, "no such file");
    entry.status = 200;
    if (!file.omitContentLength) {
      res.writeHead(200, { "content-type": file.mediaType, "content-length": String(file.bytes.byteLength) });
      res.end(file.bytes);
      return;
    }
    // Chunked transfer: the client only learns the size while reading.
    res.writeHead(200, { "content-type": file.mediaType });
    for (let offset = 0; offset < file.bytes.byteLength; offset += 16 * 1024) {
      res.write(file.bytes.subarray(offset, offset + 16 * 1024));
    }
    res.end();
  }

  private send(
    res: ServerResponse,
    entry: FakeRequestLogEntry,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    entry.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  // ---- jobs -------------------------------------------------------------------------------------------

  private endpoint(endpointId: string): EndpointState {
    let state = this.endpoints.get(endpointId);
    if (!state) {
      state = { queue: [], active: new Set(), completed: 0, failed: 0, retried: 0 };
      this.endpoints.set(endpointId, state);
    }
    return state;
  }

  /** The job, or a 404 when unknown or past its retention (then it is forgotten, as RunPod does). */
  private lookup(jobId: string): FakeJob {
    const job = this.jobs.get(jobId);
    if (job && job.retainUntil !== undefined && this.now() > job.retainUntil) {
      this.jobs.delete(jobId);
      throw new HttpError(404, `request ${jobId} does not exist`);
    }
    if (!job) throw new HttpError(404, `request ${jobId} does not exist`);
    return job;
  }

  private enqueue(job: FakeJob): void {
    this.endpoint(job.endpointId).queue.push(job.id);
    this.jobTimer(job, job.ttl, () => {
      if (this.ttlMode === "queue" && job.status !== "IN_QUEUE") return;
      this.finish(job, "TIMED_OUT", {});
    });
    this.pump(job.endpointId);
    this.notify();
  }

  private pump(endpointId: string): void {
    if (this.paused || this.closed) return;
    const state = this.endpoint(endpointId);
    while (state.active.size < this.workersMax && state.queue.length > 0) {
      const job = this.jobs.get(state.queue.shift() as string);
      if (!job || job.status !== "IN_QUEUE") continue;
      state.active.add(job.id);
      const attempt = job.attempt;
      this.jobTimer(job, this.queueDelayMs, () => this.start(job, attempt));
    }
  }

  private start(job: FakeJob, attempt: number): void {
    if (job.status !== "IN_QUEUE" || job.attempt !== attempt) return;
    job.status = "IN_PROGRESS";
    job.startedAt = this.now();
    job.workerId = `fake-${job.endpointId}-w${++this.workerCounter}`;
    job.abort = new AbortController();
    this.jobTimer(job, job.executionTimeout, () => this.finish(job, "TIMED_OUT", {}));
    this.notify();
    void this.execute(job, attempt, job.abort.signal);
  }

  private async execute(job: FakeJob, attempt: number, signal: AbortSignal): Promise<void> {
    const current = () => job.attempt === attempt && job.status === "IN_PROGRESS" && !signal.aborted;
    const worker = this.workers.get(job.endpointId);
    const ctx: FakeWorkerContext = {
      jobId: job.id,
      endpointId: job.endpointId,
      input: job.input,
      signal,
      origin: this.origin,
      progress: (update) => {
        if (!current()) return;
        job.output = update;
        this.notify();
      },
      sleep: (ms) => this.sleepScaled(ms, signal),
      serveFile: (bytes, mediaType, options) => this.serveFile(bytes, mediaType, options),
    };
    try {
      if (!worker) throw new Error(`no worker for endpoint ${job.endpointId}`);
      const produced = worker(ctx);
      let result: unknown;
      if (isAsyncIterable(produced)) {
        const aggregate: unknown[] = [];
        for await (const chunk of produced) {
          if (!current()) return;
          job.chunks.push(chunk);
          aggregate.push(chunk);
          this.notify();
        }
        result = aggregate;
      } else {
        result = await produced;
      }
      if (!current()) return;
      if (isRecord(result) && "error" in result) {
        // rp_job.run_job: the `error` value becomes the job error, the rest of the dict stays as output.
        const { error, refresh_worker: _refresh, ...rest } = result;
        this.finish(job, "FAILED", {
          error: typeof error === "string" ? error : JSON.stringify(error),
          ...(Object.keys(rest).length > 0 ? { output: rest } : {}),
        });
        return;
      }
      if (isRecord(result) && "refresh_worker" in result) {
        const { refresh_worker: _refresh, ...rest } = result;
        result = rest;
      }
      this.finish(job, "COMPLETED", { output: result });
    } catch (error) {
      if (!current()) return;
      // rp_job.run_job: an exception becomes a JSON-encoded error string.
      const err = error instanceof Error ? error : new Error(String(error));
      this.finish(job, "FAILED", {
        error: JSON.stringify({
          error_type: `<class '${err.name}'>`,
          error_message: err.message,
          error_traceback: err.stack ?? "",
          hostname: "fake-runpod",
          worker_id: job.workerId,
          runpod_version: "1.7.9",
        }),
      });
    }
  }

  /** Moves a job to a terminal state once; false when it already was terminal. */
  private finish(job: FakeJob, status: FakeJobStatus, fields: { output?: unknown; error?: string }): boolean {
    if (TERMINAL.has(job.status)) return false;
    const state = this.endpoint(job.endpointId);
    job.status = status;
    job.finishedAt = this.now();
    if (status !== "COMPLETED" && !("output" in fields)) delete job.output;
    if ("output" in fields) job.output = fields.output;
    if (fields.error !== undefined) job.error = fields.error;
    for (const timer of job.timers) clearTimeout(timer);
    job.timers.clear();
    job.abort?.abort(new Error(`job ${status}`));
    const queued = state.queue.indexOf(job.id);
    if (queued >= 0) state.queue.splice(queued, 1);
    state.active.delete(job.id);
    if (status === "COMPLETED") state.completed++;
    if (status === "FAILED") state.failed++;
    job.retainUntil = job.finishedAt + job.retainMs;
    this.notify();
    this.pump(job.endpointId);
    if (job.webhook) void this.deliverWebhook(job, job.webhook, this.jobObject(job));
    return true;
  }

  private async deliverWebhook(job: FakeJob, url: string, body: unknown): Promise<void> {
    for (let attempt = 1; attempt <= this.webhook.attempts && !this.closed; attempt++) {
      const delivery: FakeWebhookDelivery = { jobId: job.id, url, attempt, body };
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.webhook.timeoutRealMs),
        });
        await response.arrayBuffer();
        delivery.status = response.status;
      } catch (error) {
        delivery.error = error instanceof Error ? error.message : String(error);
      }
      this.webhookDeliveries.push(delivery);
      this.notify();
      if (delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300) return;
      if (attempt < this.webhook.attempts) await this.sleepScaled(this.webhook.spacingMs).catch(() => undefined);
    }
  }

  private jobObject(job: FakeJob): Record<string, unknown> {
    const body: Record<string, unknown> = { id: job.id, status: job.status, ...this.timings(job) };
    if (job.output !== undefined) body.output = job.output;
    if (job.error !== undefined) body.error = job.error;
    if (job.workerId !== undefined) body.workerId = job.workerId;
    return body;
  }

  private timings(job: FakeJob): { delayTime?: number; executionTime?: number } {
    const timings: { delayTime?: number; executionTime?: number } = {};
    if (job.startedAt !== undefined) timings.delayTime = Math.round(job.startedAt - job.createdAt);
    if (job.startedAt !== undefined && job.finishedAt !== undefined) {
      timings.executionTime = Math.round(job.finishedAt - job.startedAt);
    }
    return timings;
  }

  private async waitUntilTerminal(job: FakeJob, waitMs: number): Promise<void> {
    const deadline = performance.now() + waitMs * this.timeScale;
    while (!TERMINAL.has(job.status) && !this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.nextChange(left);
    }
  }

  // ---- time -------------------------------------------------------------------------------------------

  private jobTimer(job: FakeJob, runpodMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      job.timers.delete(timer);
      if (!this.closed) fn();
    }, runpodMs * this.timeScale);
    job.timers.add(timer);
  }

  private sleepScaled(runpodMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        signal?.removeEventListener("abort", onAbort);
        if (this.closed) reject(new Error("fake RunPod closed"));
        else resolve();
      }, runpodMs * this.timeScale);
      const onAbort = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        reject(signal?.reason);
      };
      this.timers.add(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private notify(): void {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Resolves on the next job change or after `realMs`. */
  private nextChange(realMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, realMs));
      this.listeners.add(done);
    });
  }
}

export async function startFakeRunpod(options: FakeRunpodOptions = {}): Promise<FakeRunpod> {
  return new FakeRunpod(options).listen();
}

// ---- helpers ------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** `?wait=` in RunPod ms: 1000…300000, default 90 s (notes §1.2). */
function clampWait(value: string | null): number {
  const wait = value === null ? 90_000 : Number(value);
  if (!Number.isFinite(wait)) return 90_000;
  return Math.min(300_000, Math.max(1000, wait));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > limit) throw new HttpError(413, `request body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

// ---- worker fixtures ----------------------------------------------------------------------------------
// Deterministic outputs derived from input.prompt, in each of oTo's per-kind output shapes
// (docs/generation-outputs.md), as base64 or as URLs served by the fake itself.

type Delivery = "base64" | "url";

function promptOf(ctx: FakeWorkerContext): string {
  const input = ctx.input as { prompt?: unknown };
  return typeof input.prompt === "string" ? input.prompt : "";
}

/** The deterministic seed fixtures derive from a prompt (FNV-1a). */
export function seedOf(text: string): number {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.codePointAt(0)!, 16777619) >>> 0;
  return hash;
}

function deliver(ctx: FakeWorkerContext, as: Delivery, bytes: Uint8Array, mediaType: string, name: string): string {
  return as === "url" ? ctx.serveFile(bytes, mediaType, { name }) : Buffer.from(bytes).toString("base64");
}

export const fixtures = {
  /** `{text, format}`; reports progress on the way when `steps` > 0. */
  text(options: { format?: "markdown" | "plain"; steps?: number; stepMs?: number } = {}): FakeWorker {
    return async (ctx) => {
      const steps = options.steps ?? 0;
      for (let step = 1; step <= steps; step++) {
        ctx.progress({ progress: step / (steps + 1), message: `step ${step} of ${steps}` });
        await ctx.sleep(options.stepMs ?? 1000);
      }
      return { text: fixtureText(promptOf(ctx)), format: options.format ?? "markdown" };
    };
  },

  /** vLLM's native shape as a generator: each yield is a batch and a /stream chunk; the output is the list. */
  vllm(): FakeWorker {
    return async function* (ctx: FakeWorkerContext) {
      const words = fixtureText(promptOf(ctx)).split(/(?<= )/);
      let produced = 0;
      for (let index = 0; index < words.length; index += 3) {
        const tokens = words.slice(index, index + 3);
        produced += tokens.length;
        yield { choices: [{ tokens }], usage: { input: promptOf(ctx).split(" ").length, output: produced } };
      }
    };
  },

  /** ComfyUI worker shape: `{images: [{filename, type, data}]}` with real PNGs. */
  image(options: { as?: Delivery; count?: number; size?: number; omitContentLength?: boolean } = {}): FakeWorker {
    return (ctx) => ({
      images: Array.from({ length: options.count ?? 1 }, (_, index) => {
        const filename = `ComfyUI_${String(index + 1).padStart(5, "0")}_.png`;
        const png = makePng(options.size ?? 8, options.size ?? 8, seedOf(promptOf(ctx)) + index);
        const data =
          options.as === "url"
            ? ctx.serveFile(png, "image/png", { name: filename, omitContentLength: options.omitContentLength ?? false })
            : Buffer.from(png).toString("base64");
        return { filename, type: options.as === "url" ? "s3_url" : "base64", data };
      }),
    });
  },

  /** `{audio, format, sample_rate}` (or the community `{audio_base64, sample_rate}` shape) with a real WAV. */
  voice(options: { as?: Delivery; shape?: "audio" | "audio_base64"; durationMs?: number } = {}): FakeWorker {
    return (ctx) => {
      const sampleRate = 16_000;
      const wav = makeWav(options.durationMs ?? 200, sampleRate, 220 + (seedOf(promptOf(ctx)) % 440));
      if (options.shape === "audio_base64") {
        return { audio_base64: Buffer.from(wav).toString("base64"), sample_rate: sampleRate };
      }
      return { audio: deliver(ctx, options.as ?? "base64", wav, "audio/wav", "voice.wav"), format: "wav", sample_rate: sampleRate };
    };
  },

  /** `{video, format}` or AnimateDiff's `{filename, data}`. */
  video(options: { as?: Delivery; shape?: "video" | "animatediff" } = {}): FakeWorker {
    return (ctx) => {
      const mp4 = makeMp4Container(promptOf(ctx));
      if (options.shape === "animatediff") return { filename: "animation.mp4", data: Buffer.from(mp4).toString("base64") };
      return { video: deliver(ctx, options.as ?? "base64", mp4, "video/mp4", "video.mp4"), format: "mp4" };
    };
  },

  /** Returns exactly `output`, for contract cases. */
  returns(output: unknown): FakeWorker {
    return () => output;
  },

  /** The handler raises: FAILED with the JSON-encoded error string. */
  throws(message: string, errorName = "ValueError"): FakeWorker {
    return () => {
      const error = new Error(message);
      error.name = errorName;
      throw error;
    };
  },

  /** The handler returns `{error, details}`: FAILED with `error` and the details left in output. */
  returnsError(error: string, details?: unknown[]): FakeWorker {
    return () => (details === undefined ? { error } : { error, details });
  },

  /** Works for `ms` RunPod milliseconds (reporting progress), then hands over to `then`. */
  slow(ms: number, then: FakeWorker = fixtures.text()): FakeWorker {
    return async (ctx) => {
      ctx.progress(0.1);
      await ctx.sleep(ms);
      return then(ctx);
    };
  },
};

export function fixtureText(prompt: string): string {
  return `# ${prompt || "Untitled"}\n\nA fixture answer from the fake RunPod worker for "${prompt}".\n`;
}

// ---- tiny media encoders (real, decodable files) -------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + data.byteLength);
  return out;
}

/** An RGB PNG whose pixels derive from `seed`. */
export function makePng(width: number, height: number, seed: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const rows = Buffer.alloc((width * 3 + 1) * height);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    rows[row] = 0; // filter: none
    for (let i = 1; i <= width * 3; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      rows[row + i] = state >>> 24;
    }
  }
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", deflateSync(rows)),
      pngChunk("IEND", new Uint8Array(0)),
    ]),
  );
}

/** 16-bit mono PCM WAV with a sine tone. */
export function makeWav(durationMs: number, sampleRate: number, frequency: number): Uint8Array {
  const samples = Math.round((durationMs / 1000) * sampleRate);
  const out = Buffer.alloc(44 + samples * 2);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * 12_000), 44 + i * 2);
  }
  return new Uint8Array(out);
}

/**
 * An ISO-BMFF (MP4) container: `ftyp` + `mdat` carrying the prompt. Enough for transport tests and type
 * sniffing; it holds no video track, so it is not playable.
 */
export function makeMp4Container(prompt: string): Uint8Array {
  const box = (type: string, payload: Buffer) => {
    const out = Buffer.alloc(8 + payload.byteLength);
    out.writeUInt32BE(8 + payload.byteLength, 0);
    out.write(type, 4, "ascii");
    payload.copy(out, 8);
    return out;
  };
  const ftyp = box("ftyp", Buffer.concat([Buffer.from("isom", "ascii"), Buffer.from([0, 0, 2, 0]), Buffer.from("isomiso2mp41", "ascii")]));
  return new Uint8Array(Buffer.concat([ftyp, box("mdat", Buffer.from(`fixture:${prompt}`, "utf8"))]));
}
