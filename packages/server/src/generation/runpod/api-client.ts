// Thin client for RunPod's serverless queue API (/run, /status, /cancel) over undici, with the retry rules
// from notes-generation-tokens.md §1.8: reads and cancels are retried on 408/429/5xx/network errors, while
// POST /run is retried only when the request never left (connect errors) or RunPod throttled it (429),
// because /run has no idempotency key and a blind retry can start a second, paid job.
import { request, type Dispatcher } from "undici";
import { z } from "zod";
import { RunPodError } from "./errors.js";
import {
  backoffDelay,
  isConnectError,
  isNetworkError,
  parseRetryAfter,
  type BackoffPolicy,
  type Sleep,
} from "./retry.js";

/** RunPod rejects /run bodies over 10 MB (notes §1.2); we refuse them before sending. */
export const RUNPOD_RUN_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

const jobSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  delayTime: z.number().optional(),
  executionTime: z.number().optional(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  workerId: z.string().optional(),
});

export type RunPodJob = z.infer<typeof jobSchema>;

export interface RunPodRunPayload {
  input: Record<string, unknown>;
  webhook?: string;
  policy?: { executionTimeout?: number; ttl?: number; lowPriority?: boolean };
}

export interface RunPodApiOptions {
  apiKey: string;
  /** e.g. https://api.runpod.ai/v2 (no trailing slash needed). */
  baseUrl: string;
  dispatcher: Dispatcher;
  /** Upper bound for one HTTP exchange, response body included. */
  requestTimeoutMs: number;
  /** Total tries per call, the first one included. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Longest Retry-After we are willing to wait for. */
  maxRetryAfterMs: number;
  /** A /status body carries base64 outputs inline, so this bounds memory per call. */
  maxResponseBytes: number;
  sleep: Sleep;
  now: () => number;
  random: () => number;
}

type RetryPolicy = "submit" | "safe";

interface RawResponse {
  statusCode: number;
  text: string;
}

export class RunPodApi {
  private readonly baseUrl: string;

  constructor(private readonly options: RunPodApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  async run(endpointId: string, payload: RunPodRunPayload, signal?: AbortSignal): Promise<RunPodJob> {
    const body = JSON.stringify(payload);
    const size = Buffer.byteLength(body);
    if (size > RUNPOD_RUN_BODY_LIMIT_BYTES) {
      throw new RunPodError(
        `RunPod /run request is ${size} bytes, over RunPod's ${RUNPOD_RUN_BODY_LIMIT_BYTES}-byte limit (input files too large)`,
        "payload_too_large",
        { retryable: false },
      );
    }
    const response = await this.call("run", "POST", `/${segment(endpointId)}/run`, body, "submit", signal);
    if (response.statusCode !== 200) throw this.failure("run", response, "submit");
    return this.parseJob("run", response.text);
  }

  /** The job, or undefined when RunPod no longer knows it (404: unknown id or result past retention). */
  async status(endpointId: string, jobId: string, signal?: AbortSignal): Promise<RunPodJob | undefined> {
    const path = `/${segment(endpointId)}/status/${segment(jobId)}`;
    const response = await this.call("status", "GET", path, undefined, "safe", signal);
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw this.failure("status", response, "safe");
    return this.parseJob("status", response.text);
  }

  /** Cancelling twice is harmless, so this uses the read retry rules. Undefined on 404. */
  async cancel(endpointId: string, jobId: string, signal?: AbortSignal): Promise<RunPodJob | undefined> {
    const path = `/${segment(endpointId)}/cancel/${segment(jobId)}`;
    const response = await this.call("cancel", "POST", path, "{}", "safe", signal);
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw this.failure("cancel", response, "safe");
    return this.parseJob("cancel", response.text);
  }

  private async call(
    op: string,
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    policy: RetryPolicy,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse> {
    const { maxAttempts, backoff, random, sleep } = this.options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: RawResponse;
      try {
        const res = await request(this.baseUrl + path, {
          method,
          body,
          signal: combined,
          dispatcher: this.options.dispatcher,
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
        });
        const text = await readBodyText(res.body, this.options.maxResponseBytes, op);
        response = { statusCode: res.statusCode, text };
        const retryable =
          res.statusCode === 429 ||
          (policy === "safe" && (res.statusCode === 408 || res.statusCode >= 500));
        if (retryable && attempt < maxAttempts) {
          const retryAfter = parseRetryAfter(res.headers["retry-after"], this.options.now());
          const delay =
            retryAfter === undefined
              ? backoffDelay(attempt - 1, backoff, random)
              : Math.min(retryAfter, this.options.maxRetryAfterMs);
          await sleep(delay, signal);
          continue;
        }
        return response;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof RunPodError) throw error;
        const timedOut = timeout.aborted;
        // A timeout on POST /run may fire after RunPod created the job, so only reads retry it.
        const retryable = policy === "safe" ? timedOut || isNetworkError(error) : isConnectError(error);
        if (retryable && attempt < maxAttempts) {
          await sleep(backoffDelay(attempt - 1, backoff, random), signal);
          continue;
        }
        throw this.transportFailure(op, error, timedOut, policy, attempt);
      }
    }
  }

