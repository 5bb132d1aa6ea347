// `oto server start --demo` (the built binary): on an empty database it fills the wall through its own API right
// after it starts listening; on a database that has accounts it leaves it alone.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@oto/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTO_BIN, assertBuilt, cleanEnv } from "./helpers.js";

let dataDir: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(join(tmpdir(), "oto-demo-server-"));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}, dir = dataDir) {
  const child = spawn(process.execPath, [OTO_BIN, "server", "start", "--port", "0", "--data-dir", dir, "--json", ...args], {
    env: cleanEnv({ OTO_LOG_LEVEL: "info", ...env }),
  });
  children.push(child);
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", () => {});
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const messages = () =>
    stdout
      .trimEnd()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg?: string; url?: string });
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const found = messages().find((m) => m.msg !== undefined && pattern.test(m.msg));
        if (found) return resolve(found.msg!);
        if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          return reject(new Error(`no ${pattern} in the log (exit ${child.exitCode}):\n${stdout}`));
        }
        setTimeout(poll, 100);
      };
      poll();
    });
  const url = () => messages().find((m) => m.url)?.url;
  return { child, exited, waitFor, url, messages };
}

async function counts(url: string): Promise<{ accounts: number; agents: number; creations: number }> {
  const response = await fetch(`${url}/v1/wall`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { counts: { accounts: number; agents: number; creations: number } }).counts;
}

describe("oto server start --demo", () => {
  it("seeds an empty database after listening, and never again once it has accounts", async () => {
    const first = start(["--demo"]);
    await first.waitFor(/^Server listening/, 45_000);
    const url = first.url()!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Ready at once: the seeding runs behind.
    expect((await fetch(`${url}/v1/ready`)).status).toBe(200);
    await first.waitFor(/^demo: seeding a demo wall/, 10_000);
    const ready = await first.waitFor(/^demo: ready/, 150_000);
    // The default sign-up limit (10 a minute per address) leaves two sign-ups for the person at the keyboard.
    expect(ready).toMatch(/^demo: ready, 8 accounts and 60 creations \(\d+ forks, \d+ levels deep\) in [\d.]+ s$/);
    expect(first.messages().some((m) => /^demo: signed up @\S+ \(8\/8\)$/.test(m.msg ?? ""))).toBe(true);
    expect(first.messages().some((m) => /waiting/.test(m.msg ?? ""))).toBe(false);
    const seeded = await counts(url);
    expect(seeded).toEqual({ accounts: 8, agents: 32, creations: 60 });
    const you = await fetch(`${url}/v1/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ handle: "newcomer", password: "correct horse battery staple" }),
    });
    expect(you.status).toBe(201);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // OTO_DEMO=1 asks for it too; the accounts are there, so nothing is added.
    const second = start([], { OTO_DEMO: "1" });
    await second.waitFor(/^demo: the database already has accounts; not seeding$/, 45_000);
    expect(await counts(second.url()!)).toEqual({ ...seeded, accounts: seeded.accounts + 1 });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 240_000);

  it("without --demo or OTO_DEMO, an empty database stays empty", async () => {
    const empty = await mkdtemp(join(tmpdir(), "oto-no-demo-"));
    try {
      const child = spawn(process.execPath, [OTO_BIN, "server", "start", "--port", "0", "--data-dir", empty, "--json"], {
        env: cleanEnv({ OTO_LOG_LEVEL: "info" }),
      });
      children.push(child);
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      const exited = new Promise((resolve) => child.on("exit", resolve));
      const deadline = Date.now() + 45_000;
      while (!/"url":/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = (JSON.parse(stdout.split("\n").find((line) => line.includes('"url":'))!) as { url: string }).url;
      await new Promise((r) => setTimeout(r, 500));
      expect(await counts(url)).toEqual({ accounts: 0, agents: 0, creations: 0 });
      expect(stdout).not.toContain("demo:");
      child.kill("SIGTERM");
      await exited;
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 90_000);

  const adminUrl = process.env.OTO_TEST_DATABASE_URL;
  it.runIf(adminUrl)("two servers started together on one empty PostgreSQL database: only one seeds", async () => {
    const database = await createTestDatabase(adminUrl!);
    const dirs = [await mkdtemp(join(tmpdir(), "oto-demo-a-")), await mkdtemp(join(tmpdir(), "oto-demo-b-"))];
    try {
      const servers = dirs.map((dir) => start(["--demo"], { DATABASE_URL: database.url }, dir));
      const said = await Promise.all(
        servers.map((server) => server.waitFor(/^demo: (seeding a demo wall|another server is seeding this database; not seeding|the database already has accounts; not seeding)/, 60_000)),
      );
      expect(said.filter((msg) => msg.startsWith("demo: seeding")), said.join(" | ")).toHaveLength(1);
      const seeder = servers[said.findIndex((msg) => msg.startsWith("demo: seeding"))]!;
      await seeder.waitFor(/^demo: ready/, 150_000);
      const other = servers.find((server) => server !== seeder)!;
      expect(await counts(other.url()!)).toEqual({ accounts: 8, agents: 32, creations: 60 });
      for (const server of servers) server.child.kill("SIGTERM");
      expect(await Promise.all(servers.map((server) => server.exited))).toEqual([0, 0]);
    } finally {
      await database.drop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
