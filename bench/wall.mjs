// The wall at scale, on a wall of 1,000,000 post-its (aims in brackets):
//   (a) placement cost per post-it at 1M / at 1k (≤ 2), from bench/placement.mjs;
//   (b) requests/second of a getWallTiles batch covering ~500 post-its / a bare Fastify route sending a ready-made
//       payload of the same bytes (≥ 0.5), with the tile cache warm and with it off (cold);
//   (c) index build at start / just reading the positions from the database (≤ 2);
//   (d) memory of the index per post-it.
// Usage: node bench/wall.mjs [--postits 1000000] [--dir <wall from bench/wall-generate.mjs>] [--duration 10]
//                            [--warmup 3] [--connections 10] [--rounds 2] [--log-level warn] [--strict]
// Needs the built server (pnpm --filter @oto/server build) for (b). Everything runs on 127.0.0.1.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { benchArgs } from "./lib/args.mjs";
import { generateWall } from "./lib/wall-fixture.mjs";
import { loadServerModules } from "./lib/server-src.mjs";
import { measureLoad, startServerProcess } from "./lib/processes.mjs";

// Heap figures need a full GC before each reading: re-run with --expose-gc.
if (typeof globalThis.gc !== "function") {
  const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { opts, fail, int } = benchArgs("bench/wall", {
  postits: { type: "string", default: "1000000" },
  dir: { type: "string" },
  duration: { type: "string", default: "10" },
  warmup: { type: "string", default: "3" },
  connections: { type: "string", default: "10" },
  rounds: { type: "string", default: "2" },
  "log-level": { type: "string", default: "warn" },
  strict: { type: "boolean", default: false },
});
const POSTITS = int("postits", 1000);
const load = { durationS: int("duration", 1), warmupS: int("warmup", 0), connections: int("connections", 1) };
const ROUNDS = int("rounds", 1);
if (!existsSync(join(root, "packages/server/dist/index.js"))) fail("packages/server/dist is missing: pnpm --filter @oto/server build");

const log = (line) => process.stderr.write(`${line}\n`);
const startServer = startServerProcess;
const measure = (label, url) => measureLoad(label, url, load);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- the wall --------------------------------------------------------------------------------------------------
let dir = opts.dir;
let temporary = false;
if (!dir || !existsSync(dir) || readdirSync(dir).length === 0) {
  dir ??= mkdtempSync(join(tmpdir(), "oto-wall-bench-"));
  temporary = !opts.dir;
  log(`generating a wall of ${POSTITS.toLocaleString("en")} post-its in ${dir}…`);
  await generateWall({ dir, postits: POSTITS, log: (line) => log(`  ${line}`) });
}

try {
  // ---- (c) index build vs reading positions, (d) memory --------------------------------------------------------
  const { openDatabase, readMigrations, LiveWallIndex, WallIndex } = await loadServerModules();
  const db = await openDatabase({ dataDir: dir }, readMigrations());
  let buildMs = [];
  let readMs = [];
  const packedMs = [];
  let bytesPerPostIt;
  let arraysPerPostIt;
  let size;
  let viewport;
  try {
    const memory = () => {
      globalThis.gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    for (let round = 0; round < 3; round++) {
      let t0 = performance.now();
      const read = (await db.query("SELECT x, y FROM wall_postits")).length; // rows dropped at once
      readMs.push(performance.now() - t0);
      size ??= read;
      // The fastest way to read them: one text per query (what the build does, see wall/index/live.ts).
      t0 = performance.now();
      await db.query("SELECT string_agg(x || ',' || y, ';') FROM wall_postits");
      packedMs.push(performance.now() - t0);
      const before = memory();
      t0 = performance.now();
      const live = new LiveWallIndex(db);
      await live.start();
      buildMs.push(performance.now() - t0);
      const after = memory();
      live.close();
      if (round === 0) {
        // PGlite's WebAssembly memory is an ArrayBuffer too and grows while the build queries run, so the index's
        // own size is measured apart: the same post-its put into a second index, with no database involved.
        const entries = live.index.all();
        const start = memory();
        const copy = new WallIndex();
        for (const p of entries) copy.insert(p, true);
        copy.finishBuild(live.index.version);
        await new Promise((resolve) => setTimeout(resolve, 1000)); // let freed array buffers be swept
        bytesPerPostIt = (memory() - start) / copy.size;
        const { arrayBytes, tiles } = copy.footprint();
        arraysPerPostIt = arrayBytes / copy.size;
        log(`  index alone: ${bytesPerPostIt.toFixed(1)} bytes per post-it measured, ${arraysPerPostIt.toFixed(1)} in its ${tiles} tile arrays (with the build's PGlite growth: ${((after - before) / live.index.size).toFixed(1)})`);
        if (copy.size !== entries.length) throw new Error("copy lost post-its");
      }
      if (live.index.size !== size) throw new Error(`index holds ${live.index.size} post-its, the table ${size}`);
      viewport ??= pickViewport(live.index.occupiedTiles());
      log(`  round ${round + 1}: read ${readMs.at(-1).toFixed(0)} ms (packed ${packedMs.at(-1).toFixed(0)} ms), build ${buildMs.at(-1).toFixed(0)} ms`);
    }
  } finally {
    await db.close();
  }

  // ---- (a) placement -------------------------------------------------------------------------------------------
  log("placement engine (bench/placement.mjs)…");
  const placement = spawnSync(process.execPath, [join(root, "bench/placement.mjs"), "--big", String(POSTITS)], { encoding: "utf8" });
  if (placement.status !== 0) throw new Error(`bench/placement.mjs failed: ${placement.stderr}`);
  const placementLine = placement.stdout.trim().split("\n").at(-1);
  const placementRatio = Number(/: ([\d.]+) \(aim/.exec(placementLine)?.[1]);

  // ---- (b) tiles over HTTP -------------------------------------------------------------------------------------
  const path = `/v1/wall/tiles?keys=${viewport.keys.join(",")}`;
  const env = { OTO_DATA_DIR: dir, OTO_LOG_LEVEL: opts["log-level"], NODE_ENV: "production" };
  const warm = [];
  const bare = [];
  const cold = [];
  let body;
  for (let round = 1; round <= ROUNDS; round++) {
    let oto = await startServer("oto.mjs", env);
    try {
      const res = await fetch(oto.url + path);
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      body ??= text;
      const postits = JSON.parse(text).tiles.reduce((n, t) => n + t.postits.length, 0);
      if (postits !== viewport.postits) throw new Error(`the batch holds ${postits} post-its, the index said ${viewport.postits}`);
      warm.push(await measure(`round ${round}/${ROUNDS}, oTo getWallTiles (cache warm)`, oto.url + path));
    } finally {
      await oto.stop();
    }
    const bodyFile = join(mkdtempSync(join(tmpdir(), "oto-wall-body-")), "body.json");
    writeFileSync(bodyFile, body);
    const baseline = await startServer("bare-payload.mjs", { BENCH_BODY_FILE: bodyFile, BENCH_LOG_LEVEL: opts["log-level"] });
    try {
      bare.push(await measure(`round ${round}/${ROUNDS}, bare Fastify GET / (same ${Buffer.byteLength(body)} bytes)`, `${baseline.url}/`));
    } finally {
      await baseline.stop();
      rmSync(dirname(bodyFile), { recursive: true, force: true });
    }
    oto = await startServer("oto.mjs", { ...env, OTO_WALL_TILE_CACHE_MB: "0" });
    try {
      cold.push(await measure(`round ${round}/${ROUNDS}, oTo getWallTiles (cache off)`, oto.url + path));
    } finally {
      await oto.stop();
    }
  }

  // ---- report --------------------------------------------------------------------------------------------------
  const rps = (list) => list.reduce((s, r) => s + r.requestsPerSecond, 0) / list.length;
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const rows = [
    { name: `placement per post-it at ${fmt(POSTITS)} / at 1,000`, measured: placementLine.replace(/^.*?: /, "").replace(/ \(aim.*$/, ""), baseline: "same engine, wall of 1,000", ratio: placementRatio, aim: "<= 2.00", pass: placementRatio <= 2 },
    { name: `tiles, ~${viewport.postits} post-its, cache warm`, measured: `${fmt(rps(warm))} req/s`, baseline: `bare route: ${fmt(rps(bare))} req/s`, ratio: rps(warm) / rps(bare), aim: ">= 0.50", pass: rps(warm) / rps(bare) >= 0.5 },
    { name: `tiles, ~${viewport.postits} post-its, cache off`, measured: `${fmt(rps(cold))} req/s`, baseline: `bare route: ${fmt(rps(bare))} req/s`, ratio: rps(cold) / rps(bare), aim: "report", pass: true },
    { name: `index build at start, ${fmt(size)} post-its`, measured: `${fmt(median(buildMs))} ms`, baseline: `SELECT x, y: ${fmt(median(readMs))} ms`, ratio: median(buildMs) / median(readMs), aim: "<= 2.00", pass: median(buildMs) / median(readMs) <= 2 },
    { name: "index build / fastest read", measured: `${fmt(median(buildMs))} ms`, baseline: `string_agg(x, y): ${fmt(median(packedMs))} ms`, ratio: median(buildMs) / median(packedMs), aim: "report", pass: true },
    { name: "index memory per post-it", measured: `${bytesPerPostIt.toFixed(1)} bytes`, baseline: `heap + buffers; arrays: ${arraysPerPostIt.toFixed(1)}`, ratio: NaN, aim: "report", pass: true },
  ];
  console.log(`oTo wall bench · node ${process.version} · ${availableParallelism()} CPUs (${cpus()[0]?.model.trim()}) · PGlite`);
  console.log(`viewport: getWallTiles ${viewport.keys.join(",")} = ${viewport.postits} post-its, ${Buffer.byteLength(body).toLocaleString("en")} bytes; load: autocannon ${load.connections} connections, ${load.warmupS}s warm-up + ${load.durationS}s, ${ROUNDS} alternating round(s)\n`);
  const header = ["benchmark", "measured", "baseline", "ratio", "aim", "result"];
  const cells = [header, ...rows.map((r) => [r.name, r.measured, r.baseline, Number.isNaN(r.ratio) ? "-" : r.ratio.toFixed(2), r.aim, r.aim === "report" ? "-" : r.pass ? "PASS" : "MISS"])];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of cells.slice(1)) console.log(line(row));
  if (opts.strict && rows.some((r) => !r.pass && r.name.indexOf("cache off") < 0)) process.exitCode = 1;
} finally {
  if (temporary) rmSync(dir, { recursive: true, force: true });
}

/** Adjacent items tiles in one row, near the centre, whose post-its add up closest to 500. */
function pickViewport(tiles) {
  const count = new Map(tiles.map((t) => [`${t.x},${t.y}`, t.count]));
  let best;
  for (const t of tiles) {
    let total = 0;
    for (let k = 0; k < 4; k++) {
      total += count.get(`${t.x + k},${t.y}`) ?? 0;
      const score = Math.abs(total - 500) * 1000 + Math.abs(t.x) + Math.abs(t.y);
      if (!best || score < best.score) best = { score, keys: Array.from({ length: k + 1 }, (_, i) => `12/${t.x + i}/${t.y}`), postits: total };
    }
  }
  return best;
}

