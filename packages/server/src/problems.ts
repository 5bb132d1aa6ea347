import type { ErrorCode, Problem } from "@oto/sdk/schema";

export type { ErrorCode, Problem };

const TITLES: Record<ErrorCode, string> = {
  validation_failed: "Invalid request",
  malformed_json: "Malformed JSON",
  unsupported_media_type: "Unsupported media type",
  payload_too_large: "Payload too large",
  missing_api_key: "Unauthorized",
  invalid_api_key: "Unauthorized",
  invalid_credentials: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  handle_taken: "Conflict",
  idempotency_key_reused: "Conflict",
  idempotency_key_in_progress: "Conflict",
  rate_limited: "Too many requests",
  not_ready: "Service unavailable",
  internal_error: "Internal server error",
  insufficient_tokens: "Insufficient tokens",
  invalid_state: "Conflict",
  range_not_satisfiable: "Range not satisfiable",
  invalid_signature: "Invalid signature",
  payments_not_configured: "Payments not configured",
  upstream_error: "Bad gateway",
};

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8";

export interface FieldError {
  location: string;
  message: string;
}

/** An error that becomes a problem+json answer with this status and code. */
export class ApiError extends Error {
  readonly errors: FieldError[] | undefined;
  readonly retryAfterS: number | undefined;
  readonly headers: Record<string, string>;
  /** With insufficient_tokens: what the run costs and the tokens available now. */
  readonly price: number | undefined;
  readonly available: number | undefined;

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    detail: string,
    extra: {
      errors?: FieldError[];
      retryAfterS?: number;
      headers?: Record<string, string>;
      price?: number;
      available?: number;
    } = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.errors = extra.errors;
    this.retryAfterS = extra.retryAfterS;
    this.headers = extra.headers ?? {};
    this.price = extra.price;
    this.available = extra.available;
  }
}

export function problemDocument(
  status: number,
  code: ErrorCode,
  detail: string,
  context: {
    instance: string;
    requestId: string;
    errors?: FieldError[];
    retryAfterS?: number;
    price?: number;
    available?: number;
  },
): Problem {
  const problem: Problem = {
    type: `https://oto.dev/problems/${code}`,
    title: TITLES[code],
    status,
    code,
    detail,
    instance: context.instance,
    request_id: context.requestId,
  };
  if (context.errors !== undefined) problem.errors = context.errors;
  if (context.retryAfterS !== undefined) problem.retry_after_s = context.retryAfterS;
  if (context.price !== undefined) problem.price = context.price;
  if (context.available !== undefined) problem.available = context.available;
  return problem;
}

/** The code used when only an HTTP status is known (errors raised by Fastify or a plugin). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return "validation_failed";
    case 401:
      return "invalid_api_key";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    case 503:
      return "not_ready";
    default:
      return "internal_error";
  }
}
