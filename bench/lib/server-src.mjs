// Server modules for the benches, straight from packages/server/src (no build needed): esbuild bundles the few
// modules asked for into packages/server/node_modules/.cache, where the server's own dependencies (PGlite…) and its
// migrations folder are found as they are at run time.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

const ENTRY = `
export { openDatabase } from "./db/open.js";
export { readMigrations } from "./db/migrations.js";
export { PlacementState } from "./wall/placement/index.js";
export { LiveWallIndex } from "./wall/index/live.js";
export { WallIndex } from "./wall/index/spatialIndex.js";
`;

let loaded;

/** { openDatabase, readMigrations, PlacementState, LiveWallIndex, WallIndex } */
export function loadServerModules() {
  loaded ??= (async () => {
    const outDir = join(root, "packages/server/node_modules/.cache/oto-bench");
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, `wall-modules-${process.pid}.mjs`);
    const result = spawnSync(
      join(root, "node_modules/.bin/esbuild"),
      ["--bundle", "--platform=node", "--format=esm", "--packages=external", "--loader=ts", "--sourcefile=bench-entry.ts", `--outfile=${outfile}`, "--log-level=warning"],
      { cwd: join(root, "packages/server/src"), input: ENTRY, stdio: ["pipe", "inherit", "inherit"] },
    );
    if (result.status !== 0) throw new Error("esbuild could not bundle the server modules");
    try {
      return await import(pathToFileURL(outfile).href);
    } finally {
      rmSync(outfile, { force: true });
    }
  })();
  return loaded;
}
