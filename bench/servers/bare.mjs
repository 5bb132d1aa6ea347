// Baseline: a bare Fastify route that answers GET / with the JSON given in BENCH_BODY (the same
// document the oTo server answers on GET /v1/me). No plugins; Fastify's stock logger at BENCH_LOG_LEVEL,
// the level the oTo server runs at in the same bench (at warn and above, neither logs per request).
import Fastify from "fastify";

const body = JSON.parse(process.env.BENCH_BODY ?? "{}");
const app = Fastify({ logger: { level: process.env.BENCH_LOG_LEVEL ?? "warn" } });
app.get("/", async () => body);

const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.send?.({ url: address });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
