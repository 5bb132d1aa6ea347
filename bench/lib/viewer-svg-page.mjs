// The baseline for the viewer bench: the same post-its and strings drawn the classic way, with d3 and SVG.
// Every post-it is a <g> (rotated rect with a border + its title as <text>), every string a sagging <path>,
// all under one <g> whose transform d3-zoom sets, as a d3 + SVG wall would be written.
// The page is one HTML file with d3-selection and d3-zoom bundled in (from the viewer's own dependencies).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
// esbuild is the viewer's own build dependency.
const { build } = createRequire(join(root, "packages/viewer/package.json"))("esbuild");

const PAGE_SCRIPT = `
import { select } from "d3-selection";
import { zoom, zoomIdentity } from "d3-zoom";

const NS = "http://www.w3.org/2000/svg";
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Draws the scene and centres wall point (cx, cy) at scale k. */
function load({ postits, strings, view, width, height }) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.style.cssText = "display:block;background:#f1e9d8";
  const notes = postits
    .map((p) => {
      const h = p.size / 2;
      return '<g transform="translate(' + p.x + "," + p.y + ") rotate(" + p.rotation + ')">' +
        '<rect x="' + -h + '" y="' + -h + '" width="' + p.size + '" height="' + p.size + '" fill="' + p.colour +
        '" stroke="#00000033" stroke-width="2"/>' +
        '<text y="' + -h * 0.35 + '" font-size="26" text-anchor="middle">' + esc(p.title) + "</text></g>";
    })
    .join("");
  const threads = strings
    .map((s) => {
      // From pin to pin (the pin sits near the top of a post-it), as the viewer draws them.
      const pin = (size) => size * 0.4;
      const size = postits[0]?.size ?? 200;
      const ax = s.from.x, ay = s.from.y - pin(size), bx = s.to.x, by = s.to.y - pin(size);
      const sag = Math.hypot(bx - ax, by - ay) * 0.08;
      return '<path d="M' + ax + " " + ay + "Q" + (ax + bx) / 2 + " " + ((ay + by) / 2 + sag) + " " + bx + " " + by +
        '" stroke="' + (s.colour || "#8d6e63") + '"/>';
    })
    .join("");
  svg.innerHTML =
    '<g id="world" font-family="cursive" fill="#3b3b3b">' + notes +
    '<g fill="none" stroke-width="3" stroke-opacity="0.85">' + threads + "</g></g>";
  document.body.appendChild(svg);
  const world = svg.querySelector("#world");
  const behavior = zoom().on("zoom", (event) => world.setAttribute("transform", event.transform.toString()));
  const selection = select(svg);
  selection.call(behavior);
  behavior.transform(selection, zoomIdentity.translate(width / 2 - view.cx * view.k, height / 2 - view.cy * view.k).scale(view.k));
  window.bench = {
    drawn: postits.length,
    strings: svg.querySelectorAll("path").length,
    /** Moves the view by (dx, dy) screen pixels (the content the other way), as the viewer's camera.panBy does. */
    panBy: (dx, dy) => behavior.translateBy(selection, -dx / view.k, -dy / view.k),
  };
}
window.loadScene = load;
`;

let html;

/** The baseline page (HTML with its script inlined); call window.loadScene(scene) in it. */
export async function svgPageHtml() {
  if (html) return html;
  const result = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: join(root, "packages/viewer"), loader: "js" },
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "warning",
  });
  const script = result.outputFiles[0].text.replace(/<\/script/gi, "<\\/script");
  html = `<!doctype html><html><head><meta charset="utf-8"><title>d3 + SVG wall</title>
<style>html,body{margin:0;overflow:hidden;background:#f1e9d8}</style></head><body><script>${script}</script></body></html>`;
  return html;
}
