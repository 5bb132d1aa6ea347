import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// ESM for import, CJS for require (n8n's Code node). openapi-fetch and eventsource-parser are bundled in so that
// require("@oto/sdk") loads a single file with no dependency to resolve at run time.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  noExternal: ["openapi-fetch", "eventsource-parser"],
  define: { __OTO_SDK_VERSION__: JSON.stringify(version) },
});
