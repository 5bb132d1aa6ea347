// `oto demo seed` (the built binary) against a real server: accounts with agents of every kind, published
// creations and forks several levels deep across accounts, paid from starter tokens; a second run adds more.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import { createOto } from "@oto/sdk";
import { seedDemo } from "../src/demo/seed.js";
import { assertBuilt, makeHome, runOto, runOtoInPty, visibleLines, type TestHome } from "./helpers.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let home: TestHome;

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000", OTO_STARTER_TOKENS: "50" });
  home = await makeHome();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await home?.cleanup();
});

const seed = (args: string[]) =>
  runOto(["demo", "seed", ...args], { env: { ...home.env, OTO_SERVER: server.url }, timeoutMs: 120_000 });

async function creationsOf(accountId: string) {
  const rows = await server.app.db.query<{ id: string; state: string; source_ids: string[]; account_id: string; prompt: string; kind: string }>(
    "SELECT id, state, source_ids, account_id, prompt, kind FROM creations WHERE account_id = $1 ORDER BY id",
    [accountId],
  );
  return rows;
}

describe("oto demo seed", () => {
  let first: any;

  it("signs up accounts with one agent of each kind, and makes published creations and forks", async () => {
    const result = await seed(["--accounts", "3", "--creations", "14", "--seed", "5", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    first = JSON.parse(result.stdout);
    expect(first).toMatchObject({ seed: 5, skipped: 0, fork_via: "fork" });
    expect(first.accounts).toHaveLength(3);
    expect(first.creations).toHaveLength(14);
    expect(first.roots + first.forks).toBe(14);
    expect(first.max_depth).toBeGreaterThanOrEqual(3);

    const oto = createOto({ baseUrl: server.url, apiKey: "" });
    const byId = new Map<string, { account_id: string; source_ids: string[]; state: string }>();
    for (const account of first.accounts) {
      expect(account.agents.map((a: { kind: string }) => a.kind).sort()).toEqual(["image", "text", "video", "voice"]);
      const agents = await server.app.db.query<{ kind: string }>("SELECT kind FROM agents WHERE account_id = $1 ORDER BY kind", [account.id]);
      expect(agents.map((a) => a.kind)).toEqual(["image", "text", "video", "voice"]);
      const rows = await creationsOf(account.id);
      for (const row of rows) byId.set(row.id, row);
      // Starter tokens paid for every run, one token each.
      const balance = await server.app.db.query<{ available: number; held: number }>(
        "SELECT available, held FROM token_balances WHERE account_id = $1",
        [account.id],
      );
      expect(balance[0]).toEqual({ available: 50 - rows.length, held: 0 });
    }
    expect([...byId.keys()].sort()).toEqual([...first.creations].sort());
    for (const row of byId.values()) expect(row.state).toBe("published");

    // The deepest chain, followed through the stored sources: each step by another account.
    let deepest = 0;
    let crossesAccounts = false;
    for (const id of byId.keys()) {
      const chain: string[] = [id];
      for (let at = byId.get(id)!; at.source_ids.length > 0; at = byId.get(at.source_ids[0]!)!) chain.push(at.source_ids[0]!);
      deepest = Math.max(deepest, chain.length - 1);
      const owners = chain.map((c) => byId.get(c)!.account_id);
      if (owners.length >= 4 && owners.every((o, i) => i === 0 || o !== owners[i - 1])) crossesAccounts = true;
    }
    expect(deepest).toBe(first.max_depth);
    expect(crossesAccounts).toBe(true);

    // Searchable and on the wall.
    const hits = await oto.search(first.accounts[0].handle, { type: "account" });
    expect(hits.data.map((h) => h.id)).toContain(first.accounts[0].id);
  }, 120_000);

  it("runs again with the same seed: same prompts, suffixed handles, nothing fails", async () => {
    const result = await seed(["--accounts", "3", "--creations", "14", "--seed", "5", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const second = JSON.parse(result.stdout);
    expect(second.creations).toHaveLength(14);
    const handles = second.accounts.map((a: { handle: string }) => a.handle);
    expect(handles).toEqual(first.accounts.map((a: { handle: string }) => `${a.handle}-2`));
    const prompts = async (summary: any) =>
      (await Promise.all(summary.accounts.map((a: { id: string }) => creationsOf(a.id))))
        .map((rows: Array<{ kind: string; prompt: string }>) => rows.map((r) => `${r.kind}:${r.prompt}`).sort())
        .join("|");
    expect(await prompts(second)).toBe(await prompts(first));
  }, 120_000);

  it("prints progress lines and a summary off a terminal", async () => {
    const result = await seed(["--accounts", "1", "--creations", "2", "--seed", "9"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/signed up @\S+ \(1\/1\)/);
    expect(result.stderr).toMatch(/made \w+ ".+" by @\S+ \(1\/2\)/);
    expect(result.stderr).toMatch(/✔ Seeded 1 account and 2 creations in [\d.]+ s\./);
    expect(result.stdout).toMatch(/^creations\s+\d+ originals? and \d+ forks?/m);
    expect(result.stdout).toContain(`see it     ${server.url}/`);
  }, 60_000);

  it("shows a spinner with counts on a terminal instead of a line per step", async () => {
    const term = await runOtoInPty(["demo", "seed", "--accounts", "1", "--creations", "3", "--seed", "2"], {
      env: { ...home.env, OTO_SERVER: server.url },
    });
    try {
      await term.waitFor(/Seeding the demo wall on \S+: \d\/1 accounts, \d\/3 creations/, 30_000);
      await term.waitFor("✔ Seeded 1 account and 3 creations", 60_000);
      expect((await term.exit).exitCode).toBe(0);
      const lines = visibleLines(term.output);
      expect(lines.some((line) => /^(made|forked|signed up) /.test(line))).toBe(false);
      expect(lines.some((line) => /^see it\s+http/.test(line))).toBe(true);
    } finally {
      term.kill();
    }
  }, 90_000);

  it("refuses bad numbers (exit 2) and a server that is not there (exit 1)", async () => {
    for (const args of [["--accounts", "0"], ["--creations", "-1"], ["--seed", "x"], ["--concurrency", "99"]]) {
      const result = await seed(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^oto: /);
    }
    const down = await runOto(["demo", "seed", "--server", "http://127.0.0.1:9"], { env: home.env, timeoutMs: 30_000 });
    expect(down.code).toBe(1);
    expect(down.stderr.trimEnd().split("\n")[0]).toMatch(/^oto: error: cannot reach/);
  }, 60_000);
});

describe("seedDemo and the sign-up rate limit", () => {
  it("waits as long as the server says, then goes on", async () => {
    const events: string[] = [];
    let refused = 0;
    let signUps = 0;
    // The server's answer to the second sign-up is replaced by the 429 its rate limit would give.
    const fetchWithLimit: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const signUp = request.method === "POST" && new URL(request.url).pathname === "/v1/accounts";
      if (signUp && ++signUps === 2) {
        refused += 1;
        return new Response(
          JSON.stringify({ type: "https://oto.dev/problems/rate_limited", title: "Too many requests", status: 429, code: "rate_limited", detail: "Slow down.", request_id: "req_x" }),
          { status: 429, headers: { "content-type": "application/problem+json", "retry-after": "1" } },
        );
      }
      return fetch(request);
    };
    const started = Date.now();
    const summary = await seedDemo({
      accounts: 2,
      creations: 2,
      seed: 11,
      client: (apiKey) => createOto({ baseUrl: server.url, apiKey: apiKey ?? "", fetch: fetchWithLimit, maxRetries: 0 }),
      onEvent: (event) => events.push(event.type === "waiting" ? `waiting ${event.seconds}` : event.type),
    });
    expect(refused).toBe(1);
    expect(events.filter((e) => e !== "creation")).toEqual(["account", "waiting 1", "account"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(summary.accounts).toHaveLength(2);
    expect(summary.creations).toHaveLength(2);
  }, 60_000);
});
