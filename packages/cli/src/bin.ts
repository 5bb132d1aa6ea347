import { createContext, run } from "./program.js";

// Ctrl-C outside a prompt (inquirer handles it inside one): exit 130, or whatever the running
// command installed instead (oto server start shuts down gracefully).
const ctx = createContext();
process.on("SIGINT", () => ctx.signals.interrupt());

run(process.argv, ctx).then((code) => {
  process.exitCode = code;
});
