// The two pages the viewer bench drives (the oTo viewer served by the real server, and the d3 + SVG baseline)
// and the measurements taken in them: continuous panning (frame time), paced panning (work per frame) and the
// time to the first complete viewport.
import { PACED_DRIVER, PAN_DRIVER, intervals, mainThreadTimes } from "./viewer-browser.mjs";
import { svgPageHtml } from "./viewer-svg-page.mjs";

const OTO_PAN = (dx, dy) => window.oto.camera.panBy(dx, dy);
const SVG_PAN = (dx, dy) => window.bench.panBy(dx, dy);

async function newPage(browser, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(PAN_DRIVER);
  await page.addInitScript(PACED_DRIVER);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  return { page, cdp, errors, close: () => context.close() };
}

/** Waits until the scene is settled (scene.settled: view complete, camera still, no tile fetch pending) for 1 s. */
async function waitSettled(tab, timeoutMs = 300_000) {
  await tab.page.evaluate(() => delete window.__settle);
  await tab.page.waitForFunction(
    () => {
      const s = window.oto?.scene;
      const ready = Boolean(window.oto?.state?.wall && s?.settled && s.stats.frames > 1);
      const w = (window.__settle ??= { since: 0, frames: -1 });
      if (!ready || w.frames !== s.stats.frames) {
        w.since = performance.now();
        w.frames = ready ? s.stats.frames : -1;
        return false;
      }
      return performance.now() - w.since > 1000;
    },
    undefined,
    { timeout: timeoutMs, polling: 200 },
  );
}

/** The viewer at `query`, once its view is complete, the camera rests and no tile is loading (for ≥ 1 s). */
export async function openOto(browser, base, viewport, query = "", timeoutMs = 300_000) {
  const tab = await newPage(browser, viewport);
  tab.pan = OTO_PAN;
  tab.kind = "oto";
  await tab.page.goto(`${base}/${query}`, { waitUntil: "commit", timeout: timeoutMs });
  await waitSettled(tab, timeoutMs);
  if (tab.errors.length > 0) throw new Error(`the viewer failed: ${tab.errors.join("; ")}`);
  return tab;
}

export async function otoStats(tab) {
  return tab.page.evaluate(() => ({ ...window.oto.scene.stats, camera: window.oto.scene.camera, size: window.oto.scene.size }));
}

/** The baseline page drawing `scene` ({ postits, strings }) centred on view { cx, cy, k }. */
export async function openSvg(browser, base, viewport, scene, view) {
  const tab = await newPage(browser, viewport);
  tab.pan = SVG_PAN;
  tab.kind = "svg";
  const html = await svgPageHtml();
  // Served on the server's origin (intercepted, never reaching it) so both pages live under the same origin rules.
  await tab.page.route(`${base}/__bench/svg`, (route) => route.fulfill({ body: html, contentType: "text/html; charset=utf-8" }));
  await tab.page.goto(`${base}/__bench/svg`, { timeout: 120_000 });
  await tab.page.evaluate((s) => window.loadScene(s), { ...scene, view, width: viewport.width, height: viewport.height });
  await tab.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  if (tab.errors.length > 0) throw new Error(`the SVG page failed: ${tab.errors.join("; ")}`);
  return tab;
}

/**
 * While a lap runs, the viewer's camera counts as moving. The viewer settles (level of detail, strings, prefetch,
 * the list of post-its in view) 100 ms after the last camera change; SwiftShader takes longer than that to draw a
 * frame here, so it would settle between every two frames, which a machine drawing ≥ 10 frames a second never does.
 * The hold shadows the scene's settle on the instance for the lap (no source change), then settles once.
 */
async function holdSettle(tab, on) {
  if (tab.kind !== "oto") return;
  await tab.page.evaluate((hold) => {
    const scene = window.oto.scene;
    if (hold) scene.settle = () => (scene.__settleHeld = true);
    else {
      delete scene.settle;
      if (scene.__settleHeld) scene.settle();
      scene.__settleHeld = false;
    }
  }, on);
  // What settling started (strings, prefetched tiles) is done before the next lap.
  if (!on) await waitSettled(tab);
}

async function viewerWork(tab) {
  if (tab.kind !== "oto") return null;
  return tab.page.evaluate(() => ({ frames: window.oto.scene.stats.frames, workMs: window.oto.scene.stats.workMs }));
}

/**
 * Pans continuously (one step every animation frame) for `frames` frames (one circle, unless `perLap` says): the frame intervals (ms), plus the
 * viewer's own JS time per frame and Chromium's main-thread time per frame over the lap.
 */
export async function panContinuous(tab, { frames, radius, perLap = frames }) {
  const m0 = await mainThreadTimes(tab.cdp);
  const w0 = await viewerWork(tab);
  await holdSettle(tab, true);
  const { times, draws } = await tab.page.evaluate(([pan, o]) => window.__panCircle(eval(pan), o), [`(${tab.pan})`, { frames, radius, perLap }]);
  const w1 = await viewerWork(tab);
  await holdSettle(tab, false);
  const m1 = await mainThreadTimes(tab.cdp);
  const frameMs = intervals(times);
  // The viewer's frame runs just before the driver's tick in the same animation frame, so tick i reads the count
  // after it; interval i (tick i to tick i + 1) is that frame being made and shown. Its kind: did the count grow
  // since tick i - 1 (unknown for the first interval).
  const drew = draws[0] === null ? null : frameMs.map((_, i) => (i === 0 ? null : draws[i] > draws[i - 1]));
  return {
    frameMs,
    drew,
    viewerJsMs: w0 && w1 ? (w1.workMs - w0.workMs) / Math.max(1, w1.frames - w0.frames) : null,
    mainThreadMs: ((m1.task - m0.task) * 1000) / frameMs.length,
  };
}

