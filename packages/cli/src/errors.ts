/** Exit codes of `oto`; `oto help exit-codes` documents them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 4,
  interrupted: 130,
} as const;

/** An error the CLI explains itself: one line, an optional hint line, and an exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Wrong or missing input from the user (exit 2). */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** Not logged in, or the key was refused (exit 4). */
export class AuthRequiredError extends CliError {
  override name = "AuthRequiredError";
  constructor(message: string, hint?: string) {
    super(message, ExitCode.auth, hint);
  }
}

/** The shape every @oto/sdk error has (OtoError); matched by shape so the SDK loads lazily. */
export interface ApiErrorLike extends Error {
  status: number;
  code: string;
  detail: string;
  requestId?: string;
  retryAfterS?: number;
}

export function isApiError(err: unknown): err is ApiErrorLike {
  return (
    err instanceof Error &&
    typeof (err as Partial<ApiErrorLike>).status === "number" &&
    typeof (err as Partial<ApiErrorLike>).code === "string"
  );
}

/** What an error report needs to know about the run that failed. */
export interface ErrorContext {
  /** The server the failing command talked to, if any. */
  server?: string;
  /** Where the API key came from, to point the hint at the right fix. */
  keySource?: "env" | "credentials" | "stdin";
}

export interface ErrorReport {
  exitCode: number;
  /** One line, without the "oto: error: " prefix. Empty for a silent exit (Ctrl-C at a prompt). */
  message: string;
  hint?: string;
}

/** Turns anything thrown by a command into one readable line, a hint and an exit code. */
export function describeError(err: unknown, ctx: ErrorContext = {}): ErrorReport {
  if (err instanceof CliError) {
    return { exitCode: err.exitCode, message: err.message, hint: err.hint };
  }
  if (err instanceof Error && (err.name === "ExitPromptError" || err.name === "AbortPromptError")) {
    return { exitCode: ExitCode.interrupted, message: "" };
  }
  if (isApiError(err)) return describeApiError(err, ctx);
  if (err instanceof Error && err.name === "ConfigError") {
    return { exitCode: ExitCode.usage, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    exitCode: ExitCode.failure,
    message: message.split("\n")[0] ?? "unexpected error",
    hint: "Run again with --verbose (or DEBUG=oto) to see the details.",
  };
}

function describeApiError(err: ApiErrorLike, ctx: ErrorContext): ErrorReport {
  const server = ctx.server ?? "the server";
  if (err.code === "connection_error") {
    return {
      exitCode: ExitCode.failure,
      message: `cannot reach ${server} — is the server running? Start one with "oto server start".`,
    };
  }
  if (err.code === "timeout") {
    return {
      exitCode: ExitCode.failure,
      message: `${server} did not answer in time.`,
      hint: "Try again; if it keeps happening, check the server's logs.",
    };
  }
  const ids = [err.code, err.requestId ? `request ${err.requestId}` : undefined].filter(Boolean).join(", ");
  const message = `${err.detail || err.message} (${ids})`;
  if (err.status === 401) {
    const hint =
      err.code === "invalid_credentials"
        ? undefined
        : ctx.keySource === "env"
          ? "Check the key in OTO_API_KEY, or unset it to use the stored credentials."
          : ctx.keySource === "stdin"
            ? "Check the key given on stdin: it may be mistyped or revoked."
            : 'Run "oto login" to log in.';
    return { exitCode: ExitCode.auth, message, hint };
  }
  if (err.code === "insufficient_tokens") {
    return {
      exitCode: ExitCode.failure,
      message,
      hint: 'See your balance with "oto tokens balance"; buy tokens with "oto tokens buy".',
    };
  }
  if (err.status === 429 && !/try again/i.test(err.detail)) {
    const wait = err.retryAfterS !== undefined ? ` in ${err.retryAfterS} seconds` : " later";
    return { exitCode: ExitCode.failure, message, hint: `Try again${wait}.` };
  }
  return { exitCode: ExitCode.failure, message };
}

/** DEBUG=oto (or a list containing it, or `*`) turns on stack traces and HTTP logs. */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const debug = env.DEBUG ?? "";
  return debug.split(/[\s,]+/).some((part) => part === "oto" || part === "oto:*" || part === "*");
}
