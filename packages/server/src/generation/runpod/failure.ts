// A readable one-line error for a FAILED RunPod job, whichever form the worker produced (notes §1.4):
// - the handler raised: `error` is a JSON-encoded string {error_type, error_message, error_traceback, …};
// - the handler returned {error, details?, …}: `error` is that value and the rest of the dict stays in `output`;
// - anything else: `error` is a plain string.
import { truncate } from "./api-client.js";

const MAX_ERROR_LENGTH = 1000;

export function readableRunpodError(error: unknown, output?: unknown): string {
  const message = describe(error) ?? "the RunPod worker reported a failure without an error message";
  const details = detailsOf(output);
  return truncate(details ? `${message} (details: ${details})` : message, MAX_ERROR_LENGTH);
}

function describe(error: unknown, depth = 0): string | undefined {
  if (error === undefined || error === null || depth > 3) return undefined;
  if (typeof error === "string") {
    const trimmed = error.trim();
    if (trimmed === "") return undefined;
    if (trimmed.startsWith("{")) {
      try {
        return describe(JSON.parse(trimmed), depth + 1) ?? trimmed;
      } catch {
        return trimmed;
      }
    }
    return trimmed;
  }
  if (typeof error === "object") {
    const record = error as Record<string, unknown>;
    const message = firstString(record.error_message, record.message) ?? describe(record.error, depth + 1);
    if (message !== undefined) {
      const type = typeof record.error_type === "string" ? pythonTypeName(record.error_type) : undefined;
      return type ? `${type}: ${message}` : message;
    }
    return truncate(JSON.stringify(error), 300);
  }
  return String(error);
}

/** "<class 'ValueError'>" → "ValueError"; other spellings are kept as they are. */
function pythonTypeName(raw: string): string {
  const match = /^<class '([^']+)'>$/.exec(raw.trim());
  return match?.[1] ?? raw.trim();
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === "string" && value.trim() !== "")?.trim();
}

function detailsOf(output: unknown): string | undefined {
  if (!output || typeof output !== "object" || !("details" in output)) return undefined;
  const details = (output as { details: unknown }).details;
  const items = Array.isArray(details) ? details : [details];
  const text = items
    .map((item) => (typeof item === "string" ? item : JSON.stringify(item)))
    .filter((item) => item !== undefined && item !== "")
    .join("; ");
  return text === "" ? undefined : truncate(text, 400);
}
