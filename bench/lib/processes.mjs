// Child processes for the HTTP benches: servers under test (bench/servers/*.mjs, each reporting its URL over IPC)
// and the load generator (bench/load.mjs), each in its own process so none shares an event loop with another.
import { fork, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts bench/servers/<script> with extra env; resolves with its URL once it listens, and a stop(). */
export function startServerProcess(script, env = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(join(benchDir, "servers", script), {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    children.add(child);
    child.once("message", (message) => resolve({ url: message.url, stop: () => stopProcess(child) }));
    child.once("exit", (code) => reject(new Error(`${script} exited with code ${code} before listening`)));
  });
}

function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Runs autocannon (bench/load.mjs) against url with load = {connections, warmupS, durationS}; every response must
 * be a 2xx, or the measurement fails.
 */
export function measureLoad(label, url, load, headers = {}) {
  process.stderr.write(`  ${label}: ${load.warmupS}s warm-up + ${load.durationS}s, ${load.connections} connections…\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, "load.mjs"), JSON.stringify({ url, headers, ...load })], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
      const result = JSON.parse(out);
      if (result.non2xx || result.errors || result.timeouts || result.requests === 0) {
        return reject(new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`));
      }
      resolve(result);
    });
  });
}
