import path from "node:path";
import { z } from "zod";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface ServerConfig {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Absolute path of the PGlite data folder, or "memory:" for an in-memory database. */
  dataDir: string;
  /** When set, PostgreSQL is used instead of PGlite. */
  databaseUrl?: string | undefined;
  logLevel: LogLevel;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Attempts per minute, per client address and per handle, on register and login. */
  authRateLimit: number;
  corsOrigins: string[];
  trustProxy: boolean;
  /** Handles (lowercase) that get the admin role when they register. */
  adminHandles: string[];
  /** Check every response against the spec and turn an off-spec one into a 500 (development and tests). */
  checkResponses: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    problem: string,
  ) {
    super(`${variable} ${problem} (got ${value === undefined ? "nothing" : JSON.stringify(value)})`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function integer(min: number, max: number) {
  const message = `must be an integer between ${min} and ${max}`;
  return z
    .string()
    .regex(/^\s*-?\d+\s*$/, { error: message })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: message }).max(max, { error: message }));
}

const boolean = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }))
  .transform((s) => s === "true" || s === "1" || s === "yes");

const commaList = z.string().transform((s) =>
  s
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== ""),
);

const ORIGIN = /^https?:\/\/[^/\s?#]+$/;

const envSchema = z.object({
  OTO_HOST: z.string().trim().min(1, { error: "must not be empty" }).default("127.0.0.1"),
  OTO_PORT: integer(0, 65535).default(4000),
  OTO_DATA_DIR: z.string().default(".oto-data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  OTO_LOG_LEVEL: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }))
    .default("info"),
  OTO_BODY_LIMIT: integer(1, 100 * 1024 * 1024).default(65536),
  OTO_AUTH_RATE_LIMIT: integer(1, 1_000_000).default(10),
  OTO_CORS_ORIGINS: commaList
    .pipe(z.array(z.string().regex(ORIGIN, { error: "must be a comma list of origins like https://example.com" })))
    .default([]),
  OTO_TRUST_PROXY: boolean.default(false),
  OTO_ADMIN_HANDLES: commaList.transform((l) => l.map((h) => h.toLowerCase())).default([]),
  OTO_CHECK_RESPONSES: boolean.optional(),
  NODE_ENV: z.string().optional(),
});

/**
 * Reads the server's settings from environment variables (process.env by default).
 * Empty values count as unset. Throws a ConfigError naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") input[key] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    throw new ConfigError(variable, input[variable], issue.message);
  }
  const e = parsed.data;
  return {
    host: e.OTO_HOST,
    port: e.OTO_PORT,
    dataDir: e.OTO_DATA_DIR === "memory:" ? "memory:" : path.resolve(e.OTO_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    logLevel: e.OTO_LOG_LEVEL,
    bodyLimit: e.OTO_BODY_LIMIT,
    authRateLimit: e.OTO_AUTH_RATE_LIMIT,
    corsOrigins: e.OTO_CORS_ORIGINS,
    trustProxy: e.OTO_TRUST_PROXY,
    adminHandles: e.OTO_ADMIN_HANDLES,
    checkResponses: e.OTO_CHECK_RESPONSES ?? e.NODE_ENV !== "production",
  };
}
