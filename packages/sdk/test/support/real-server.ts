import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The real server for the SDK's end-to-end tests (built @oto/server, in-memory PGlite, or PostgreSQL
// when OTO_TEST_DATABASE_URL is set). It is loaded from its build output by path: @oto/sdk does not
// depend on @oto/server (the server already depends on the SDK for its types).

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}
type StartTestServer = (overrides?: Record<string, string>) => Promise<RunningServer>;

const serverTestingFile = fileURLToPath(new URL("../../../server/dist/testing.js", import.meta.url));

export async function startTestServer(overrides?: Record<string, string>): Promise<RunningServer> {
  if (!existsSync(serverTestingFile)) {
    throw new Error(`${serverTestingFile} is missing: run \`pnpm --filter @oto/server build\` first`);
  }
  const testing = (await import(serverTestingFile)) as { startTestServer: StartTestServer };
  return testing.startTestServer(overrides);
}
