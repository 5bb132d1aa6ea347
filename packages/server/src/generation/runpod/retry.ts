// Retry building blocks shared by the RunPod API client and the output downloader.

/** Errors raised before a single byte of the request left this machine: retrying cannot duplicate a job. */
const CONNECT_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Network failures that may have happened after the request was sent (safe to retry only for reads). */
const IN_FLIGHT_ERROR_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The first `code` found on the error or its `cause` chain (undici and fetch wrap the system error). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isConnectError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && CONNECT_ERROR_CODES.has(code);
}

export function isNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && (CONNECT_ERROR_CODES.has(code) || IN_FLIGHT_ERROR_CODES.has(code));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === "") return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface BackoffPolicy {
  /** Delay before the first retry, doubled on every further attempt. */
  baseMs: number;
  /** Upper bound for one delay, Retry-After included. */
  capMs: number;
}

/** "Equal jitter": half the exponential delay plus a random half, so retries never bunch up at zero. */
export function backoffDelay(retryIndex: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** retryIndex);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
