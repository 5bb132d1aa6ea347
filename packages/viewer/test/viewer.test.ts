import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStatus, fetchServerStatus, formatUptime } from "../src/health.js";

const viewerDir = join(import.meta.dirname, "..");

describe("viewer build", () => {
  let outDir: string;

  // Build into a temporary folder: other tests may be serving packages/viewer/dist at the same time.
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "oto-viewer-"));
    await promisify(execFile)(process.execPath, ["build.mjs", "--out", outDir], { cwd: viewerDir });
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it("writes index.html linking the API reference and the spec", async () => {
    const html = await readFile(join(outDir, "index.html"), "utf8");
    expect(html).toContain('href="/docs"');
    expect(html).toContain('href="/openapi.yaml"');
    expect(html).toMatch(/oto register[\s\S]*oto login[\s\S]*oto whoami/);
  });

  it("writes every asset index.html refers to", async () => {
    const html = await readFile(join(outDir, "index.html"), "utf8");
    const assets = [...html.matchAll(/(?:href|src)="([^"/:][^":]*)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual(["main.js", "style.css"]);
    for (const asset of assets) expect(existsSync(join(outDir, asset)), asset).toBe(true);
    expect(await readFile(join(outDir, "main.js"), "utf8")).toContain("/v1/health");
  });
});

describe("server status", () => {
  let server: Server;
  let baseUrl: string;
  let answer: { status: number; body: string };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("shows status, version and uptime of a healthy server", async () => {
    answer = { status: 200, body: JSON.stringify({ status: "ok", version: "1.2.3", uptime_s: 7300 }) };
    expect(describeStatus(await fetchServerStatus(baseUrl))).toBe("server ok · v1.2.3 · up 2h");
  });

  it("shows the HTTP status of a failing server", async () => {
    answer = { status: 503, body: "{}" };
    expect(describeStatus(await fetchServerStatus(baseUrl))).toBe("server HTTP 503");
  });

  it("says when nothing answers", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(describeStatus(await fetchServerStatus(`http://127.0.0.1:${port}`))).toBe("server unreachable");
  });

  it("rounds uptime down to the largest unit", () => {
    expect([59, 60, 3599, 3600, 86_399, 86_400].map(formatUptime)).toEqual(["59s", "1m", "59m", "1h", "23h", "1d"]);
  });
});
