import { cpSync, mkdirSync } from "node:fs";
import { defineConfig } from "tsup";

// Three entries (the server, its test helper, and the lineage record code `oto verify` imports) sharing
// chunks. Dependencies stay external.
// The spec and the SQL migrations are read at run time, so they are copied next to the bundle:
// the code looks for them by walking up from its own file (src/… in tests, dist/ when built).
export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing.ts", lineage: "src/lineage/index.ts" },
  format: ["esm"],
  dts: true,
  target: "node20",
  platform: "node",
  clean: true,
  sourcemap: true,
  async onSuccess() {
    mkdirSync("dist", { recursive: true });
    cpSync("../../openapi.yaml", "dist/openapi.yaml");
    cpSync("migrations", "dist/migrations", { recursive: true });
  },
});
