// Writes a wall of N post-its into a PGlite data folder (see bench/lib/wall-fixture.mjs).
// Usage: node bench/wall-generate.mjs [--postits 1000000] [--per-account 100] --dir <folder>
import { existsSync, readdirSync } from "node:fs";
import { benchArgs } from "./lib/args.mjs";
import { generateWall } from "./lib/wall-fixture.mjs";

const { opts, fail } = benchArgs("wall-generate", { postits: { type: "string", default: "1000000" }, "per-account": { type: "string", default: "100" }, dir: { type: "string" } });
const postits = Number(opts.postits);
const perAccount = Number(opts["per-account"]);
if (!Number.isInteger(postits) || postits < 1 || postits > 50_000_000) fail(`--postits must be an integer from 1 to 50000000 (got "${opts.postits}")`);
if (!Number.isInteger(perAccount) || perAccount < 4 || perAccount > 110) fail(`--per-account must be an integer from 4 to 110 (got "${opts["per-account"]}")`);
if (!opts.dir) fail("--dir <folder> is required (a new or empty folder for the PGlite data)");
if (existsSync(opts.dir) && readdirSync(opts.dir).length > 0) fail(`${opts.dir} is not empty: give a new folder`);

try {
  await generateWall({ dir: opts.dir, postits, perAccount, log: (line) => console.error(line) });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
