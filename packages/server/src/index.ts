export { buildApp, type BuildOptions } from "./app.js";
export { ConfigError, loadConfig, type LogLevel, type ServerConfig } from "./config.js";
export { installShutdownHandlers, startServer, type RunningServer, type ShutdownLogger } from "./server.js";
export type { ResponseViolation } from "./responseCheck.js";
export type { Db } from "./db/types.js";
