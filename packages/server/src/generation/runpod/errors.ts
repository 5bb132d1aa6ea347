// Errors raised while talking to RunPod. `retryable` tells the caller whether asking again later can help
// (the job may still finish); a non-retryable error means the request itself is wrong or its outcome unknown.

export type RunPodErrorCode =
  | "auth"
  | "bad_request"
  | "not_found"
  | "payload_too_large"
  | "throttled"
  | "server_error"
  | "network"
  | "timeout"
  | "protocol"
  | "aborted";

export class RunPodError extends Error {
  override readonly name = "RunPodError";
  readonly code: RunPodErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    code: RunPodErrorCode,
    options: { status?: number; retryable: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable;
  }
}

/** An output the worker produced that oTo refuses (contract violation, too large, host not allowed…). Permanent. */
export class OutputRejectedError extends Error {
  override readonly name = "OutputRejectedError";
}
