// GenerationProvider for RunPod serverless endpoints (issue 3). submit → POST /run, status → GET /status
// (outputs fetched and size-checked at once, since RunPod keeps them only 30 minutes), cancel → POST /cancel.
// The endpoint comes from the agent; externalId = `${endpointId}:${runpodJobId}` so status works after a restart.
import { Agent, type Dispatcher } from "undici";
import type {
  GeneratedFile,
  GenerationInputFile,
  GenerationProvider,
  GenerationRequest,
  ProviderStatus,
  SubmitOptions,
} from "../provider.js";
import { RunPodApi, type RunPodJob } from "./api-client.js";
import { OutputRejectedError, RunPodError } from "./errors.js";
import { readableRunpodError } from "./failure.js";
import { interpretRunpodOutput, type OutputPart } from "./output-contract.js";
import { checkOutputUrl, decodeBase64Output, downloadOutput, type DownloadPolicy } from "./output-fetch.js";
import { realSleep, type BackoffPolicy, type Sleep } from "./retry.js";

export const RUNPOD_DEFAULT_BASE_URL = "https://api.runpod.ai/v2";

export interface RunPodProviderOptions {
  apiKey: string;
  /** Default https://api.runpod.ai/v2; tests point it at the local fake. */
  baseUrl?: string;
  /** Per output file, enforced before decoding and while downloading. Default 50 MB. */
  maxOutputBytes?: number;
  /** Default 16. */
  maxOutputFiles?: number;
  /** Hostnames URL outputs may come from (`*.example.com` allowed). Default: none, so only base64 outputs. */
  allowedOutputHosts?: readonly string[];
  /** policy.executionTimeout sent with every job (ms, must be > 5000). Default 600 000 (RunPod's default). */
  executionTimeoutMs?: number;
  /** policy.ttl sent with every job (ms, 10 000 … 7 days). Default 86 400 000. */
  ttlMs?: number;
  /** One RunPod API exchange. Default 30 s. */
  requestTimeoutMs?: number;
  /** TCP/TLS connect. Default 10 s. */
  connectTimeoutMs?: number;
  /** One output download. Default 120 s. */
  downloadTimeoutMs?: number;
  /** Tries per API call or download, the first included. Default 4. */
  maxAttempts?: number;
  /** Default 500 ms doubling up to 10 s, with jitter. */
  backoff?: BackoffPolicy;
  /** Longest Retry-After honoured on 429. Default 30 s. */
  maxRetryAfterMs?: number;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
  /** An undici dispatcher to use instead of the provider's own Agent (the provider will not close it). */
  dispatcher?: Dispatcher;
  /**
   * Lets the caller send an input creation as a URL (e.g. a signed oTo link) instead of inline base64.
   * Return undefined to inline the bytes.
   */
  resolveInputUrl?: (file: GenerationInputFile, request: GenerationRequest) => Promise<string | undefined>;
}

const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function formatRunpodExternalId(endpointId: string, runpodJobId: string): string {
  return `${endpointId}:${runpodJobId}`;
}

export function parseRunpodExternalId(externalId: string): { endpointId: string; runpodJobId: string } {
  const colon = externalId.indexOf(":");
  const endpointId = externalId.slice(0, colon);
  const runpodJobId = externalId.slice(colon + 1);
  if (colon <= 0 || runpodJobId === "" || !ENDPOINT_ID.test(endpointId)) {
    throw new RunPodError(`"${externalId}" is not a RunPod external id (endpointId:jobId)`, "bad_request", {
      retryable: false,
    });
  }
  return { endpointId, runpodJobId };
}

export class RunPodProvider implements GenerationProvider {
  readonly name = "runpod" as const;

  private readonly api: RunPodApi;
  private readonly download: DownloadPolicy;
  private readonly ownedAgent: Agent | undefined;
  private readonly maxOutputBytes: number;
  private readonly maxOutputFiles: number;
  private readonly allowedOutputHosts: readonly string[];
  private readonly executionTimeoutMs: number;
  private readonly ttlMs: number;
  private readonly resolveInputUrl: RunPodProviderOptions["resolveInputUrl"];