/** Pans `steps` steps, each given two frames: the viewer's JS and the main thread's time per step. */
export async function panPaced(tab, { steps, radius, perLap = steps }) {
  const m0 = await mainThreadTimes(tab.cdp);
  const w0 = await viewerWork(tab);
  await holdSettle(tab, true);
  await tab.page.evaluate(([pan, o]) => window.__panPaced(eval(pan), o), [`(${tab.pan})`, { steps, radius, perLap }]);
  const w1 = await viewerWork(tab);
  await holdSettle(tab, false);
  const m1 = await mainThreadTimes(tab.cdp);
  return {
    steps,
    viewerJsMs: w0 && w1 ? (w1.workMs - w0.workMs) / Math.max(1, w1.frames - w0.frames) : null,
    viewerFrames: w0 && w1 ? w1.frames - w0.frames : null,
    mainThreadMs: ((m1.task - m0.task) * 1000) / steps,
    scriptMs: ((m1.script - m0.script) * 1000) / steps,
    styleLayoutMs: ((m1.style - m0.style + m1.layout - m0.layout) * 1000) / steps,
  };
}

/**
 * Milliseconds from navigation start to the first frame after every tile of the opening view was loaded and
 * drawn (a new browser context: no HTTP cache). Watched from inside the page, once per animation frame.
 */
export async function firstCompleteViewport(browser, base, viewport, query = "") {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.addInitScript(() => {
      const watch = () => {
        const s = window.oto?.scene;
        if (window.oto?.state?.wall && s?.complete && s.stats.frames > 0 && s.stats.shownTiles > 0) {
          // The frame that drew the last tile ran by now; the next one starts once it was put on screen.
          const tilesAt = Math.max(0, ...performance.getEntriesByType("resource").filter((e) => e.name.includes("/v1/wall/tiles")).map((e) => e.responseEnd));
          requestAnimationFrame(() => (window.__firstComplete = { ms: performance.now(), tilesArrivedMs: tilesAt, tiles: s.stats.shownTiles, postits: s.stats.shownPostits }));
          return;
        }
        requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
    });
    await page.goto(`${base}/${query}`, { waitUntil: "commit", timeout: 300_000 });
    const handle = await page.waitForFunction(() => window.__firstComplete, undefined, { timeout: 300_000, polling: 100 });
    return await handle.jsonValue();
  } finally {
    await context.close();
  }
}

/**
 * Where the oTo frame goes: the viewer's stage drawn `frames` times (the camera still) with only the paper,
 * only the post-it tiles, only the strings, then everything; the median frame interval of each.
 */
export async function layerBreakdown(tab, frames = 3) {
  return tab.page.evaluate(async (n) => {
    const s = window.oto.scene;
    const layers = { paper: [s.paperA, s.paperB], postits: [s.tileLayer], strings: [s.strings.container] };
    const before = new Map(Object.values(layers).flat().map((c) => [c, c.visible]));
    const show = (names) => {
      for (const [name, items] of Object.entries(layers)) for (const c of items) c.visible = names.includes(name) && before.get(c);
    };
    const draw = () =>
      new Promise((resolve) => {
        const t = [];
        const f = (now) => {
          t.push(now);
          s.renderer.render(s.stage);
          if (t.length <= n) requestAnimationFrame(f);
          else resolve(t.slice(1).map((v, i) => v - t[i]).sort((a, b) => a - b)[Math.floor(n / 2)]);
        };
        requestAnimationFrame(f);
      });
    const out = {};
    for (const names of [["paper"], ["postits"], ["strings"], ["paper", "postits", "strings"]]) {
      show(names);
      await draw(); // settle after the change
      out[names.length === 3 ? "all" : names[0]] = await draw();
    }
    show(["paper", "postits", "strings"]);
    return out;
  }, frames);
}

/**
 * The compositor's own frame at this size: a page whose only content is one full-window layer (an opaque canvas,
 * as the viewer's) moved by a CSS transform every animation frame, nothing drawn. No page that changes what is on
 * screen each frame can be faster here; SVG's frame over this is the best ratio any viewer can reach.
 */
export async function compositorFloor(browser, viewport, frames) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.setContent(`<!doctype html><html><body style="margin:0;overflow:hidden;background:#f1e9d8">
<canvas id="c" width="${viewport.width + 200}" height="${viewport.height + 200}" style="position:absolute;left:-100px;top:-100px;will-change:transform"></canvas></body></html>`);
    return await page.evaluate(async (n) => {
      const c = document.getElementById("c");
      const gl = c.getContext("webgl", { antialias: false });
      gl.clearColor(0.945, 0.914, 0.847, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      const times = [];
      await new Promise((resolve) => {
        const tick = (t) => {
          times.push(t);
          c.style.transform = `translate(${(times.length % 9) * 10 - 40}px, ${(times.length % 5) * 10 - 20}px)`;
          if (times.length <= n) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      return times.slice(1).map((t, i) => t - times[i]);
    }, frames);
  } finally {
    await context.close();
  }
}
