// `oto wall info`, `oto wall locate` and `oto open` (the built binary) against a real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOto } from "@oto/sdk";
import { type DemoWall, startDemoWall } from "./demo-wall.js";

let wall: DemoWall;

beforeAll(async () => {
  wall = await startDemoWall({ accounts: 2, creations: 4, seed: 4 });
}, 120_000);
afterAll(async () => {
  await wall?.close();
});

const oto = (args: string[], env?: Record<string, string>) => wall.oto(args, env);

describe("oto wall", () => {
  it("info prints the counts and extent; --json the API's answer", async () => {
    const result = await oto(["wall", "info"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^accounts\s+2$/m);
    expect(result.stdout).toMatch(/^agents\s+8$/m);
    expect(result.stdout).toMatch(/^creations\s+4$/m);
    expect(result.stdout).toMatch(/^extent\s+\d+ × \d+ units/m);
    const info = JSON.parse((await oto(["wall", "info", "--json"])).stdout);
    expect(info).toMatchObject({ counts: { accounts: 2, agents: 8, creations: 4 }, items_zoom: 12 });
  });

  it("locate finds a creation, an agent and a home; x,y on stdout", async () => {
    const sdk = createOto({ baseUrl: wall.server.url, apiKey: "" });
    const creation = await sdk.creations.get(wall.demo.creations[0]!);
    const byCreation = await oto(["wall", "locate", "--creation", creation.id]);
    expect(byCreation.code, byCreation.stderr).toBe(0);
    expect(byCreation.stdout).toBe(`${creation.placement!.x},${creation.placement!.y}\n`);
    expect(byCreation.stderr).toMatch(/post-it is at \(-?\d+, -?\d+\), \d+ units wide, in tile 12\/-?\d+\/-?\d+\./);

    const agent = wall.demo.accounts[0]!.agents[0]!;
    const byAgent = JSON.parse((await oto(["wall", "locate", "--agent", agent.id, "--json"])).stdout);
    expect(byAgent).toMatchObject({ type: "agent", id: agent.id });

    const handle = wall.demo.accounts[1]!.handle;
    const byHandle = JSON.parse((await oto(["wall", "locate", "--handle", `@${handle}`, "--json"])).stdout);
    expect(byHandle).toMatchObject({ type: "home", id: wall.demo.accounts[1]!.id });
  });

  it("locate wants exactly one well-formed target (exit 2) and reports what is not on the wall (exit 1)", async () => {
    for (const args of [[], ["--creation", "cr_x"], ["--handle", "A!"], ["--handle", "ada", "--agent", "ag_x"]]) {
      const result = await oto(["wall", "locate", ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^oto: /);
    }
    const missing = await oto(["wall", "locate", "--handle", "nobody-here"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.split("\n")[0]).toMatch(/^oto: error: .*nobody-here/);
  });
});

describe("oto open", () => {
  it("prints the viewer's link for a creation, a handle or the whole wall", async () => {
    const id = wall.demo.creations[0]!;
    expect((await oto(["open", id])).stdout).toBe(`${wall.server.url}/?n=${id}\n`);
    expect((await oto(["open", "@ada"])).stdout).toBe(`${wall.server.url}/?h=ada\n`);
    expect((await oto(["open", "ada"])).stdout).toBe(`${wall.server.url}/?h=ada\n`);
    expect((await oto(["open"])).stdout).toBe(`${wall.server.url}/\n`);
    expect(JSON.parse((await oto(["open", id, "--json"])).stdout)).toEqual({ url: `${wall.server.url}/?n=${id}` });
  });

  it("refuses what is neither a creation nor a handle (exit 2)", async () => {
    for (const target of ["cr_short", "@A", "hello world", "ag_01jd3x9v6q8r5m2k7n4p0w1z3y"]) {
      const result = await oto(["open", target]);
      expect(result.code, target).toBe(2);
      expect(result.stderr).toMatch(/^oto: error: /);
    }
  });
});
