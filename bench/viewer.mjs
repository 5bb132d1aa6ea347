// The viewer in headless Chromium (aims in brackets), from one run:
//   (1) frame time while panning over ~10,000 on-screen post-its: the oTo viewer against the same post-its and
//       strings drawn with d3 + SVG (SVG / oTo ≥ 10), plus the work per frame on the page's main thread;
//   (2) the viewer's JS work per frame while panning a wall of 1,000,000 post-its / a wall of 10,000 (≤ 1.5);
//   (3) time to the first complete viewport on the 1M wall / the 10k wall (≤ 1.5).
// Usage: node bench/viewer.mjs [--dense-viewport 3400x2100] [--viewport 1600x1000] [--frames 8] [--steps 6]
//                              [--runs 3] [--no-breakdown] [--fresh-walls] [--reuse-walls] [--only dense] [--strict]
// Needs the built server (pnpm --filter @oto/server build) and Debian's chromium. Walls are generated once into
// bench/.cache/ (about 2 min for 1M); everything runs on 127.0.0.1. See bench/README.md, "Viewer".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { benchArgs } from "./lib/args.mjs";
import { CHROMIUM, TEST_ARGS, launchBrowser, median, percentile } from "./lib/viewer-browser.mjs";
import { compositorFloor, firstCompleteViewport, layerBreakdown, openOto, openSvg, otoStats, panContinuous, panPaced } from "./lib/viewer-pages.mjs";
import { getJson, itemsInRect, startServer } from "./lib/viewer-server.mjs";
import { wallDir } from "./lib/viewer-walls.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (line) => process.stderr.write(`${line}\n`);
const { opts, fail, int } = benchArgs("bench/viewer", {
  "dense-viewport": { type: "string", default: "3400x2100" },
  viewport: { type: "string", default: "1600x1000" },
  frames: { type: "string", default: "8" },
  steps: { type: "string", default: "6" },
  runs: { type: "string", default: "3" },
  "no-breakdown": { type: "boolean", default: false },
  "fresh-walls": { type: "boolean", default: false },
  "reuse-walls": { type: "boolean", default: false },
  only: { type: "string" },
  strict: { type: "boolean", default: false },
});
const size = (name) => {
  const m = /^(\d{3,5})x(\d{3,5})$/.exec(opts[name]);
  if (!m) fail(`--${name} must look like 1600x1000 (got "${opts[name]}")`);
  return { width: Number(m[1]), height: Number(m[2]) };
};
const DENSE = size("dense-viewport");
const VIEW = size("viewport");
const FRAMES = int("frames", 4);
const STEPS = int("steps", 4);
const RUNS = int("runs", 1);
if (opts.only !== undefined && opts.only !== "dense") fail(`--only takes "dense" (got "${opts.only}")`);
/** `--only dense`: just (1), the dense scene on the 1M wall (≈ 4 min instead of ≈ 12). */
const ONLY_DENSE = opts.only === "dense";
if (!existsSync(join(root, "packages/server/dist/index.js"))) fail("packages/server/dist is missing: pnpm --filter @oto/server build");
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: apt-get install chromium (or set OTO_CHROMIUM)`);

/** Builds the viewer when its dist is missing or older than its sources (the server serves packages/viewer/dist). */
function ensureViewer() {
  const viewer = join(root, "packages/viewer");
  const built = join(viewer, "dist/index.html");
  const newest = (dir) =>
    Math.max(...readdirSync(dir).map((name) => {
      const path = join(dir, name);
      const stat = statSync(path);
      return stat.isDirectory() ? newest(path) : stat.mtimeMs;
    }));
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(viewer, "src"))) return;
  log("building the viewer (packages/viewer/dist)…");
  const result = spawnSync(process.execPath, ["build.mjs"], { cwd: viewer, stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) fail("the viewer build failed");
}

// The dense scene: the 1M wall's centre at the closest scale that still shows single post-its (BUDGETS.itemsFromPx:
// 20 px wide), so a big viewport holds ~10,000 of them. The wall's first accounts sit at its centre.
const DENSE_K = 0.1;
const PAN = { radius: 150 };

const started = performance.now();
ensureViewer();
const walls = {};
for (const postits of ONLY_DENSE ? [1_000_000] : [10_000, 1_000_000]) {
  const t0 = performance.now();
  const { dir, cached } = await wallDir({ postits, fresh: opts["fresh-walls"], reuse: opts["reuse-walls"], log: (line) => log(`  ${line}`) });
  walls[postits] = dir;
  log(`wall of ${postits.toLocaleString("en")} post-its: ${cached ? "cached" : `generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`} (${dir})`);
}

log("starting the two servers (the 1M one builds its index first)…");
const servers = {};
const [s10k, s1m] = await Promise.all([ONLY_DENSE ? null : startServer(walls[10_000]), startServer(walls[1_000_000])]);
if (s10k) servers[10_000] = s10k;
servers[1_000_000] = s1m;
const browser = await launchBrowser();
const result = { date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model }, chromium: { path: CHROMIUM, args: TEST_ARGS } };

try {
  const info = {
    10_000: s10k ? await getJson(`${s10k.url}/v1/wall`) : null,
    1_000_000: await getJson(`${s1m.url}/v1/wall`),
  };
  result.walls = { 10_000: info[10_000]?.counts, 1_000_000: info[1_000_000].counts };
  if (!ONLY_DENSE) {

  // (3) First complete viewport: the opening view (no query), a new browser context each time, walls alternating
  // after one unmeasured load each (the servers' code paths warm).
  log(`(3) first complete viewport, ${VIEW.width}×${VIEW.height}, ${RUNS} runs per wall…`);
  for (const n of [10_000, 1_000_000]) await firstCompleteViewport(browser, servers[n].url, VIEW);
  const first = { 10_000: [], 1_000_000: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const n of run % 2 === 0 ? [10_000, 1_000_000] : [1_000_000, 10_000]) {
      const r = await firstCompleteViewport(browser, servers[n].url, VIEW);
      first[n].push(r);
      log(`  ${n.toLocaleString("en")}: ${r.ms.toFixed(0)} ms (tiles in at ${r.tilesArrivedMs.toFixed(0)} ms; ${r.tiles} tiles, ${r.postits} post-its)`);
    }
  }
  result.firstViewport = {
    viewport: VIEW,
    runs: first,
    medianMs: { 10_000: median(first[10_000].map((r) => r.ms)), 1_000_000: median(first[1_000_000].map((r) => r.ms)) },
  };
  result.firstViewport.ratio = result.firstViewport.medianMs[1_000_000] / result.firstViewport.medianMs[10_000];

  // (2) JS work per frame, same opening view on both walls (the 10k wall is the 1M wall's centre, so the same
  // post-its are on screen): paced panning for the viewer's own JS, then continuous panning for frame time.
  log(`(2) panning the opening view on both walls, ${VIEW.width}×${VIEW.height}…`);
  const pan = { 10_000: [], 1_000_000: [] };
  const tabs = {};
  for (const n of [10_000, 1_000_000]) {
    tabs[n] = await openOto(browser, servers[n].url, VIEW);
    await panContinuous(tabs[n], { frames: 24, ...PAN }); // warm-up lap: every tile of the circle drawn once
  }
  for (let run = 0; run < 2; run++) {
    for (const n of run % 2 === 0 ? [10_000, 1_000_000] : [1_000_000, 10_000]) {
      const paced = await panPaced(tabs[n], { steps: STEPS * 2, ...PAN });
      const cont = await panContinuous(tabs[n], { frames: FRAMES * 2, ...PAN });
      pan[n].push({ paced, continuous: cont });
      log(`  ${n.toLocaleString("en")}: viewer JS ${paced.viewerJsMs.toFixed(2)} ms/frame, frame ${median(cont.frameMs).toFixed(0)} ms`);
    }
  }
  const stats2 = { 10_000: await otoStats(tabs[10_000]), 1_000_000: await otoStats(tabs[1_000_000]) };
  for (const n of [10_000, 1_000_000]) await tabs[n].close();
  const jsOf = (n) => median(pan[n].map((r) => r.paced.viewerJsMs));
  const framesOf = (n) => pan[n].flatMap((r) => r.continuous.frameMs);
  result.panWalls = {
    viewport: VIEW,
    shown: { 10_000: stats2[10_000].shownPostits, 1_000_000: stats2[1_000_000].shownPostits },
    camera: stats2[10_000].camera,
    runs: pan,
    viewerJsMs: { 10_000: jsOf(10_000), 1_000_000: jsOf(1_000_000) },
    frameMs: {
      10_000: { median: median(framesOf(10_000)), p95: percentile(framesOf(10_000), 95) },
      1_000_000: { median: median(framesOf(1_000_000)), p95: percentile(framesOf(1_000_000), 95) },
    },
  };
  result.panWalls.ratio = jsOf(1_000_000) / jsOf(10_000);
  }

  // (1) ~10,000 post-its on screen: the viewer against d3 + SVG, same post-its and strings, same pan.
  log(`(1) ~10,000 post-its on screen, ${DENSE.width}×${DENSE.height} at k = ${DENSE_K}…`);
  const base = s1m.url;
  const view = { cx: 0, cy: 0, k: DENSE_K };
  const halfW = DENSE.width / 2 / DENSE_K;
  const halfH = DENSE.height / 2 / DENSE_K;
  const onScreen = (p) => Math.abs(p.x - view.cx) <= halfW && Math.abs(p.y - view.cy) <= halfH;
  // Everything the circle can bring into view, plus a post-it's overhang.
  const reach = (2 * PAN.radius) / DENSE_K + info[1_000_000].postit_size;
  const scene = await itemsInRect(base, info[1_000_000], { minX: -halfW - reach, maxX: halfW + reach, minY: -halfH - reach, maxY: halfH + reach });
  const dense = { viewport: DENSE, k: DENSE_K, onScreen: scene.postits.filter(onScreen).length, svgPostits: scene.postits.length, svgStrings: scene.strings.length };
  log(`  ${dense.onScreen.toLocaleString("en")} post-its on screen; SVG page: ${scene.postits.length} post-its, ${scene.strings.length} strings`);

  const otoTab = await openOto(browser, base, DENSE, `?v=${view.cx}.${view.cy}.${view.k}`);
  const otoLoaded = await otoStats(otoTab);
  if (Math.abs(otoLoaded.camera.k - DENSE_K) > 1e-6 || otoLoaded.z !== info[1_000_000].items_zoom) {
    throw new Error(`the viewer is not showing single post-its at k = ${DENSE_K} (camera k ${otoLoaded.camera.k}, tile zoom ${otoLoaded.z})`);
  }
  dense.otoShownPostits = otoLoaded.shownPostits;
  dense.otoTier = otoLoaded.tier;
  const svgTab = await openSvg(browser, base, DENSE, scene, view);
  await panContinuous(otoTab, { frames: 4, ...PAN });
  await panContinuous(svgTab, { frames: 4, ...PAN });
  const denseRuns = { oto: [], svg: [] };
  for (let run = 0; run < 2; run++) {
    for (const tab of run % 2 === 0 ? [otoTab, svgTab] : [svgTab, otoTab]) {
      // The same circle for both pages, in the same number of steps.
      const cont = await panContinuous(tab, { frames: FRAMES * 2, ...PAN });
      const paced = await panPaced(tab, { steps: Math.max(2, STEPS - 2), ...PAN });
      denseRuns[tab.kind].push({ continuous: cont, paced });
      log(`  ${tab.kind}: frame ${median(cont.frameMs).toFixed(0)} ms, main thread ${paced.mainThreadMs.toFixed(1)} ms/step${paced.viewerJsMs === null ? "" : `, viewer JS ${paced.viewerJsMs.toFixed(2)} ms/frame`}`);
    }
  }
  log("  the compositor's own frame at this size (a full-window layer moved by CSS, nothing drawn)…");
  const floorMs = await compositorFloor(browser, DENSE, FRAMES * 2);
  dense.floor = { frameMs: { median: median(floorMs), p95: percentile(floorMs, 95) } };
  if (!opts["no-breakdown"]) {
    log("  where the oTo frame goes (camera still, layers alone)…");
    dense.otoLayersMs = await layerBreakdown(otoTab);
  }
  await otoTab.close();
  await svgTab.close();
  for (const kind of ["oto", "svg"]) {
    const frames = denseRuns[kind].flatMap((r) => r.continuous.frameMs);
    dense[kind] = {
      runs: denseRuns[kind],
      frameMs: { median: median(frames), p95: percentile(frames, 95), n: frames.length },
      mainThreadMs: median(denseRuns[kind].map((r) => r.paced.mainThreadMs)),
      viewerJsMs: kind === "oto" ? median(denseRuns[kind].map((r) => r.paced.viewerJsMs)) : null,
    };
  }
  // The viewer's frames by how they were made: drawn, or the drawn canvas slid within its overscan. (Counts only:
  // Chromium pipelines frames, so a draw's cost lands in the interval it was made in or the next one.)
  const made = denseRuns.oto.flatMap((r) => r.continuous.drew ?? []).filter((drew) => drew !== null);
  dense.oto.made = { drawn: made.filter(Boolean).length, slid: made.filter((drew) => !drew).length };
  dense.ratio = { median: dense.svg.frameMs.median / dense.oto.frameMs.median, p95: dense.svg.frameMs.p95 / dense.oto.frameMs.p95, mainThread: dense.svg.mainThreadMs / dense.oto.mainThreadMs };
  result.dense = dense;
} finally {
  await browser.close();
  await Promise.all(Object.values(servers).map((s) => s.close()));
}
result.seconds = (performance.now() - started) / 1000;

// The table.
const ms = (v) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`);
const x = (v, digits = 2) => `${v.toFixed(digits)}`;
const d = result.dense;
const p = result.panWalls;
const f = result.firstViewport;
const aims = {
  dense: d.ratio.median >= 10,
  js: p ? p.ratio <= 1.5 : null,
  first: f ? f.ratio <= 1.5 : null,
};
const rows = [
  ["benchmark", "oTo / 1M wall", "baseline", "ratio", "aim"],
  [`(1) frame, median (${d.onScreen.toLocaleString("en")} on screen, ${d.viewport.width}×${d.viewport.height})`, ms(d.oto.frameMs.median), `${ms(d.svg.frameMs.median)} (d3+SVG)`, `${x(d.ratio.median)}×`, "SVG/oTo ≥ 10"],
  ["(1) frame, p95", ms(d.oto.frameMs.p95), `${ms(d.svg.frameMs.p95)} (d3+SVG)`, `${x(d.ratio.p95)}×`, "SVG/oTo ≥ 10"],
  ["(1) main-thread work per pan step", ms(d.oto.mainThreadMs), `${ms(d.svg.mainThreadMs)} (d3+SVG)`, `${x(d.ratio.mainThread)}×`, "(information)"],
  ["(1) viewer JS per frame (update + render call)", ms(d.oto.viewerJsMs), "", "", "(information)"],
  [`(1) oTo frames drawn / slid (overscan)`, `${d.oto.made.drawn} / ${d.oto.made.slid}`, "", "", "(information)"],
  ["(1) compositor alone (nothing drawn), median", ms(d.floor.frameMs.median), `${ms(d.svg.frameMs.median)} (d3+SVG)`, `${x(d.svg.frameMs.median / d.floor.frameMs.median)}×`, "best reachable here"],
];
if (p && f) rows.push(
  [`(2) viewer JS per frame, panning (${p.viewport.width}×${p.viewport.height}, k ${x(p.camera.k)})`, ms(p.viewerJsMs[1_000_000]), `${ms(p.viewerJsMs[10_000])} (10k wall)`, x(p.ratio), "≤ 1.5"],
  ["(2) frame, median (information)", ms(p.frameMs[1_000_000].median), `${ms(p.frameMs[10_000].median)} (10k wall)`, x(p.frameMs[1_000_000].median / p.frameMs[10_000].median), ""],
  ["(3) first complete viewport (median)", ms(f.medianMs[1_000_000]), `${ms(f.medianMs[10_000])} (10k wall)`, x(f.ratio), "≤ 1.5"],
);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log();
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => c.padEnd(widths[j])).join("  ").trimEnd());
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
if (d.otoLayersMs) {
  const l = d.otoLayersMs;
  console.log(`\noTo frame by layer (dense scene, camera still, median of 3): paper ${ms(l.paper)}, post-its ${ms(l.postits)}, strings ${ms(l.strings)}, all ${ms(l.all)}`);
}
console.log(
  `\nChromium draws WebGL with SwiftShader (software) here: frame times are rasterising time on ${cpus().length} CPU cores, the work per frame is what the page's own code costs.`,
);
const yes = (v) => (v === null ? "not run" : v ? "yes" : "no");
console.log(`aims met: (1) ${yes(aims.dense)}, (2) ${yes(aims.js)}, (3) ${yes(aims.first)} — ${result.seconds.toFixed(0)} s in all`);

result.aims = aims;
mkdirSync(join(root, "bench/results"), { recursive: true });
const file = join(root, "bench/results", `viewer-${result.date.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`raw figures: ${file.slice(root.length + 1)}`);
if (opts.strict && !(aims.dense && aims.js !== false && aims.first !== false)) process.exit(1);
