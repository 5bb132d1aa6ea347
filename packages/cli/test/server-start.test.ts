// `oto server start` as a real process: listens, answers, and stops cleanly on SIGTERM.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { OTO_BIN, assertBuilt, cleanEnv, freePort, runOto, runOtoInPty, stripAnsi, visibleLines } from "./helpers.js";

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

beforeAll(() => assertBuilt());
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function startOtoServer(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [OTO_BIN, "server", "start", ...args], {
    env: cleanEnv({ OTO_LOG_LEVEL: "warn", ...env }),
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const output = () => ({ stdout, stderr });
  const waitFor = (pattern: RegExp, timeoutMs = 45_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const match = stdout.match(pattern);
        if (match) return resolve(match);
        if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          return reject(new Error(`no ${pattern} in the output (exit ${child.exitCode}):\n${stdout}\n${stderr}`));
        }
        setTimeout(poll, 50);
      };
      poll();
    });
  return { child, exited, output, waitFor };
}

describe("oto server start", () => {
  it("serves on the given port with its data folder, then stops cleanly on SIGTERM (exit 0)", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "oto-server-start-"));
    dirs.push(dataDir);
    const server = startOtoServer(["--port", String(port), "--data-dir", dataDir]);
    const [, url] = await server.waitFor(/oTo server listening on (http:\/\/\S+)/);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    await server.waitFor(/API docs\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
    await server.waitFor(/database\s+PGlite in \S+/);
    expect(server.output().stdout).toContain(dataDir);

    const health = await fetch(`${url}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    expect((await stat(dataDir)).isDirectory()).toBe(true);

    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output().stderr).toContain("Server stopped.");
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  });

  it("--json prints {url, …} as one JSON line (among the server's JSON log lines); SIGINT stops it too", async () => {
    const server = startOtoServer(["--port", "0", "--data-dir", "memory:", "--json"], { OTO_LOG_LEVEL: "info" });
    const [line] = await server.waitFor(/^\{"url":.*$/m);
    for (const each of server.output().stdout.trimEnd().split("\n")) expect(() => JSON.parse(each)).not.toThrow();
    const body = JSON.parse(line);
    expect(body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(body).toMatchObject({ docs_url: `${body.url}/docs`, database: "pglite", data_dir: "memory:" });
    expect((await fetch(`${body.url}/v1/health`)).status).toBe(200);

    server.child.kill("SIGINT");
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("on a terminal, the server's logs are readable one-liners after the startup message, not JSON", async () => {
    const term = await runOtoInPty(["server", "start", "--port", "0", "--data-dir", "memory:"], {
      env: { OTO_LOG_LEVEL: "info" },
    });
    try {
      await term.waitFor("Press Ctrl-C to stop.", 45_000);
      const url = /oTo server listening on (http:\/\/\S+)/.exec(stripAnsi(term.output))?.[1] as string;
      const health = await fetch(`${url}/v1/health`);
      const requestId = health.headers.get("x-request-id");
      await term.waitFor(/\d\d:\d\d:\d\d GET \/v1\/health → 200 \d+ ms req_/);
      term.write("\x03");
      expect((await term.exit).exitCode).toBe(0);

      const lines = visibleLines(term.output);
      expect(lines.find((line) => line.includes("GET /v1/health"))).toMatch(
        new RegExp(`^\\d\\d:\\d\\d:\\d\\d GET /v1/health → 200 \\d+ ms ${requestId}$`),
      );
      expect(lines.filter((line) => line.trimStart().startsWith("{"))).toEqual([]);
      expect(lines.join("\n")).not.toContain("Server listening at");
      // Nothing logged before the startup message: it comes first.
      expect(lines[0]).toMatch(/oTo server listening on/);
    } finally {
      term.kill();
    }
  });

  it("off a terminal the logs stay JSON lines on stdout", async () => {
    const server = startOtoServer(["--port", "0", "--data-dir", "memory:"], { OTO_LOG_LEVEL: "info" });
    const [, url] = await server.waitFor(/oTo server listening on (http:\/\/\S+)/);
    await fetch(`${url}/v1/health`);
    const [line] = await server.waitFor(/^\{.*"request done".*$/m);
    expect(JSON.parse(line)).toMatchObject({ msg: "request done", url: "/v1/health", status: 200 });
    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("a port in use is one readable line and exit 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runOto(["server", "start", "--port", String(port), "--data-dir", "memory:"], {
        env: { OTO_LOG_LEVEL: "silent" },
        timeoutMs: 45_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^oto: error: port ${port} on 127\\.0\\.0\\.1 is already in use\\.\\n`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("bad options and variables are usage errors (exit 2) that name them", async () => {
    const badPort = await runOto(["server", "start", "--port", "http"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/^oto: error: option '--port <n>' argument 'http' is invalid/);

    const badEnv = await runOto(["server", "start"], { env: { OTO_LOG_LEVEL: "loud" }, timeoutMs: 45_000 });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/^oto: error: OTO_LOG_LEVEL must be one of/);
  });
});
