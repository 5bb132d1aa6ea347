import type { FastifyInstance } from "fastify";
import { type BuildOptions, buildApp } from "./app.js";
import type { ServerConfig } from "./config.js";

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  app: FastifyInstance;
  /** Graceful: stops accepting connections, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 10_000;

export async function startServer(config: ServerConfig, options: BuildOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    app,
    close() {
      closing ??= (async () => {
        // In-flight requests get DRAIN_TIMEOUT_MS to finish; then their connections are cut.
        const timer = setTimeout(() => app.server.closeAllConnections(), DRAIN_TIMEOUT_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
}

export interface ShutdownLogger {
  info(msg: string): void;
  error(msg: string): void;
}

/**
 * Closes the server gracefully on SIGINT/SIGTERM, then exits (0, or 1 if closing failed).
 * A second signal while closing exits at once with 1. Returns a function that removes the handlers.
 */
export function installShutdownHandlers(
  server: Pick<RunningServer, "close">,
  log: ShutdownLogger = { info: (m) => console.error(m), error: (m) => console.error(m) },
  options: { signals?: NodeJS.Signals[]; exit?: (code: number) => void } = {},
): () => void {
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.error(`Received ${signal} again; exiting now.`);
      exit(1);
      return;
    }
    shuttingDown = true;
    log.info(`Received ${signal}; finishing in-flight requests and closing the database…`);
    server.close().then(
      () => {
        log.info("Server stopped.");
        exit(0);
      },
      (err: unknown) => {
        log.error(`Could not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
