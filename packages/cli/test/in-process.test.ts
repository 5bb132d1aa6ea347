// The program run in-process through its io seam (createContext + run), and the small modules
// (config, errors, prompt gate) on their own.
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOto } from "@oto/sdk";
import { startTestServer } from "@oto/server/testing";
import { configDir, normalizeServerUrl, readCredentials, writeCredentials } from "../src/config.js";
import { describeError } from "../src/errors.js";
import type { Io } from "../src/io.js";
import { createContext, run } from "../src/program.js";
import { promptBlocker } from "../src/prompt.js";
import { PASSWORD, uniqueHandle } from "./helpers.js";

function fakeIo(tty = false) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const io: Io = { stdin, stdout, stderr, isTTY: { stdin: tty, stdout: tty, stderr: tty } };
  return { io, out: () => out, err: () => err };
}

describe("run() in-process", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "oto-cli-inproc-"));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("whoami --json through the io seam, with an injected fetch", async () => {
    const handle = uniqueHandle("p");
    const { api_key } = await createOto({ baseUrl: server.url, apiKey: "" }).register({ handle, password: PASSWORD });
    const calls: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      calls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const { io, out, err } = fakeIo();
    const env = { OTO_CONFIG_DIR: dir, OTO_SERVER: server.url, OTO_API_KEY: api_key.secret };
    const code = await run(["node", "oto", "whoami", "--json"], createContext({ io, env, fetch: fetchSpy }));
    expect(code, err()).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ handle });
    expect(calls).toEqual([`${server.url}/v1/me`]);
  });

  it("a usage error returns 2 and writes to the injected stderr only", async () => {
    const { io, out, err } = fakeIo();
    const code = await run(["node", "oto", "keys", "frobnicate"], createContext({ io, env: { OTO_CONFIG_DIR: dir } }));
    expect(code).toBe(2);
    expect(out()).toBe("");
    expect(err()).toMatch(/^oto: error: unknown command 'frobnicate'/);
  });
});

describe("config", () => {
  it("finds the config dir: OTO_CONFIG_DIR, else XDG_CONFIG_HOME/oto, else ~/.config/oto", () => {
    expect(configDir({ OTO_CONFIG_DIR: "/a", XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/a");
    expect(configDir({ XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/oto");
    expect(configDir({ HOME: "/h" })).toBe("/h/.config/oto");
  });

  it("normalizes server URLs and rejects others as usage errors", () => {
    expect(normalizeServerUrl("http://127.0.0.1:4000/")).toBe("http://127.0.0.1:4000");
    expect(normalizeServerUrl("localhost:4555")).toBe("http://localhost:4555");
    expect(normalizeServerUrl("https://oto.example.com/api/")).toBe("https://oto.example.com/api");
    expect(() => normalizeServerUrl("ftp://x")).toThrow(/must be an http/);
    expect(() => normalizeServerUrl("http://")).toThrow(/not a valid URL/);
  });

  it("writes credentials atomically with mode 0600 in a 0700 dir, and reads them back", async () => {
    const base = await mkdtemp(join(tmpdir(), "oto-cli-creds-"));
    try {
      const dir = join(base, "nested", "oto");
      const credentials = { server: "http://127.0.0.1:4000", api_key: "oto_x", handle: "ada", key_id: "key_x" };
      const path = await writeCredentials(dir, credentials);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await writeCredentials(dir, { ...credentials, handle: "bob" });
      expect(await readdir(dir)).toEqual(["credentials.json"]);
      expect(await readCredentials(dir)).toEqual({ ...credentials, handle: "bob" });
      expect(await readCredentials(join(base, "none"))).toBeUndefined();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe("errors and prompts", () => {
  it("maps API errors to one line and an exit code", () => {
    const apiError = (status: number, code: string) =>
      Object.assign(new Error("x"), { status, code, detail: "Something failed.", requestId: "req_1" });
    expect(describeError(apiError(401, "invalid_api_key"))).toEqual({
      exitCode: 4,
      message: "Something failed. (invalid_api_key, request req_1)",
      hint: 'Run "oto login" to log in.',
    });
    expect(describeError(apiError(409, "handle_taken")).exitCode).toBe(1);
    expect(describeError(apiError(0, "connection_error"), { server: "http://h:1" }).message).toBe(
      'cannot reach http://h:1 — is the server running? Start one with "oto server start".',
    );
    expect(describeError(Object.assign(new Error("User force closed"), { name: "ExitPromptError" }))).toEqual({
      exitCode: 130,
      message: "",
    });
  });

  it("prompts only on a TTY, outside CI, without --json or --no-input", () => {
    const io = fakeIo(true).io;
    const gate = { io, env: {}, json: false, input: true };
    expect(promptBlocker(gate)).toBeUndefined();
    expect(promptBlocker({ ...gate, env: { CI: "true" } })).toBe("CI is set");
    expect(promptBlocker({ ...gate, json: true })).toBe("--json was given");
    expect(promptBlocker({ ...gate, input: false })).toBe("--no-input was given");
    expect(promptBlocker({ ...gate, io: fakeIo(false).io })).toBe("stdin is not a terminal");
  });
});
