// Builds the wall viewer into dist/ (or the folder given with --out <dir>): index.html plus hashed assets
// (JS chunks, CSS, fonts). The server serves that folder at "/". Usage: node build.mjs [--out <dir>]
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const outDir = resolve(values.out ?? join(here, "dist"));
const srcDir = join(here, "src");

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const result = await build({
  entryPoints: { main: join(srcDir, "main.tsx"), style: join(srcDir, "style.css") },
  outdir: outDir,
  entryNames: "[name]-[hash]",
  chunkNames: "chunks/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  jsx: "automatic",
  jsxImportSource: "preact",
  loader: { ".woff2": "file", ".woff": "file" },
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});

const entry = (name) => {
  const [file] = Object.entries(result.metafile.outputs).find(
    ([file, out]) => out.entryPoint && basename(file).startsWith(`${name}-`) && !file.endsWith(".map"),
  );
  return basename(file);
};
const html = (await readFile(join(srcDir, "index.html"), "utf8"))
  .replace("%STYLE%", entry("style"))
  .replace("%MAIN%", entry("main"));
await writeFile(join(outDir, "index.html"), html);

console.log(`viewer built into ${outDir}`);
