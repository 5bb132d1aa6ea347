// Small pure modules of the CLI on their own: log formatting, option parsers, formats.
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { formatMoney } from "../src/commands/tokens.js";
import { UsageError } from "../src/errors.js";
import { jobState, ledgerWhat, tokens } from "../src/format.js";
import { PassThrough } from "node:stream";
import { Output, formatBytes } from "../src/io.js";
import { checkId, keyValue, parseColor, parseParameters, parseVariables } from "../src/parsers.js";
import { formatLogLine, prettyLogStream } from "../src/serverLog.js";

const plain = pc.createColors(false);
const at = new Date(2026, 10, 26, 10, 0, 1).getTime();

describe("server log lines on a terminal", () => {
  it("a request is one line: time, method, URL, status, duration, request id", () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      pid: 1,
      hostname: "h",
      request_id: "req_1",
      method: "GET",
      url: "/v1/me",
      status: 401,
      ms: 3,
      msg: "request done",
    });
    expect(formatLogLine(line, plain)).toBe("10:00:01 GET /v1/me → 401 3 ms req_1");
  });

  it("other lines keep their level, message and fields; errors show their message", () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      pid: 1,
      hostname: "h",
      msg: "job failed",
      job_id: "job_1",
      err: { type: "Error", message: "boom now", stack: "…" },
    });
    expect(formatLogLine(line, plain)).toBe('10:00:01 ERROR job failed job_id=job_1 err="Error: boom now"');
  });

  it("drops Fastify's own 'Server listening' lines and passes text that is not JSON through", () => {
    expect(
      formatLogLine(JSON.stringify({ level: 30, time: at, msg: "Server listening at http://127.0.0.1:4000" }), plain),
    ).toBeUndefined();
    expect(formatLogLine("plain text", plain)).toBe("plain text");
  });

  it("holds lines back until released, and joins lines split across writes", () => {
    const written: string[] = [];
    const stream = prettyLogStream((text) => written.push(text), plain);
    stream.hold();
    const line = JSON.stringify({ level: 40, time: at, msg: "careful" });
    stream.write(line.slice(0, 10));
    stream.write(`${line.slice(10)}\n`);
    expect(written).toEqual([]);
    stream.release();
    stream.write(`${JSON.stringify({ level: 30, time: at, msg: "after" })}\n`);
    expect(written).toEqual(["10:00:01 WARN careful\n", "10:00:01 INFO after\n"]);
  });
});

describe("option parsers", () => {
  it("--param pairs become numeric GenerationParameters; unknown keys and non-numbers are refused", () => {
    const pairs = keyValue("seed=7", keyValue("width=512"));
    expect(parseParameters(pairs)).toEqual({ width: 512, seed: 7 });
    expect(() => parseParameters([["volume", "11"]])).toThrow(UsageError);
    expect(() => parseParameters([["width", "wide"]])).toThrow(/--param width must be a number/);
    expect(() => keyValue("novalue")).toThrow(/key=value/);
    expect(keyValue("a=b=c")).toEqual([["a", "b=c"]]);
  });

  it("--var names follow the template variable rules", () => {
    expect(parseVariables([["style", "ink"]])).toEqual({ style: "ink" });
    expect(() => parseVariables([["Bad-Name", "x"]])).toThrow(UsageError);
  });

  it("colours and ids", () => {
    expect(parseColor("D4A017")).toBe("#d4a017");
    expect(() => parseColor("gold")).toThrow(/hex colour/);
    expect(checkId("creation", "cr_01jd3x9v6q8r5m2k7n4p0w1z3y")).toBe("cr_01jd3x9v6q8r5m2k7n4p0w1z3y");
    expect(() => checkId("job", "cr_01jd3x9v6q8r5m2k7n4p0w1z3y")).toThrow(/is not a job id/);
  });
});

describe("formats", () => {
  it.each([
    [{ amount: 500, currency: "eur" }, "€5.00"],
    [{ amount: 1999, currency: "usd" }, "$19.99"],
    [{ amount: 500, currency: "jpy" }, "¥500"],
  ])("money %o → %s", (money, text) => {
    expect(formatMoney(money)).toBe(text);
  });

  it("bytes, tokens, job states, ledger lines", () => {
    expect([formatBytes(999), formatBytes(12_345), formatBytes(2_500_000)]).toEqual(["999 B", "12 kB", "2.5 MB"]);
    expect([tokens(1), tokens(4), tokens(-1)]).toEqual(["1 token", "4 tokens", "-1 token"]);
    expect(jobState({ status: "running", progress: 0.456 })).toBe("running 46%");
    expect(jobState({ status: "timed_out", progress: null })).toBe("timed out");
    const entry = { job_id: "job_1", description: "Held 4 tokens" } as Parameters<typeof ledgerWhat>[0];
    expect(ledgerWhat(entry)).toBe("Held 4 tokens (job_1)");
    expect(ledgerWhat({ ...entry, description: "Spent 4 tokens on job job_1" })).toBe("Spent 4 tokens on job job_1");
  });
});

describe("spinners", () => {
  const tty = (columns: number | undefined) =>
    new Output(
      {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: Object.assign(new PassThrough(), { columns }),
        isTTY: { stdin: true, stdout: true, stderr: true },
      },
      { TERM: "xterm" },
      { json: false, quiet: false, color: false },
    );

  it("run on a terminal", () => {
    expect(tty(80).spinnerEnabled).toBe(true);
  });

  it("stay off on a terminal that reports no width (ora would loop clearing lines)", () => {
    expect(tty(0).spinnerEnabled).toBe(false);
  });
});

describe("tables", () => {
  it("line up when a style adds a colored mark to a cell", () => {
    const stdout = new PassThrough();
    let printed = "";
    stdout.on("data", (chunk) => (printed += chunk));
    const output = new Output(
      { stdin: process.stdin, stdout, stderr: new PassThrough(), isTTY: { stdin: false, stdout: false, stderr: false } },
      {},
      { json: false, quiet: false, color: false },
    );
    const mark = (text: string) => `\x1b[38;2;212;160;23m■\x1b[39m ${text}`;
    output.table(
      [
        { header: "name", value: (row: { name: string; kind: string }) => row.name, style: mark },
        { header: "kind", value: (row) => row.kind },
      ],
      [
        { name: "video maker", kind: "video" },
        { name: "text", kind: "text" },
      ],
    );
    const lines = printed.replace(/\x1b\[[0-9;]*m/g, "").trimEnd().split("\n");
    expect(lines).toEqual(["NAME           KIND", "■ video maker  video", "■ text         text"]);
  });
});
