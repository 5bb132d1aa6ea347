// Turns an output part into bytes: decodes base64 or downloads a URL, never past the size limit and never
// from a host outside the allow-list. RunPod deletes results after 30 minutes, so the provider fetches at once.
import { request, type Dispatcher } from "undici";
import { OutputRejectedError, RunPodError } from "./errors.js";
import { backoffDelay, isNetworkError, type BackoffPolicy, type Sleep } from "./retry.js";

export interface DownloadPolicy {
  /** Hostnames (exact, or `*.example.com` for subdomains). Anything else is refused without a request. */
  allowedHosts: readonly string[];
  maxBytes: number;
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  sleep: Sleep;
  random: () => number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

export function isAllowedHost(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  return allowedHosts.some((entry) => {
    const allowed = normalizeHost(entry.trim());
    if (allowed.startsWith("*.")) return host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1;
    return host === allowed;
  });
}

/**
 * Validates an output URL: https to an allow-listed host, or plain http only to an allow-listed loopback host
 * (the local RunPod fake in tests). Throws OutputRejectedError otherwise.
 */
export function checkOutputUrl(raw: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutputRejectedError(`output URL "${raw.slice(0, 200)}" is not a valid URL`);
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`.slice(0, 200);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new OutputRejectedError(`output URL ${shown} is refused: only https is allowed`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new OutputRejectedError(`output URL ${shown} is refused: URLs with credentials are not fetched`);
  }
  if (!isAllowedHost(url.hostname, allowedHosts)) {
    throw new OutputRejectedError(
      `output URL host "${normalizeHost(url.hostname)}" is not in the allow-list (allowedOutputHosts); refused without fetching`,
    );
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(normalizeHost(url.hostname))) {
    throw new OutputRejectedError(`output URL ${shown} is refused: plain http is only allowed to loopback hosts`);
  }
  return url;
}

/** Decodes base64 (standard or url-safe, optionally a data: URI) after checking the decoded size. */
export function decodeBase64Output(data: string, maxBytes: number, label: string): Uint8Array {
  const payload = data.replace(/^data:[^,]*;base64,/i, "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload) || payload.length % 4 === 1) {
    throw new OutputRejectedError(`${label} is neither a URL nor valid base64`);
  }
  const padding = payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0;
  const decodedSize = Math.floor((payload.length * 3) / 4) - padding;
  if (decodedSize > maxBytes) {
    throw new OutputRejectedError(`${label} is ${decodedSize} bytes, over the ${maxBytes}-byte output limit`);
  }
  if (decodedSize === 0) throw new OutputRejectedError(`${label} is empty`);
  return new Uint8Array(Buffer.from(payload, "base64"));
}

export interface DownloadedOutput {
  bytes: Uint8Array;
  contentType: string | undefined;
}

/**
 * GETs an already checked URL (see checkOutputUrl) without following redirects (a redirect could leave the
 * allow-list) and without sending RunPod credentials. Transient failures are retried, then thrown as a
 * retryable RunPodError; refusals are OutputRejectedError.
 */
export async function downloadOutput(url: URL, policy: DownloadPolicy, signal?: AbortSignal): Promise<DownloadedOutput> {
  const shown = `${url.host}${url.pathname}`;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let transient: { reason: string; cause?: unknown };
    try {
      const res = await request(url, { method: "GET", signal: combined, dispatcher: policy.dispatcher });
      if (res.statusCode === 200) {
        const contentType = headerValue(res.headers["content-type"]);
        const bytes = await readLimited(res, policy.maxBytes, shown);
        if (bytes.byteLength === 0) throw new OutputRejectedError(`output ${shown} is empty`);
        return { bytes, contentType };
      }
      discard(res.body);
      if (res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500) {
        transient = { reason: `HTTP ${res.statusCode}` };
      } else if (res.statusCode >= 300 && res.statusCode < 400) {
        throw new OutputRejectedError(`output ${shown} answered a redirect (HTTP ${res.statusCode}); redirects are not followed`);
      } else {
        throw new OutputRejectedError(`output ${shown} could not be downloaded: HTTP ${res.statusCode}`);
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof OutputRejectedError) throw error;
      if (!timeout.aborted && !isNetworkError(error)) throw error;
      transient = {
        reason: timeout.aborted ? `no complete answer within ${policy.timeoutMs} ms` : (error as Error).message,
        cause: error,
      };
    }
    if (attempt >= policy.maxAttempts) {
      throw new RunPodError(`downloading output ${shown} failed after ${attempt} attempt(s): ${transient.reason}`, "network", {
        retryable: true,
        cause: transient.cause,
      });
    }
    await policy.sleep(backoffDelay(attempt - 1, policy.backoff, policy.random), signal);
  }
}

async function readLimited(res: Dispatcher.ResponseData, maxBytes: number, shown: string): Promise<Uint8Array> {
  const declared = Number(headerValue(res.headers["content-length"]));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(res.body);
    throw new OutputRejectedError(`output ${shown} declares ${declared} bytes, over the ${maxBytes}-byte output limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > maxBytes) {
      discard(res.body);
      throw new OutputRejectedError(`output ${shown} is over the ${maxBytes}-byte output limit (stopped while downloading)`);
    }
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Drops a response body we will not read; the listener keeps undici's abort error from going unhandled. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}
