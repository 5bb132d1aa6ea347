import pc from "picocolors";

export type Colors = ReturnType<typeof pc.createColors>;

/** The streams a run uses, so tests can run the program in-process (see gh's iostreams). */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: { stdin: boolean; stdout: boolean; stderr: boolean };
}

export function processIo(): Io {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: {
      stdin: Boolean(process.stdin.isTTY),
      stdout: Boolean(process.stdout.isTTY),
      stderr: Boolean(process.stderr.isTTY),
    },
  };
}

/** CI=true (or any value but "false"/"0") means no prompts and no spinners. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI) && env.CI !== "false" && env.CI !== "0";
}

/** Color for one stream: only on a TTY, and never with --no-color, NO_COLOR or TERM=dumb. */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv, colorFlag: boolean): boolean {
  if (!colorFlag || (env.NO_COLOR !== undefined && env.NO_COLOR !== "") || env.TERM === "dumb") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return isTTY;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  style?: (text: string, row: Row) => string;
}

/** Everything a command prints goes through here: data to stdout, messages to stderr. */
export class Output {
  /** Colors for text written to stdout / stderr (each stream is checked on its own). */
  readonly out: Colors;
  readonly err: Colors;
  private readonly colorsOnStderr: boolean;

  constructor(
    private readonly io: Io,
    private readonly env: NodeJS.ProcessEnv,
    readonly options: OutputOptions,
  ) {
    this.out = pc.createColors(colorEnabled(io.isTTY.stdout, env, options.color));
    this.colorsOnStderr = colorEnabled(io.isTTY.stderr, env, options.color);
    this.err = pc.createColors(this.colorsOnStderr);
  }

  /** The only thing written to stdout in --json mode. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Compact JSON on one line, for a stream of JSON lines. */
  jsonLine(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line of data on stdout. */
  line(text = ""): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A progress or status message on stderr; -q silences it. */
  info(text: string): void {
    if (!this.options.quiet) this.io.stderr.write(`${text}\n`);
  }

  success(text: string): void {
    this.info(`${this.err.green("✔")} ${text}`);
  }

  /** Something the user must see even with -q. */
  warn(text: string): void {
    this.io.stderr.write(`${this.err.yellow("!")} ${text}\n`);
  }

  /** Aligned label/value pairs on stdout. */
  keyValues(pairs: Array<[string, string]>): void {
    const width = Math.max(...pairs.map(([label]) => label.length));
    for (const [label, value] of pairs) this.line(`${this.out.dim(label.padEnd(width))}  ${value}`);
  }

  /** A table on stdout whose columns line up on a terminal, colored or not. */
  table<Row>(columns: Array<Column<Row>>, rows: Row[]): void {
    // Styles may add visible marks (an agent's colour swatch), so cells are styled first and padded by
    // the width a terminal shows, escape codes left out.
    const cells = rows.map((row) =>
      columns.map((column) => {
        const text = column.value(row);
        return column.style ? column.style(text, row) : text;
      }),
    );
    const widths = columns.map((column, i) =>
      Math.max(column.header.length, ...cells.map((line) => visibleWidth(line[i] ?? ""))),
    );
    const pad = (text: string, i: number) =>
      i === columns.length - 1 ? text : text + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(text)));
    this.line(
      columns
        .map((column, i) => this.out.bold(pad(column.header.toUpperCase(), i)))
        .join("  ")
        .trimEnd(),
    );
    for (const line of cells) this.line(line.map(pad).join("  ").trimEnd());
  }

  /**
   * Spinners need a TTY on stderr with a width, no CI, and neither --json nor -q. A terminal that reports
   * 0 columns (some bare pseudo-terminals) would make ora's line clearing loop forever.
   */
  get spinnerEnabled(): boolean {
    const columns = (this.io.stderr as { columns?: number }).columns;
    return (
      this.io.isTTY.stderr &&
      columns !== 0 &&
      !isCI(this.env) &&
      !this.options.json &&
      !this.options.quiet &&
      this.env.TERM !== "dumb"
    );
  }

  /** Runs `task` under an ora spinner on stderr when spinners are enabled; ora loads lazily. */
  async withSpinner<T>(text: string, task: () => Promise<T>): Promise<T> {
    const spinner = await this.spinner(text);
    try {
      return await task();
    } finally {
      spinner.stop();
    }
  }

  /**
   * A spinner whose text the caller changes as work goes on (live job state). Without a spinner
   * (no TTY, CI, --json, -q) the handle does nothing and `active` is false.
   */
  async spinner(text: string): Promise<SpinnerHandle> {
    if (!this.spinnerEnabled) return { active: false, update: () => {}, stop: () => {} };
    const { default: ora } = await import("ora");
    const spinner = ora({
      text,
      stream: this.io.stderr,
      isEnabled: true,
      color: this.colorsOnStderr ? "cyan" : false,
      // Keep the terminal in cooked mode so Ctrl-C raises SIGINT at once.
      discardStdin: false,
    }).start();
    return {
      active: true,
      update: (next) => {
        spinner.text = next;
      },
      stop: () => {
        spinner.stop();
      },
    };
  }
}

export interface SpinnerHandle {
  /** False when no spinner is shown (the caller may print progress lines instead). */
  readonly active: boolean;
  update(text: string): void;
  /** Clears the spinner line. */
  stop(): void;
}

/** Reads all of stdin as text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** "~/…" for paths under the home directory, to keep messages short. */
export function displayPath(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  if (home && home !== "/" && (path === home || path.startsWith(`${home}/`))) return `~${path.slice(home.length)}`;
  return path;
}

/** A short, local, minute-precision date for tables ("2026-11-26 10:05"). */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** A compact age for tables: "just now", "5m ago", "3h ago", "2d ago", then the date. */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  const seconds = Math.max(0, Math.round((now - time) / 1000));
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)}d ago`;
  return shortDate(iso).slice(0, 10);
}

/** "12.3 kB", "1.2 MB" (decimal units, like file managers). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** How many columns a string takes on a terminal: its characters without ANSI escape sequences. */
export function visibleWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, "")].length;
}
