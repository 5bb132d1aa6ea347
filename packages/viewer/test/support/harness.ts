import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { WallInfo, WallItemsTile, WallTile } from "@oto/sdk/schema";
import { type Browser, type Page, chromium } from "playwright-core";
import { type RunningServer, startTestServer } from "../../../server/src/testing.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..", "..");
const viewerDir = join(root, "packages", "viewer");
const cliBin = join(root, "packages", "cli", "dist", "bin.js");

export const CHROMIUM = process.env.OTO_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--enable-unsafe-swiftshader",
  "--use-angle=swiftshader",
  "--ignore-gpu-blocklist",
  "--no-sandbox",
  "--disable-dev-shm-usage",
];

/** The viewer's dist (the server serves it at /); built here when missing (`pnpm test` builds it first). */
export async function ensureViewerBuilt(): Promise<void> {
  if (!existsSync(join(viewerDir, "dist", "index.html"))) {
    await run(process.execPath, ["build.mjs"], { cwd: viewerDir });
  }
}

/** A real server (PGlite in memory, or PostgreSQL with OTO_TEST_DATABASE_URL) with a demo wall made through its API. */
export async function startSeededServer(options: { accounts: number; creations: number; seed: number }): Promise<RunningServer> {
  await ensureViewerBuilt();
  const server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1000" });
  const config = await mkdtemp(join(tmpdir(), "oto-viewer-cli-"));
  try {
    await run(
      process.execPath,
      [cliBin, "--server", server.url, "--json", "--no-input", "demo", "seed",
        "--accounts", String(options.accounts), "--creations", String(options.creations), "--seed", String(options.seed)],
      { env: { ...process.env, HOME: config, OTO_CONFIG_DIR: config, NO_COLOR: "1" }, timeout: 120_000 },
    );
  } catch (err) {
    await server.close();
    throw err;
  } finally {
    await rm(config, { recursive: true, force: true });
  }
  return server;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Every items tile of the wall, read from the API (the truth the page is checked against). */
export async function allItemTiles(base: string): Promise<WallItemsTile[]> {
  const wall = await getJson<WallInfo>(`${base}/v1/wall`);
  const b = wall.bounds!;
  const side = wall.items_tile_size;
  const keys: string[] = [];
  for (let y = Math.floor(b.min_y / side); y <= Math.floor(b.max_y / side); y++)
    for (let x = Math.floor(b.min_x / side); x <= Math.floor(b.max_x / side); x++) keys.push(`${wall.items_zoom}/${x}/${y}`);
  const tiles: WallItemsTile[] = [];
  for (let i = 0; i < keys.length; i += 16) {
    const batch = await getJson<{ tiles: WallTile[] }>(`${base}/v1/wall/tiles?keys=${keys.slice(i, i + 16).join(",")}`);
    for (const t of batch.tiles) if (t.type === "items") tiles.push(t);
  }
  return tiles;
}

/** Waits until the view's tiles are all drawn, no tile is still coming and the camera rests. */
export async function waitForWall(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const oto = (window as any).oto;
      return oto?.state?.wall && oto.scene.settled && oto.scene.stats.frames > 1;
    },
    undefined,
    { timeout: 20_000, polling: 50 },
  );
  // One more frame so what was shown is on the canvas.
  await nextFrames(page);
}

/** Two animation frames: whatever the scene did for the last change is on the canvas. */
export async function nextFrames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** RGB of screen pixels, read from a real screenshot (what the user sees), decoded in the page. */
export async function pixels(page: Page, points: { x: number; y: number }[]): Promise<[number, number, number][]> {
  const png = (await page.screenshot({ type: "png" })).toString("base64");
  return page.evaluate(
    async ({ png, points }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(image, 0, 0);
      return points.map((p) => {
        const d = ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data;
        return [d[0]!, d[1]!, d[2]!] as [number, number, number];
      });
    },
    { png, points },
  );
}

export function hexRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1, 7), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export const colourDistance = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