  constructor(options: RunPodProviderOptions) {
    if (!options.apiKey) throw new Error("RunPodProvider needs an apiKey");
    this.maxOutputBytes = options.maxOutputBytes ?? 50 * 1024 * 1024;
    this.maxOutputFiles = options.maxOutputFiles ?? 16;
    this.allowedOutputHosts = options.allowedOutputHosts ?? [];
    this.executionTimeoutMs = options.executionTimeoutMs ?? 600_000;
    this.ttlMs = options.ttlMs ?? 86_400_000;
    if (this.executionTimeoutMs <= 5000) throw new Error("executionTimeoutMs must be more than 5000 (RunPod's minimum)");
    if (this.ttlMs < 10_000 || this.ttlMs > 7 * 86_400_000) throw new Error("ttlMs must be between 10 000 ms and 7 days");
    this.resolveInputUrl = options.resolveInputUrl;

    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.ownedAgent = options.dispatcher
      ? undefined
      : new Agent({ connect: { timeout: connectTimeoutMs }, headersTimeout: requestTimeoutMs, bodyTimeout: requestTimeoutMs });
    const dispatcher = options.dispatcher ?? (this.ownedAgent as Agent);
    const sleep = options.sleep ?? realSleep;
    const random = options.random ?? Math.random;
    const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    const backoff = options.backoff ?? { baseMs: 500, capMs: 10_000 };

    this.api = new RunPodApi({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl ?? RUNPOD_DEFAULT_BASE_URL,
      dispatcher,
      requestTimeoutMs,
      maxAttempts,
      backoff,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      // Base64 outputs arrive inline in /status: room for the files plus the JSON around them.
      maxResponseBytes: Math.ceil((this.maxOutputBytes * 4) / 3) * 2 + 1024 * 1024,
      sleep,
      now: options.now ?? Date.now,
      random,
    });
    this.download = {
      allowedHosts: this.allowedOutputHosts,
      maxBytes: this.maxOutputBytes,
      dispatcher,
      timeoutMs: options.downloadTimeoutMs ?? 120_000,
      maxAttempts,
      backoff,
      sleep,
      random,
    };
  }

  async submit(request: GenerationRequest, options: SubmitOptions = {}): Promise<{ externalId: string }> {
    const endpointId = request.agent.endpointId;
    if (!endpointId || !ENDPOINT_ID.test(endpointId)) {
      throw new RunPodError(
        `agent "${request.agent.name}" has no valid RunPod endpoint id (got ${JSON.stringify(endpointId ?? null)})`,
        "bad_request",
        { retryable: false },
      );
    }
    const input: Record<string, unknown> = {
      kind: request.kind,
      prompt: request.prompt,
      parameters: request.parameters,
      inputs: await Promise.all(request.inputs.map((file) => this.describeInput(file, request))),
    };
    if (request.agent.model) input.model = request.agent.model;
    const job = await this.api.run(
      endpointId,
      {
        input,
        ...(options.webhookUrl ? { webhook: options.webhookUrl } : {}),
        policy: { executionTimeout: this.executionTimeoutMs, ttl: this.ttlMs },
      },
      options.signal,
    );
    return { externalId: formatRunpodExternalId(endpointId, job.id) };
  }

  async status(externalId: string, signal?: AbortSignal): Promise<ProviderStatus> {
    const { endpointId, runpodJobId } = parseRunpodExternalId(externalId);
    let job: RunPodJob | undefined;
    try {
      job = await this.api.status(endpointId, runpodJobId, signal);
    } catch (error) {
      if (error instanceof RunPodError && error.code === "payload_too_large") {
        return { state: "failed", error: `${error.message}: the outputs exceed oTo's output size limit`, retryable: false };
      }
      throw error;
    }
    if (!job) return { state: "expired" };

    switch (job.status) {
      case "IN_QUEUE":
        return { state: "queued" };
      case "IN_PROGRESS":
      case "RUNNING": // listed in RunPod's docs, reportedly never returned
        return { state: "running", ...progressOf(job.output) };
      case "COMPLETED":
        return this.completed(endpointId, job, signal);
      case "FAILED":
        return { state: "failed", error: readableRunpodError(job.error, job.output), retryable: false };
      case "CANCELLED":
        return { state: "canceled" };
      case "TIMED_OUT":
        return { state: "timed_out" };
      default:
        throw new RunPodError(`RunPod returned an unknown job status "${job.status}"`, "protocol", { retryable: true });
    }
  }

  async cancel(externalId: string): Promise<void> {
    const { endpointId, runpodJobId } = parseRunpodExternalId(externalId);
    // 404 means RunPod no longer knows the job: nothing left to cancel.
    await this.api.cancel(endpointId, runpodJobId);
  }

  /** Closes the provider's own connection pool (not a dispatcher passed in). */
  async close(): Promise<void> {
    await this.ownedAgent?.close();
  }

