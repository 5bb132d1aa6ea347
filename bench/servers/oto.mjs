// The real oTo server, configured from the environment the bench sets (OTO_DATA_DIR, OTO_LOG_LEVEL, …).
import { loadConfig, startServer } from "../../packages/server/dist/index.js";

const server = await startServer(loadConfig({ ...process.env, OTO_HOST: "127.0.0.1", OTO_PORT: "0" }));
process.send?.({ url: server.url });
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
