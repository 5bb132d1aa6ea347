import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, sendProblem, startScriptedServer, type ScriptedServer } from "./support/scripted-server.js";

// The built package, loaded by a plain Node process the way users load it: require() from
// CommonJS (n8n's Code node) and import from ESM, with no build step or TypeScript in between.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

/** Builds the package unless dist/ is there and newer than every source file. */
function ensureBuilt(): void {
  const outputs = ["index.js", "index.cjs", "index.d.ts", "index.d.cts"].map(dist);
  const srcDir = fileURLToPath(new URL("../src/", import.meta.url));
  const sources = readdirSync(srcDir, { recursive: true }).map(String);
  const newestSource = Math.max(...sources.map((f) => statSync(srcDir + f).mtimeMs));
  const fresh = outputs.every((file) => existsSync(file) && statSync(file).mtimeMs >= newestSource);
  if (!fresh) execFileSync("pnpm", ["run", "build"], { cwd: packageDir, stdio: "ignore" });
}

async function node(args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const { stdout } = await run(process.execPath, args, { cwd: packageDir, env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

let server: ScriptedServer;

beforeAll(async () => {
  ensureBuilt();
  server = await startScriptedServer((req, res) =>
    req.url === "/v1/health"
      ? sendJson(res, 200, { status: "ok", version: "0.1.0", uptime_s: 1, user_agent: req.headers["user-agent"] })
      : sendProblem(res, 401, "missing_api_key", "Send an API key."),
  );
}, 120_000);
afterAll(() => server.close());

const script = `
  const oto = createOto({ baseUrl: process.env.BASE_URL, apiKey: "" });
  const health = await oto.health();
  const failure = await oto.me().catch((e) => e);
  console.log(JSON.stringify({
    version: SDK_VERSION,
    health,
    isOtoError: failure instanceof OtoError,
    isAuthError: failure instanceof OtoAuthError,
    message: failure.message,
  }));
`;

function expectWorking(result: unknown): void {
  expect(result).toEqual({
    version,
    health: { status: "ok", version: "0.1.0", uptime_s: 1, user_agent: `oto-sdk/${version} node/${process.versions.node}` },
    isOtoError: true,
    isAuthError: true,
    message: "Send an API key. (missing_api_key, HTTP 401, request req_401)",
  });
}

describe("the built package", () => {
  it("works with require() of dist/index.cjs", async () => {
    const code = `const { createOto, OtoError, OtoAuthError, SDK_VERSION } = require(${JSON.stringify(dist("index.cjs"))});
      (async () => { ${script} })().catch((e) => { console.error(e); process.exit(1); });`;
    expectWorking(await node(["-e", code], { BASE_URL: server.url }));
  });

  it("works with import of dist/index.js", async () => {
    const code = `import { createOto, OtoError, OtoAuthError, SDK_VERSION } from ${JSON.stringify(`file://${dist("index.js")}`)};
      ${script}`;
    expectWorking(await node(["--input-type=module", "-e", code], { BASE_URL: server.url }));
  });

  it("resolves require('@oto/sdk') and import('@oto/sdk') through the exports map", async () => {
    const code = `const cjs = require("@oto/sdk");
      import("@oto/sdk").then((esm) => console.log(JSON.stringify({
        cjs: typeof cjs.createOto, esm: typeof esm.createOto, cjsFile: require.resolve("@oto/sdk"),
      })));`;
    expect(await node(["-e", code])).toEqual({ cjs: "function", esm: "function", cjsFile: dist("index.cjs") });
  });

  it("bundles openapi-fetch and eventsource-parser instead of requiring them at run time", () => {
    for (const file of ["index.cjs", "index.js"]) {
      expect(readFileSync(dist(file), "utf8")).not.toMatch(/(require\(|from )["'](openapi-fetch|eventsource-parser)["']/);
    }
  });
});