  private async describeInput(file: GenerationInputFile, request: GenerationRequest): Promise<Record<string, unknown>> {
    const described: Record<string, unknown> = { creation_id: file.creationId, media_type: file.mediaType };
    const url = this.resolveInputUrl ? await this.resolveInputUrl(file, request) : undefined;
    if (url) described.url = url;
    else described.data = Buffer.from(file.bytes).toString("base64");
    return described;
  }

  private async completed(endpointId: string, job: RunPodJob, signal?: AbortSignal): Promise<ProviderStatus> {
    // A handler's {error: …} normally turns the job FAILED; be defensive if a COMPLETED output still carries one.
    if (job.output && typeof job.output === "object" && !Array.isArray(job.output) && "error" in job.output) {
      const { error } = job.output as { error: unknown };
      if (error !== undefined && error !== null && error !== "") {
        return { state: "failed", error: readableRunpodError(error, job.output), retryable: false };
      }
    }
    const contract = interpretRunpodOutput(job.output);
    if (!contract.ok) return { state: "failed", error: contract.error, retryable: false };
    if (contract.parts.length > this.maxOutputFiles) {
      return {
        state: "failed",
        error: `the RunPod worker returned ${contract.parts.length} files, over the limit of ${this.maxOutputFiles}`,
        retryable: false,
      };
    }
    const base: Record<string, string> = {
      provider: "runpod",
      runpod_endpoint_id: endpointId,
      runpod_job_id: job.id,
    };
    if (job.workerId) base.runpod_worker_id = job.workerId;
    if (job.executionTime !== undefined) base.runpod_execution_time_ms = String(job.executionTime);
    if (job.delayTime !== undefined) base.runpod_delay_time_ms = String(job.delayTime);

    const outputs: GeneratedFile[] = [];
    try {
      // One at a time: each file may be up to maxOutputBytes in memory.
      for (const [index, part] of contract.parts.entries()) {
        outputs.push(await this.fetchPart(part, index, base, signal));
      }
    } catch (error) {
      if (error instanceof OutputRejectedError) return { state: "failed", error: error.message, retryable: false };
      throw error;
    }
    return { state: "succeeded", outputs };
  }

  private async fetchPart(
    part: OutputPart,
    index: number,
    base: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<GeneratedFile> {
    const label = `output ${index + 1} (${part.kind})`;
    const metadata = { ...base, ...part.metadata, output_kind: part.kind };
    const file = (bytes: Uint8Array, source: string): GeneratedFile => ({
      bytes,
      mediaType: part.mediaType,
      filename: part.filename,
      metadata: { ...metadata, output_source: source },
    });
    switch (part.source.type) {
      case "inline": {
        const bytes = new TextEncoder().encode(part.source.text);
        if (bytes.byteLength > this.maxOutputBytes) {
          throw new OutputRejectedError(`${label} is ${bytes.byteLength} bytes, over the ${this.maxOutputBytes}-byte output limit`);
        }
        return file(bytes, "inline");
      }
      case "base64":
        return file(decodeBase64Output(part.source.data, this.maxOutputBytes, label), "base64");
      case "url": {
        const url = checkOutputUrl(part.source.url, this.allowedOutputHosts);
        const downloaded = await downloadOutput(url, this.download, signal);
        const generated = file(downloaded.bytes, "url");
        // The path only: presigned query strings are credentials.
        generated.metadata.source_url = `${url.origin}${url.pathname}`;
        return generated;
      }
    }
  }
}

/** IN_PROGRESS output holds the worker's latest progress_update: a number, {progress, message} or a string. */
function progressOf(output: unknown): { progress?: number; message?: string } {
  if (typeof output === "number") return fraction(output);
  if (typeof output === "string" && output.trim() !== "") return { message: output.trim().slice(0, 200) };
  if (output && typeof output === "object" && !Array.isArray(output)) {
    const record = output as Record<string, unknown>;
    const result: { progress?: number; message?: string } =
      typeof record.progress === "number" ? fraction(record.progress) : {};
    if (typeof record.message === "string" && record.message.trim() !== "") result.message = record.message.trim().slice(0, 200);
    return result;
  }
  return {};
}

/** Progress is reported as a fraction 0…1; values in (1, 100] are read as percentages. */
function fraction(value: number): { progress?: number } {
  if (!Number.isFinite(value) || value < 0) return {};
  const scaled = value > 1 ? value / 100 : value;
  return { progress: Math.min(1, scaled) };
}
