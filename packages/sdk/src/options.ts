export interface OtoOptions {
  /** The server, e.g. `http://127.0.0.1:4000`. Default: `$OTO_SERVER`, else `http://127.0.0.1:4000`. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Default: `$OTO_API_KEY`. */
  apiKey?: string;
  /** Time limit of each attempt in milliseconds. Default 60000. */
  timeoutMs?: number;
  /** Retries after a network error, 408, 429 or 5xx. Default 2. */
  maxRetries?: number;
  /** The fetch to use. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Appended to the User-Agent, e.g. `oto-cli/0.1.0`. */
  userAgent?: string;
  /**
   * @internal First retry delay in ms (default 500, the later ones double up to 10×). Lets tests run fast.
   */
  retryBaseDelayMs?: number;
}

export interface RequestOptions {
  /** Idempotency-Key of a POST. Default: a fresh UUID, the same for every retry of the call. */
  idempotencyKey?: string;
  /** Aborts the call (no retry follows); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides `OtoOptions.timeoutMs` for this call. */
  timeoutMs?: number;
  /** Overrides `OtoOptions.maxRetries` for this call. */
  maxRetries?: number;
}

export interface ListParams {
  /** Page size, 1–100 (server default 20). */
  limit?: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
}
