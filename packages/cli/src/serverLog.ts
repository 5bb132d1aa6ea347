import type { Colors } from "./io.js";

// `oto server start` on a terminal: the server's pino JSON lines, made readable, one line each.
// ("10:00:01 GET /v1/me → 200 3 ms req_…", "10:00:02 WARN message key=value"). Off a terminal or
// with --json the JSON lines pass through unchanged, for log collectors.

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const HIDDEN = new Set(["level", "time", "pid", "hostname", "msg", "request_id", "reqId"]);

export interface LogStream {
  /** What pino calls with each JSON line. */
  write(chunk: string): void;
  /** Keeps lines back (while a spinner owns the terminal), until release(). */
  hold(): void;
  release(): void;
}

export function prettyLogStream(write: (text: string) => void, colors: Colors): LogStream {
  let held: string[] | undefined;
  let partial = "";
  const emit = (line: string) => {
    const text = formatLogLine(line, colors);
    if (text === undefined) return;
    if (held) held.push(text);
    else write(`${text}\n`);
  };
  return {
    write(chunk) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) emit(line);
    },
    hold() {
      held ??= [];
    },
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const line of lines) write(`${line}\n`);
    },
  };
}

/** One readable line for a pino JSON line; undefined to drop it; the line itself if it is not JSON. */
export function formatLogLine(line: string, colors: Colors): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record !== "object" || record === null) return line;
  const msg = typeof record.msg === "string" ? record.msg : "";
  // oto server start prints where it listens itself.
  if (msg.startsWith("Server listening at")) return undefined;

  const time = clock(record.time);
  const level = typeof record.level === "number" ? record.level : 30;
  const requestId = typeof record.request_id === "string" ? colors.dim(` ${record.request_id}`) : "";

  if (msg === "request done" && typeof record.status === "number") {
    const status = record.status;
    const paint = status >= 500 ? colors.red : status >= 400 ? colors.yellow : colors.green;
    return `${colors.dim(time)} ${record.method} ${record.url} → ${paint(String(status))} ${record.ms} ms${requestId}`;
  }

  const name = LEVELS[level] ?? String(level);
  const paint = level >= 50 ? colors.red : level >= 40 ? colors.yellow : level <= 20 ? colors.dim : (s: string) => s;
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  return [colors.dim(time), paint(name), msg, ...fields].filter(Boolean).join(" ") + requestId;
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === "object" && "message" in value && typeof value.message === "string") {
    const type = "type" in value && typeof value.type === "string" ? `${value.type}: ` : "";
    return JSON.stringify(`${type}${value.message}`);
  }
  return JSON.stringify(value);
}

function clock(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
