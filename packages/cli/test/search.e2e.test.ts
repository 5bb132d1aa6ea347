// `oto search` (the built binary) against a real server filled by the demo seeder: a table like other lists,
// --json pages, filters, cursors, and one-line usage errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOto } from "@oto/sdk";
import { type DemoWall, startDemoWall } from "./demo-wall.js";

let wall: DemoWall;

beforeAll(async () => {
  wall = await startDemoWall({ accounts: 3, creations: 16, seed: 21 });
}, 120_000);
afterAll(async () => {
  await wall?.close();
});

const oto = (args: string[], env?: Record<string, string>) => wall.oto(args, env);

async function json(args: string[]) {
  const result = await oto([...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout);
}

describe("oto search", () => {
  it("prints a table of hits, best first, without an account", async () => {
    const handle = wall.demo.accounts[0]!.handle;
    const result = await oto(["search", handle]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+TITLE\s+BY\s+AT$/);
    const row = lines.find((line) => line.startsWith(wall.demo.accounts[0]!.id));
    expect(row).toMatch(new RegExp(`^acc_\\S+\\s+account\\s+.+\\s+@${handle}\\s+-?\\d+,-?\\d+$`));
  });

  it("--json gives the API's page; words are joined into one query", async () => {
    const page = await json(["search", "a", "the", "of"]);
    expect(page).toEqual({ data: [], next_cursor: null });
    const all = await json(["search", "--all", ...wall.demo.accounts.map((a) => a.handle).slice(0, 1)]);
    expect(all.data.map((hit: { id: string }) => hit.id)).toContain(wall.demo.accounts[0]!.id);
  });

  it("filters by kind and type, and pages with --cursor", async () => {
    const oto2 = createOto({ baseUrl: wall.server.url, apiKey: "" });
    const creation = await oto2.creations.get(wall.demo.creations[0]!);
    const word = creation.title.split(" ").find((w) => w.length > 4)!;
    const byKind = await json(["search", word, "--kind", creation.kind, "--limit", "100"]);
    expect(byKind.data.length).toBeGreaterThan(0);
    for (const hit of byKind.data) expect(hit).toMatchObject({ type: "creation", kind: creation.kind });
    expect(byKind.data.map((hit: { id: string }) => hit.id)).toContain(creation.id);

    const everything = await json(["search", word, "--limit", "100"]);
    if (everything.data.length > 1) {
      const first = await json(["search", word, "--limit", "1"]);
      expect(first.next_cursor).toEqual(expect.any(String));
      const second = await json(["search", word, "--limit", "1", "--cursor", first.next_cursor]);
      expect([first.data[0].id, second.data[0].id]).toEqual(everything.data.slice(0, 2).map((h: { id: string }) => h.id));
    }
    const accounts = await json(["search", wall.demo.accounts[1]!.handle, "--type", "account"]);
    for (const hit of accounts.data) expect(hit.type).toBe("account");
  });

  it("says when nothing matches, on stderr", async () => {
    const result = await oto(["search", "zzqxnothing"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe('Nothing matches "zzqxnothing".\n');
  });

  it("refuses bad input with one line and exit 2", async () => {
    for (const args of [
      ["search"],
      ["search", "x", "--type", "agent"],
      ["search", "x", "--kind", "music"],
      ["search", "x", "--limit", "0"],
      ["search", "x", "--type", "account", "--kind", "image"],
      ["search", "x", "--all", "--cursor", "abc"],
      ["search", "x".repeat(201)],
      ["search", "   "],
    ]) {
      const result = await oto(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^oto: /);
    }
    const badCursor = await oto(["search", "x", "--cursor", "abc"]);
    expect(badCursor.code).toBe(1);
    expect(badCursor.stderr).toMatch(/^oto: error: .*cursor/);
  });
});
