// Builds the static landing page into dist/ (or the folder given with --out <dir>).
// The server serves that folder at "/". Usage: node build.mjs [--out <dir>]
import { cp, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const outDir = resolve(values.out ?? join(here, "dist"));
const srcDir = join(here, "src");

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

await build({
  entryPoints: [join(srcDir, "main.ts")],
  outfile: join(outDir, "main.js"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) await cp(join(srcDir, file), join(outDir, file));

console.log(`viewer built into ${outDir}`);
