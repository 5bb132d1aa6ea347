import { createContext, run } from "./program.js";

// `oto … | head` closes the pipe early: stop quietly, as Unix tools do, instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

// Ctrl-C outside a prompt (inquirer handles it inside one): exit 130, or whatever the running
// command installed instead (oto server start shuts down gracefully).
const ctx = createContext();
process.on("SIGINT", () => ctx.signals.interrupt());

run(process.argv, ctx).then((code) => {
  process.exitCode = code;
});
