import { OtoConnectionError, OtoTimeoutError, retryAfterSeconds } from "./errors.js";
import { sleep } from "./sleep.js";

/**
 * The retrying `fetch` handed to openapi-fetch. Retries live here rather than in middleware because
 * openapi-fetch calls this function once per logical request with a Request whose body can be read
 * only once; we read it once and build a fresh request for each attempt.
 */
export interface TransportOptions {
  baseUrl: string;
  apiKey: string | undefined;
  userAgent: string;
  timeoutMs: number;
  maxRetries: number;
  fetch: typeof fetch;
  /** First backoff delay; later ones double up to ten times this. Stripe's constants: 500 ms → 5 s. */
  retryBaseDelayMs: number;
  /** A 429 asking to wait longer than this is not retried; the caller gets OtoRateLimitError. */
  maxRetryAfterS: number;
}

/** Per-call overrides of the transport's defaults. */
export interface AttemptOptions {
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  /**
   * Hands a successful body over unread (downloads, event streams): the time limit then covers
   * the response headers only, and a connection dropped mid-body surfaces to the reader.
   */
  stream?: boolean | undefined;
}

export type RequestFetch = (request: Request) => Promise<Response>;

const RETRYABLE_STATUSES = new Set([408, 429]);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function createTransport(options: TransportOptions): (call?: AttemptOptions) => RequestFetch {
  return (call = {}) =>
    (request) =>
      send(request, {
        ...options,
        timeoutMs: call.timeoutMs ?? options.timeoutMs,
        maxRetries: call.maxRetries ?? options.maxRetries,
        stream: call.stream ?? false,
      });
}

async function send(request: Request, options: TransportOptions & { stream: boolean }): Promise<Response> {
  const callerSignal = request.signal;
  callerSignal.throwIfAborted();

  const body = request.body === null ? undefined : await request.arrayBuffer();
  const headers = new Headers(request.headers);
  headers.set("User-Agent", options.userAgent);
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  if (options.apiKey && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${options.apiKey}`);
  // One key for every attempt, so the server can tell a retry from a new request.
  if (request.method === "POST" && !headers.has("Idempotency-Key")) {
    headers.set("Idempotency-Key", globalThis.crypto.randomUUID());
  }

  for (let attempt = 1; ; attempt++) {
    const canRetry = attempt <= options.maxRetries;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
    let response: Response;
    try {
      const answer = await options.fetch(request.url, {
        method: request.method,
        headers,
        body,
        redirect: request.redirect,
        signal: AbortSignal.any([callerSignal, timeout.signal]),
      });
      if (options.stream && answer.ok) {
        clearTimeout(timer);
        return answer;
      }
      // Read the whole body inside the attempt: a connection dropped mid-body is then retried,
      // and the timeout covers the body as well as the headers.
      response = await buffered(answer);
      clearTimeout(timer);
    } catch (error) {
      clearTimeout(timer);
      if (callerSignal.aborted) throw callerSignal.reason;
      if (timeout.signal.aborted) {
        // Not retried: the server may still be working on it, and a retry would only meet
        // `idempotency_key_in_progress` or wait as long again.
        throw new OtoTimeoutError({
          status: 0,
          code: "timeout",
          title: "Timeout",
          detail: `${options.baseUrl} did not answer within ${options.timeoutMs} ms`,
          cause: error,
        });
      }
      if (!canRetry) {
        throw new OtoConnectionError({
          status: 0,
          code: "connection_error",
          title: "Connection error",
          detail: `cannot reach ${options.baseUrl}: ${networkReason(error)}`,
          cause: error,
        });
      }
      await sleep(backoffMs(attempt, options.retryBaseDelayMs), callerSignal);
      continue;
    }

    if (!canRetry || !isRetryableStatus(response.status)) return response;
    let delayMs = backoffMs(attempt, options.retryBaseDelayMs);
    if (response.status === 429) {
      const retryAfterS = retryAfterSeconds(response.headers.get("retry-after"));
      if (retryAfterS !== undefined) {
        if (retryAfterS > options.maxRetryAfterS) return response;
        delayMs = retryAfterS * 1000;
      }
    }
    await sleep(delayMs, callerSignal);
  }
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_STATUSES.has(status);
}

/** min(base·2^(n-1), 10·base), jittered by ×0.5·(1+rand), never below base. */
export function backoffMs(attempt: number, baseMs: number): number {
  const capped = Math.min(baseMs * 2 ** (attempt - 1), baseMs * 10);
  return Math.max(baseMs, capped * 0.5 * (1 + Math.random()));
}

async function buffered(response: Response): Promise<Response> {
  const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
  const copy = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

/** The most telling part of a fetch failure: undici puts the system error code in `cause`. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown };
    // undici's own codes (UND_ERR_SOCKET…) say less than their message ("other side closed").
    if (typeof code === "string" && code !== "") return code.startsWith("UND_") ? current.message : code;
    const inner: unknown = (current as { errors?: unknown[] }).errors?.[0] ?? current.cause;
    if (inner === undefined) return current.message;
    current = inner;
  }
  return String(current);
}
