// A real server filled by the demo seeder, plus a CLI home pointed at it: the fixture of the CLI tests that need
// a wall with accounts, agents, creations and forks on it.
import { createOto } from "@oto/sdk";
import { startTestServer } from "@oto/server/testing";
import { type DemoSummary, seedDemo } from "../src/demo/seed.js";
import { type OtoResult, type TestHome, assertBuilt, makeHome, runOto } from "./helpers.js";

export interface DemoWall {
  server: Awaited<ReturnType<typeof startTestServer>>;
  home: TestHome;
  demo: DemoSummary;
  /** Runs the built `oto` against this server from the test home (extra env on top). */
  oto(args: string[], env?: Record<string, string>): Promise<OtoResult>;
  close(): Promise<void>;
}

export async function startDemoWall(plan: { accounts: number; creations: number; seed: number }): Promise<DemoWall> {
  assertBuilt();
  const server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000" });
  const home = await makeHome();
  const demo = await seedDemo({ ...plan, client: (apiKey) => createOto({ baseUrl: server.url, apiKey: apiKey ?? "" }) });
  return {
    server,
    home,
    demo,
    oto: (args, env = {}) => runOto(args, { env: { ...home.env, OTO_SERVER: server.url, ...env }, timeoutMs: 30_000 }),
    close: async () => {
      await server.close();
      await home.cleanup();
    },
  };
}