  private transportFailure(
    op: string,
    error: unknown,
    timedOut: boolean,
    policy: RetryPolicy,
    attempts: number,
  ): RunPodError {
    const reason = timedOut
      ? `no answer within ${this.options.requestTimeoutMs} ms`
      : error instanceof Error
        ? error.message
        : String(error);
    const neverSent = isConnectError(error);
    const ambiguous = policy === "submit" && !neverSent;
    const message =
      `RunPod ${op} request failed after ${attempts} attempt(s): ${reason}` +
      (ambiguous ? " (not retried: the job may have been created)" : "");
    return new RunPodError(message, timedOut ? "timeout" : "network", {
      retryable: !ambiguous,
      cause: error,
    });
  }

  private failure(op: string, response: RawResponse, policy: RetryPolicy): RunPodError {
    const status = response.statusCode;
    const detail = errorDetail(response.text);
    const base = `RunPod ${op} answered HTTP ${status}${detail ? `: ${detail}` : ""}`;
    if (status === 401 || status === 403) {
      return new RunPodError(`${base} (check the RunPod API key)`, "auth", { status, retryable: false });
    }
    if (status === 404) {
      return new RunPodError(`${base} (unknown endpoint id?)`, "not_found", { status, retryable: false });
    }
    if (status === 413) return new RunPodError(base, "payload_too_large", { status, retryable: false });
    if (status === 429) return new RunPodError(base, "throttled", { status, retryable: true });
    if (status >= 500 || status === 408) {
      const ambiguous = policy === "submit";
      return new RunPodError(ambiguous ? `${base} (not retried: the job may have been created)` : base, "server_error", {
        status,
        retryable: !ambiguous,
      });
    }
    return new RunPodError(base, "bad_request", { status, retryable: false });
  }

  private parseJob(op: string, text: string): RunPodJob {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RunPodError(`RunPod ${op} answered with invalid JSON`, "protocol", { retryable: true });
    }
    const parsed = jobSchema.safeParse(json);
    if (!parsed.success) {
      throw new RunPodError(`RunPod ${op} answered an unexpected job object: ${z.prettifyError(parsed.error)}`, "protocol", {
        retryable: true,
      });
    }
    return parsed.data;
  }
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function errorDetail(text: string): string {
  if (text.trim() === "") return "";
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === "object") {
      const error = (json as { error?: unknown; message?: unknown }).error ?? (json as { message?: unknown }).message;
      if (typeof error === "string") return truncate(error, 300);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return truncate(text.trim(), 300);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

async function readBodyText(body: Dispatcher.ResponseData["body"], maxBytes: number, op: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > maxBytes) {
      body.on("error", () => undefined);
      body.destroy();
      throw new RunPodError(`RunPod ${op} response is larger than ${maxBytes} bytes`, "payload_too_large", {
        retryable: false,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
