// oTo benchmarks. Every figure is a ratio to a baseline measured in the same run on the same machine,
// so results from different machines can be compared. See bench/README.md.
// Usage: node bench/run.mjs [--duration 10] [--warmup 5] [--connections 10] [--rounds 2] [--runs 21]
//                           [--log-level warn] [--strict]
// (`pnpm bench` builds first, then runs this.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { arch, availableParallelism, cpus, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureLoad as measureWith, startServerProcess } from "./lib/processes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI_BIN = join(root, "packages/cli/dist/bin.js");
const SERVER_DIST = join(root, "packages/server/dist/index.js");

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
    runs: { type: "string", default: "21" },
    rounds: { type: "string", default: "2" },
    "log-level": { type: "string", default: "warn" },
    strict: { type: "boolean", default: false },
  },
});
const load = {
  durationS: positiveInt(opts.duration, "--duration"),
  warmupS: Number.parseInt(opts.warmup, 10) || 0,
  connections: positiveInt(opts.connections, "--connections"),
};
const coldStartRuns = positiveInt(opts.runs, "--runs");
const rounds = positiveInt(opts.rounds, "--rounds");

function positiveInt(text, name) {
  const n = Number.parseInt(text, 10);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer (got "${text}")`);
  return n;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

for (const file of [CLI_BIN, SERVER_DIST]) {
  if (!existsSync(file)) fail(`${file} is missing: build first (pnpm build), or run pnpm bench`);
}

// ---- child processes -------------------------------------------------------------------------

// ---- (a) authenticated GET /v1/me vs a bare Fastify route ------------------------------------

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

async function benchGetMe() {
  const dataDir = await mkdtemp(join(tmpdir(), "oto-bench-"));
  const servers = [];
  try {
    const oto = await startServerProcess("oto.mjs", {
      OTO_DATA_DIR: dataDir,
      OTO_LOG_LEVEL: opts["log-level"],
      NODE_ENV: "production",
    });
    servers.push(oto);
    const auth = await postJson(`${oto.url}/v1/accounts`, { handle: "bench", password: "bench-password-1234" });
    const headers = { authorization: `Bearer ${auth.api_key.secret}` };
    const me = await fetch(`${oto.url}/v1/me`, { headers });
    if (!me.ok) throw new Error(`GET /v1/me answered ${me.status}`);
    const meBody = await me.text();

    const bare = await startServerProcess("bare.mjs", { BENCH_BODY: meBody, BENCH_LOG_LEVEL: opts["log-level"] });
    servers.push(bare);

    // Alternate the two targets so that a slow patch of the machine hits both alike.
    const otoRounds = [];
    const bareRounds = [];
    for (let round = 1; round <= rounds; round++) {
      otoRounds.push(await measureWith(`round ${round}/${rounds}, oTo GET /v1/me`, `${oto.url}/v1/me`, load, headers));
      bareRounds.push(await measureWith(`round ${round}/${rounds}, bare Fastify GET /`, `${bare.url}/`, load));
    }
    return { oto: summarize(otoRounds), bare: summarize(bareRounds), bodyBytes: Buffer.byteLength(meBody) };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

function summarize(results) {
  const mean = (pick) => results.reduce((sum, r) => sum + pick(r), 0) / results.length;
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    latencyP99Ms: Math.max(...results.map((r) => r.latencyP99Ms)),
    rounds: results,
  };
}

// ---- (b) oto --help cold start vs node -e 0 ---------------------------------------------------

function timeSpawn(args, expectOutput) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const elapsedMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}: ${result.stderr}`);
  if (expectOutput && !result.stdout.includes(expectOutput)) {
    throw new Error(`node ${args.join(" ")} did not print "${expectOutput}"`);
  }
  return elapsedMs;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function benchColdStart() {
  process.stderr.write(`  oto --help and node -e 0: ${coldStartRuns} runs each, interleaved…\n`);
  const help = [CLI_BIN, "--help"];
  const empty = ["-e", "0"];
  // One untimed run each fills the OS file cache, as on any machine that has run oto before.
  timeSpawn(help, "Usage");
  timeSpawn(empty);
  const otoMs = [];
  const nodeMs = [];
  for (let i = 0; i < coldStartRuns; i++) {
    otoMs.push(timeSpawn(help, "Usage"));
    nodeMs.push(timeSpawn(empty));
  }
  return { otoMs: median(otoMs), nodeMs: median(nodeMs) };
}

// ---- report -----------------------------------------------------------------------------------

const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n) => `${n.toFixed(1)} ms`;

function printTable(rows) {
  const header = ["benchmark", "measured", "baseline", "ratio", "aim", "result"];
  const cells = [header, ...rows.map((r) => [r.name, r.measured, r.baseline, r.ratio.toFixed(2), r.aim, r.pass ? "PASS" : "MISS"])];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of cells.slice(1)) console.log(line(row));
}

const cpuModel = cpus()[0]?.model.trim() ?? "unknown CPU";
console.log(`oTo bench · node ${process.version} · ${platform()} ${arch()} · ${availableParallelism()} CPUs (${cpuModel})`);
console.log(
  `load: autocannon, ${load.connections} connections, ${load.warmupS}s warm-up + ${load.durationS}s measured, 127.0.0.1; ` +
    `${rounds} alternating round(s); oTo on PGlite in a temp folder, NODE_ENV=production, log level ${opts["log-level"]}\n`,
);

process.stderr.write("measuring…\n");
const getMe = await benchGetMe();
const coldStart = benchColdStart();

const rows = [
  {
    name: "GET /v1/me (authenticated)",
    measured: `${fmtInt(getMe.oto.requestsPerSecond)} req/s`,
    baseline: `bare Fastify GET /: ${fmtInt(getMe.bare.requestsPerSecond)} req/s`,
    ratio: getMe.oto.requestsPerSecond / getMe.bare.requestsPerSecond,
    aim: ">= 0.50",
    pass: getMe.oto.requestsPerSecond / getMe.bare.requestsPerSecond >= 0.5,
  },
  {
    name: "oto --help cold start",
    measured: `${fmtMs(coldStart.otoMs)} (median of ${coldStartRuns})`,
    baseline: `node -e 0: ${fmtMs(coldStart.nodeMs)}`,
    ratio: coldStart.otoMs / coldStart.nodeMs,
    aim: "<= 2.00",
    pass: coldStart.otoMs / coldStart.nodeMs <= 2,
  },
];
console.log("");
printTable(rows);

const resultsDir = join(root, "bench/results");
await mkdir(resultsDir, { recursive: true });
const resultsFile = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
const raw = { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), cpuModel, load, rounds, logLevel: opts["log-level"], getMe, coldStart, rows };
await writeFile(resultsFile, `${JSON.stringify(raw, null, 2)}\n`);
console.log(`\nraw figures: ${resultsFile}`);

if (opts.strict && rows.some((row) => !row.pass)) process.exitCode = 1;
