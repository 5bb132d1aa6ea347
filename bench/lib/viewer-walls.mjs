// Walls for the viewer bench, generated once by bench/lib/wall-fixture.mjs and kept under bench/.cache/.
// A cached wall is reused only while the generator, the placement engine and the migrations are unchanged
// (their hash is in the folder name); a folder left half-written by an interrupted run is never used.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateWall } from "./wall-fixture.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const CACHE_DIR = join(root, "bench/.cache");

function filesUnder(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** Hash of everything that decides what the generator writes. */
function fixtureKey() {
  const hash = createHash("sha256");
  const inputs = [
    join(root, "bench/lib/wall-fixture.mjs"),
    ...filesUnder(join(root, "packages/server/migrations")),
    ...filesUnder(join(root, "packages/server/src/wall/placement")),
  ];
  for (const file of inputs) hash.update(file.slice(root.length)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 12);
}

/** The PGlite folder of a wall of `postits` post-its, generated on first use (or always with `fresh`). */
export async function wallDir({ postits, perAccount = 100, fresh = false, reuse = false, log = () => {} }) {
  const dir = join(CACHE_DIR, `viewer-wall-${postits}-${perAccount}-${fixtureKey()}`);
  const done = join(dir, ".oto-bench-complete");
  if (!fresh && existsSync(done)) return { dir, cached: true };
  if (reuse && !fresh) {
    // --reuse-walls: the newest complete wall of this size, whatever its hash (the placement engine is being
    // edited and the wall it would make does not matter to what is measured).
    const prefix = `viewer-wall-${postits}-${perAccount}-`;
    const found = (existsSync(CACHE_DIR) ? readdirSync(CACHE_DIR) : [])
      .filter((name) => name.startsWith(prefix) && !name.includes(".partial") && existsSync(join(CACHE_DIR, name, ".oto-bench-complete")))
      .map((name) => join(CACHE_DIR, name))
      .sort((a, b) => statSync(join(b, ".oto-bench-complete")).mtimeMs - statSync(join(a, ".oto-bench-complete")).mtimeMs);
    if (found.length > 0) {
      log(`reusing ${found[0]} (--reuse-walls)`);
      return { dir: found[0], cached: true };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  await generateWall({ dir: partial, postits, perAccount, log });
  writeFileSync(join(partial, ".oto-bench-complete"), `${new Date().toISOString()}\n`);
  renameSync(partial, dir);
  return { dir, cached: false };
}
