// The real oTo server for the viewer bench (bench/servers/oto.mjs, built server, PGlite data folder, 127.0.0.1),
// and what the baseline page needs from its API: the post-its and strings of a wall rectangle.
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Starts the server on `dataDir`; answers { url, close() }. Waits for its index to be built (start resolves after). */
export function startServer(dataDir, { logLevel = "warn" } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, "bench/servers/oto.mjs"), {
      env: { ...process.env, OTO_DATA_DIR: dataDir, OTO_LOG_LEVEL: logLevel, NODE_ENV: "production" },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const onExit = (code) => reject(new Error(`the oTo server exited with code ${code} before it listened`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolve({
        url: message.url,
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
            setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 10_000).unref();
          }),
      });
    });
  });
}

export async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The post-its (by centre) and strings of the items tiles overlapping `rect` (wall units), from the API. */
export async function itemsInRect(base, wall, rect) {
  const side = wall.items_tile_size;
  const keys = [];
  for (let y = Math.floor(rect.minY / side); y <= Math.floor(rect.maxY / side); y++)
    for (let x = Math.floor(rect.minX / side); x <= Math.floor(rect.maxX / side); x++) keys.push(`${wall.items_zoom}/${x}/${y}`);
  const postits = new Map();
  const strings = new Map();
  for (let i = 0; i < keys.length; i += 16) {
    const batch = await getJson(`${base}/v1/wall/tiles?keys=${keys.slice(i, i + 16).join(",")}`);
    for (const tile of batch.tiles) {
      if (tile.type !== "items") continue;
      for (const p of tile.postits) postits.set(p.id, p);
      for (const s of tile.strings) strings.set(s.id, s);
    }
  }
  return { postits: [...postits.values()], strings: [...strings.values()] };
}
