import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
};

// One small ESM file for the `oto` binary. Dependencies stay external (tsup's default for
// package.json dependencies); the heavy ones are imported lazily inside the action handlers.
export default defineConfig({
  entry: { bin: "src/bin.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
  define: { __OTO_CLI_VERSION__: JSON.stringify(version) },
  clean: true,
  sourcemap: true,
  splitting: false,
});
