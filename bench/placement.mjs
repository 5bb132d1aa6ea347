// Placement cost per post-it on a wall of 1,000,000 post-its as a ratio of the same on a wall of 1,000 (aim ≤ 2).
// Usage: node bench/placement.mjs [--big 1000000] [--small 1000] [--batch 500] [--rounds 21]
// Bundles packages/server/src/wall/placement with esbuild (a workspace dependency), so no build step is needed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

// A full GC before every timed batch keeps collector pauses out of the figures: re-run with --expose-gc.
if (typeof globalThis.gc !== "function") {
  const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts } = parseArgs({
  options: {
    big: { type: "string", default: "1000000" },
    small: { type: "string", default: "1000" },
    batch: { type: "string", default: "500" },
    rounds: { type: "string", default: "21" },
  },
});
const BIG = Number(opts.big);
const SMALL = Number(opts.small);
const BATCH = Number(opts.batch);
const ROUNDS = Number(opts.rounds);
const PER_ACCOUNT = 10; // post-its per account on the generated wall: 1 golden agent + 9 creations

const outDir = mkdtempSync(join(tmpdir(), "oto-placement-bench-"));
const outfile = join(outDir, "placement.mjs");
const esbuild = spawnSync(
  join(root, "node_modules/.bin/esbuild"),
  [join(root, "packages/server/src/wall/placement/index.ts"), "--bundle", "--platform=node", "--format=esm", `--outfile=${outfile}`, "--log-level=warning"],
  { stdio: "inherit" },
);
if (esbuild.status !== 0) throw new Error("esbuild failed to bundle the placement engine");
const { PlacementState } = await import(pathToFileURL(outfile).href);
rmSync(outDir, { recursive: true, force: true });

/** Small deterministic PRNG (mulberry32) so every run places the same post-its. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fillWall(total) {
  const state = new PlacementState();
  const accounts = Math.ceil(total / PER_ACCOUNT);
  let placed = 0;
  const t0 = performance.now();
  for (let a = 0; a < accounts && placed < total; a++) {
    for (let i = 0; i < PER_ACCOUNT && placed < total; i++, placed++) {
      state.place({ accountHome: a, kind: i === 0 ? "agent" : "creation", id: `p${a}_${i}` });
    }
  }
  return { state, accounts, fillMs: performance.now() - t0 };
}

/**
 * One measured batch: half the post-its come from new accounts (next homes on the spiral, PER_ACCOUNT each),
 * half from random existing accounts. Afterwards the batch is unplaced (untimed) so every round sees the same wall.
 */
function measureBatch(state, accounts, round) {
  const rand = prng(1234 + round);
  const requests = [];
  for (let i = 0; i < BATCH; i++) {
    const accountHome = i % 2 === 0 ? accounts + Math.floor(i / 2 / PER_ACCOUNT) : Math.floor(rand() * accounts);
    requests.push({ accountHome, kind: i % PER_ACCOUNT === 0 ? "agent" : "creation", id: `bench${round}_${i}` });
  }
  globalThis.gc();
  const placed = new Array(BATCH);
  const sizeBefore = state.size;
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) placed[i] = state.place(requests[i]);
  const ns = ((performance.now() - t0) * 1e6) / BATCH;
  for (let i = 0; i < BATCH; i++) {
    if (!state.unplace({ id: requests[i].id, x: placed[i].x, y: placed[i].y })) throw new Error("unplace failed");
  }
  if (state.size !== sizeBefore) throw new Error(`wall size drifted: ${state.size} != ${sizeBefore}`);
  return ns;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function costOn(total) {
  globalThis.gc();
  // Typed arrays' backing stores are outside the JS heap (heapUsed): count them too (arrayBuffers).
  const before = process.memoryUsage();
  const wall = fillWall(total);
  globalThis.gc();
  const after = process.memoryUsage();
  const samples = Array.from({ length: ROUNDS }, (_, r) => measureBatch(wall.state, wall.accounts, r));
  return { ns: median(samples), samples, fillMs: wall.fillMs, bytesPerPostIt: (after.heapUsed - before.heapUsed) / total, bufferBytesPerPostIt: (after.arrayBuffers - before.arrayBuffers) / total, size: wall.state.size };
}

// Warm-up: let the JIT settle on both small and large walls before anything is measured.
costOn(SMALL);
costOn(Math.min(BIG, 100_000));
costOn(SMALL);
// The small wall is measured before and after the big one and the faster figure kept, so a slow patch of a
// shared machine cannot flatter the ratio.
const smallA = costOn(SMALL);
const big = costOn(BIG);
const smallB = costOn(SMALL);
const small = smallA.ns <= smallB.ns ? smallA : smallB;
const fmt = (n) => n.toFixed(0);
console.log(`placement engine: ${PER_ACCOUNT} post-its per account, batches of ${BATCH} (half new accounts, half existing), median of ${ROUNDS} rounds`);
console.log(`  wall of ${small.size.toLocaleString("en")}: ${fmt(small.ns)} ns per placement (rounds: ${small.samples.map(fmt).join(", ")})`);
console.log(`  wall of ${big.size.toLocaleString("en")}: ${fmt(big.ns)} ns per placement (rounds: ${big.samples.map(fmt).join(", ")}); filled in ${(big.fillMs / 1000).toFixed(1)} s, ~${fmt(big.bytesPerPostIt)} bytes of heap + ~${fmt(big.bufferBytesPerPostIt)} of array buffers per post-it`);
const ratio = big.ns / small.ns;
console.log(`placement cost per post-it at ${big.size.toLocaleString("en")} / at ${small.size.toLocaleString("en")}: ${ratio.toFixed(2)} (aim ≤ 2) ${ratio <= 2 ? "OK" : "ABOVE AIM"}`);
