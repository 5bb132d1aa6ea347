import type { Generation, Problem } from "./schema.js";

/** Everything an OtoError carries; `message` is derived from it. */
export interface OtoErrorInit {
  /** HTTP status, or 0 when no response arrived (connection failure, timeout). */
  status: number;
  /** A stable machine-readable code: an API `ErrorCode`, `http_<status>`, `connection_error` or `timeout`. */
  code: string;
  /** What went wrong, in one readable sentence. */
  detail: string;
  /** A short summary of the kind of problem. */
  title: string;
  /** The server's request id (from the problem document or the X-Request-Id header). */
  requestId?: string;
  /** The problem document, when the server sent one. */
  problem?: Problem;
  /** With rate limits: how many seconds to wait before trying again. */
  retryAfterS?: number;
  cause?: unknown;
}

/** The base class of every failure the SDK reports. */
export class OtoError extends Error {
  override name = "OtoError";
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title: string;
  readonly requestId?: string;
  readonly problem?: Problem;
  readonly retryAfterS?: number;

  constructor(init: OtoErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.problem !== undefined) this.problem = init.problem;
    if (init.retryAfterS !== undefined) this.retryAfterS = init.retryAfterS;
  }
}

/** 400: the request is malformed or fails validation; nothing was written. */
export class OtoBadRequestError extends OtoError {
  override name = "OtoBadRequestError";
}
/** 401: no API key, an unknown or revoked one, or wrong credentials. */
export class OtoAuthError extends OtoError {
  override name = "OtoAuthError";
}
/** 402: the account has not enough tokens. */
export class OtoInsufficientTokensError extends OtoError {
  override name = "OtoInsufficientTokensError";
}
/** 403: the key may not do this. */
export class OtoPermissionError extends OtoError {
  override name = "OtoPermissionError";
}
/** 404: no such resource for this account. */
export class OtoNotFoundError extends OtoError {
  override name = "OtoNotFoundError";
}
/** 409: conflicts with the current state (taken handle, reused idempotency key). */
export class OtoConflictError extends OtoError {
  override name = "OtoConflictError";
}
/** 413: the body is larger than the server accepts. */
export class OtoPayloadTooLargeError extends OtoError {
  override name = "OtoPayloadTooLargeError";
}
/** 429: too many requests; see `retryAfterS`. */
export class OtoRateLimitError extends OtoError {
  override name = "OtoRateLimitError";
}
/** 5xx and any other unexpected status. */
export class OtoApiError extends OtoError {
  override name = "OtoApiError";
}
/** No response: the server could not be reached or the connection broke. */
export class OtoConnectionError extends OtoError {
  override name = "OtoConnectionError";
}
/** No response within the time limit. */
export class OtoTimeoutError extends OtoError {
  override name = "OtoTimeoutError";
}

/**
 * A generation that did not succeed: it failed, timed out or was canceled on the server (`code` is
 * the job's error code, else its status), or it had not ended when the caller stopped waiting
 * (`code` "wait_timeout"; the job goes on). `generation` is the job as last seen. status is 0.
 */
export class OtoGenerationFailedError extends OtoError {
  override name = "OtoGenerationFailedError";
  readonly generation: Generation;
  readonly jobId: string;

  constructor(generation: Generation, options: { waitedMs?: number } = {}) {
    const waited = options.waitedMs !== undefined;
    super({
      status: 0,
      code: waited ? "wait_timeout" : (generation.error?.code ?? generation.status),
      title: waited ? "Generation still running" : "Generation failed",
      detail: waited
        ? `job ${generation.id} had not ended after ${Math.round((options.waitedMs ?? 0) / 1000)} s (it is ${generation.status}).`
        : `job ${generation.id} ${failureVerb(generation)}${generation.error ? `: ${generation.error.message}` : "."}`,
    });
    this.generation = generation;
    this.jobId = generation.id;
  }
}

function failureVerb(generation: Generation): string {
  if (generation.status === "canceled") return "was canceled";
  if (generation.status === "timed_out") return "timed out";
  return "failed";
}

const errorClassByStatus: Record<number, typeof OtoError> = {
  400: OtoBadRequestError,
  401: OtoAuthError,
  402: OtoInsufficientTokensError,
  403: OtoPermissionError,
  404: OtoNotFoundError,
  409: OtoConflictError,
  413: OtoPayloadTooLargeError,
  429: OtoRateLimitError,
};

/**
 * Builds the OtoError for a non-2xx response. `body` is the response body as openapi-fetch parsed it:
 * the JSON value when it was JSON, else the raw text (or undefined when empty).
 */
export function errorFromResponse(response: Response, body: unknown): OtoError {
  const { status } = response;
  const statusText = response.statusText || defaultStatusText(status);
  const headerRequestId = response.headers.get("x-request-id") ?? undefined;
  const problem = isProblem(body) ? body : undefined;
  const fields = isRecord(body) ? body : {};

  const code = problem?.code ?? `http_${status}`;
  const title = stringField(fields, "title") ?? statusText;
  const detail =
    stringField(fields, "detail") ??
    stringField(fields, "message") ??
    stringField(fields, "error") ??
    textDetail(body) ??
    `The server answered HTTP ${status} ${statusText}.`;
  const requestId = stringField(fields, "request_id") ?? headerRequestId;
  const retryAfterS =
    (typeof fields["retry_after_s"] === "number" ? fields["retry_after_s"] : undefined) ??
    retryAfterSeconds(response.headers.get("retry-after"));

  const ErrorClass = errorClassByStatus[status] ?? OtoApiError;
  return new ErrorClass({
    status,
    code,
    detail,
    title,
    ...(requestId !== undefined && { requestId }),
    ...(problem !== undefined && { problem }),
    ...(retryAfterS !== undefined && { retryAfterS: Math.ceil(retryAfterS) }),
  });
}

/**
 * Parses a Retry-After header (delay in seconds, or an HTTP date) into seconds from now.
 * Answers undefined when absent or unreadable.
 */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // An HTTP date names the day ("Thu, 26 Nov 2026 10:00:00 GMT"); Date.parse alone would accept "-5".
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

function formatMessage(init: OtoErrorInit): string {
  const detail = oneLine(init.detail);
  if (init.status === 0) return detail;
  const parts = [init.code, `HTTP ${init.status}`];
  if (init.requestId) parts.push(`request ${init.requestId}`);
  return `${detail} (${parts.join(", ")})`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A plain-text error body (from a proxy, say) becomes the detail, unless it is HTML or empty. */
function textDetail(body: unknown): string | undefined {
  if (typeof body !== "string") return undefined;
  const text = oneLine(body);
  if (text === "" || text.startsWith("<")) return undefined;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isProblem(value: unknown): value is Problem {
  return isRecord(value) && typeof value["code"] === "string";
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function defaultStatusText(status: number): string {
  return status >= 500 ? "Server Error" : "Error";
}
