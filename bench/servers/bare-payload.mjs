// Baseline for the wall bench: a bare Fastify route answering GET / with ready-made JSON bytes (read from the file
// BENCH_BODY_FILE: too big for an environment variable), sent as is, like a cached tile. No plugins; Fastify's
// stock logger at BENCH_LOG_LEVEL.
import { readFileSync } from "node:fs";
import Fastify from "fastify";

// Bytes, not a string: oTo also keeps its serialized tiles as UTF-8 bytes, so neither side encodes per request.
const body = readFileSync(process.env.BENCH_BODY_FILE ?? "/dev/null");
const app = Fastify({ logger: { level: process.env.BENCH_LOG_LEVEL ?? "warn" } });
app.get("/", async (_request, reply) => reply.header("content-type", "application/json; charset=utf-8").send(body));

const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.send?.({ url: address });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
