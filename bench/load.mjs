// Load generator, run in its own process so it does not share an event loop with the server it measures.
// Usage: node bench/load.mjs '<json: {url, headers, connections, warmupS, durationS}>'
// Prints one JSON line: requests per second (mean over the measured window), latency and failure counts.
import autocannon from "autocannon";

const { url, headers = {}, connections, warmupS, durationS } = JSON.parse(process.argv[2] ?? "{}");

const result = await autocannon({
  url,
  headers,
  connections,
  duration: durationS,
  warmup: warmupS > 0 ? { connections, duration: warmupS } : undefined,
});

process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
