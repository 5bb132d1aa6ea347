import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

test("a reader that closes the pipe early (oto --help | head -1) ends oto quietly", async () => {
  const child = spawn(process.execPath, [BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Close our end before oto writes anything: its first write then fails with EPIPE.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(stderr).not.toMatch(/EPIPE|Unhandled|Error/);
  expect(code).toBe(0);
});
