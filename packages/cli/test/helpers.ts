import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IPty } from "@lydell/node-pty";

/** The built binary: the tests run exactly what users run. */
export const OTO_BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(OTO_BIN)) {
    throw new Error(`${OTO_BIN} is missing: run "pnpm --filter @oto/cli build" before the CLI tests.`);
  }
}

export interface OtoResult {
  stdout: string;
  /** stdout as bytes (for binary output such as oto download --out -). */
  stdoutBytes: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** Extra environment on top of the clean test one (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; stdin is an empty pipe without it. */
  stdin?: string;
  timeoutMs?: number;
  /** The working directory (default: the test process's). */
  cwd?: string;
}

/** A throwaway HOME with its own config dir, so runs never touch the real ~/.config/oto. */
export interface TestHome {
  home: string;
  configDir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function makeHome(): Promise<TestHome> {
  const home = await mkdtemp(join(tmpdir(), "oto-cli-test-"));
  const configDir = join(home, ".config", "oto");
  return {
    home,
    configDir,
    env: { HOME: home, OTO_CONFIG_DIR: configDir },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/**
 * A clean environment: only what node needs, plus `extra`. Variables of the developer's or CI's
 * shell that change oto's behaviour (CI, NO_COLOR, OTO_*, DEBUG, FORCE_COLOR) are left out.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "LANG", "TZ", "SYSTEMROOT"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `node dist/bin.js ...args` with pipes for stdin/stdout/stderr (never a TTY). */
export function runOto(args: string[], options: RunOptions = {}): Promise<OtoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OTO_BIN, ...args], {
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.cwd && { cwd: options.cwd }),
    });
    const stdoutChunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdoutChunks.push(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`oto ${args.join(" ")} did not finish in ${options.timeoutMs ?? 20_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(stdoutChunks);
      resolve({ stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr, code, signal });
    });
    child.stdin.on("error", () => {}); // oto may exit before reading stdin
    child.stdin.end(options.stdin ?? "");
  });
}

/** Strips ANSI escape sequences (colors, cursor moves) from terminal output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]/g, "");
}

/**
 * The lines a person sees on the terminal: for each line, only what follows the last return to
 * column 1 (a spinner redraws and clears its line that way), escape sequences removed.
 */
export function visibleLines(output: string): string[] {
  return output
    .split("\n")
    .map((line) => stripAnsi(line.split(/\r(?!$)|\x1b\[1G/).at(-1) ?? "").replace(/\r$/, ""))
    .filter((line) => line.trim() !== "");
}

export const ANSI_COLOR = /\x1b\[[0-9;]*m/;

/** oto running in a pseudo-terminal, driven like a person at a keyboard. */
export interface PtySession {
  /** Everything the terminal received so far, escape sequences included. */
  readonly output: string;
  write(keys: string): void;
  /** Waits until the screen output (escape sequences removed) matches. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

export async function runOtoInPty(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<PtySession> {
  const { spawn: spawnPty } = await import("@lydell/node-pty");
  const env = cleanEnv({ TERM: "xterm-256color", ...options.env });
  const pty: IPty = spawnPty(process.execPath, [OTO_BIN, ...args], {
    name: env.TERM ?? "xterm-256color", // node-pty sets TERM from this
    cols: 100,
    rows: 30,
    env,
    ...(options.cwd && { cwd: options.cwd }),
  });
  let output = "";
  const listeners = new Set<() => void>();
  pty.onData((data) => {
    output += data;
    for (const listener of listeners) listener();
  });
  const exit = new Promise<{ exitCode: number; signal?: number }>((resolve) => pty.onExit(resolve));
  return {
    get output() {
      return output;
    },
    write: (keys) => pty.write(keys),
    waitFor(pattern, timeoutMs = 15_000) {
      const matches = () =>
        typeof pattern === "string" ? stripAnsi(output).includes(pattern) : pattern.test(stripAnsi(output));
      if (matches()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!matches()) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; the terminal shows:\n${stripAnsi(output)}`));
        }, timeoutMs);
        listeners.add(check);
      });
    },
    exit,
    kill: () => pty.kill(),
  };
}

/** A free handle for each test, so tests can share one server. */
let counter = 0;
export function uniqueHandle(prefix = "u"): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export const PASSWORD = "correct horse battery staple";

/** A port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
