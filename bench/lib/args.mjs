// Command-line options for a bench script: node's parseArgs, with a bad option or value ending the run in one line
// ("<name>: <message>", exit 1) instead of a stack trace.
import { parseArgs } from "node:util";

/** Parses `options` (parseArgs's); answers the values, `fail` and an integer reader with a lower bound. */
export function benchArgs(name, options) {
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  let opts;
  try {
    ({ values: opts } = parseArgs({ options }));
  } catch (err) {
    fail(err.message);
  }
  const int = (option, min) => {
    const n = Number(opts[option]);
    if (!Number.isInteger(n) || n < min) fail(`--${option} must be an integer ≥ ${min} (got "${opts[option]}")`);
    return n;
  };
  return { opts, fail, int };
}
