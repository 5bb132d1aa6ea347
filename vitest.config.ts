import { defineConfig } from "vitest/config";

// One run covers every package. Tests talk to real servers on 127.0.0.1, so give them room,
// and keep to two workers: CI machines have two cores.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
