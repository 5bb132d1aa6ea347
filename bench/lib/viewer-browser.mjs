// Headless Chromium for the viewer bench, launched as the viewer's browser tests launch it (Debian's chromium,
// driven by playwright-core, WebGL through SwiftShader), plus the in-page pan driver both pages share.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { chromium } = createRequire(join(root, "packages/viewer/package.json"))("playwright-core");

export const CHROMIUM = process.env.OTO_CHROMIUM ?? "/usr/bin/chromium";
/** The flags of packages/viewer/test/support/harness.ts. */
export const TEST_ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--ignore-gpu-blocklist", "--no-sandbox", "--disable-dev-shm-usage"];
/**
 * Chromium's own 60 Hz frame pacing stays on: when a frame takes longer to draw, the next animation frame waits
 * for it, so the interval between animation frames is the time to make a frame. (With --disable-gpu-vsync and
 * --disable-frame-rate-limit the page runs ahead of SwiftShader and the intervals measure nothing.)
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...TEST_ARGS, "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/**
 * Installed in both pages: pans along a circle of `radius` CSS px, one step per animation frame, for `frames`
 * frames (`perLap` frames a lap), through the page's own d3-zoom (`panBy`). Answers the frame timestamps and, in
 * the viewer, its count of drawn frames at each (a frame that did not draw slid the canvas: see wallScene.slide).
 */
export const PAN_DRIVER = `
window.__panCircle = (panBy, { frames, radius, perLap }) => new Promise((resolve) => {
  const times = [];
  // The viewer's count of drawn frames at each tick (the SVG page has none): which intervals ended a redraw.
  const draws = [];
  let i = 0, px = 0, py = 0;
  const tick = (t) => {
    times.push(t);
    draws.push(window.oto?.scene?.stats?.draws ?? null);
    if (i >= frames) return resolve({ times, draws });
    i++;
    const th = (2 * Math.PI * i) / perLap;
    const nx = radius * (Math.cos(th) - 1), ny = radius * Math.sin(th);
    panBy(nx - px, ny - py);
    px = nx; py = ny;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
});
`;

/**
 * The same circle, paced: one step, then two animation frames before the next, so the page's work for a step
 * is measured with an idle GPU behind it (no waiting on a backlog of software-rasterised frames).
 */
export const PACED_DRIVER = `
window.__panPaced = (panBy, { steps, radius, perLap }) => new Promise((resolve) => {
  let i = 0, px = 0, py = 0;
  const step = () => {
    if (i >= steps) return resolve(steps);
    i++;
    const th = (2 * Math.PI * i) / perLap;
    const nx = radius * (Math.cos(th) - 1), ny = radius * Math.sin(th);
    panBy(nx - px, ny - py);
    px = nx; py = ny;
    requestAnimationFrame(() => requestAnimationFrame(step));
  };
  requestAnimationFrame(step);
});
`;

/** Main-thread time Chromium reports for the page (seconds): all tasks, script, style, layout. */
export async function mainThreadTimes(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const get = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
  return { task: get("TaskDuration"), script: get("ScriptDuration"), style: get("RecalcStyleDuration"), layout: get("LayoutDuration") };
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values) => percentile(values, 50);

/** Frame intervals (ms) from rAF timestamps. */
export const intervals = (times) => times.slice(1).map((t, i) => t - times[i]);
