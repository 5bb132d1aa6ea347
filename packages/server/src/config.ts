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
  /** The server's address as clients reach it (share links, webhook URLs); default http://host:port. */
  publicUrl?: string | undefined;
  /** Where creation files are stored (content-addressed); default <dataDir>/files, a temp folder in memory mode. */
  filesDir?: string | undefined;
  /** Largest output file a provider may return, in bytes. */
  maxOutputBytes: number;
  /** Tokens granted to each new account. */
  starterTokens: number;
  /** A job not ended after this many seconds is timed out and its hold released. */
  jobTimeoutS: number;
  /** Memory for serialized wall tiles, in MiB (default 64; 0 turns the tile cache off). */
  wallTileCacheMb?: number | undefined;
  runpod: {
    apiKey?: string | undefined;
    /** RunPod's serverless API (tests point it at a local server). */
    apiBase: string;
    /** Hosts a RunPod worker may return output URLs on. */
    outputHosts: string[];
  };
  stripe: {
    secretKey?: string | undefined;
    webhookSecret?: string | undefined;
    /** Stripe's API (tests point it at a local server that speaks the endpoints used). */
    apiBase?: string | undefined;
  };
  /** Token packs on sale: JSON array of {id, name, tokens, price: {amount, currency}}. */
  tokenPacks: TokenPackConfig[];
}

export interface TokenPackConfig {
  id: string;
  name: string;
  tokens: number;
  price: { amount: number; currency: string };
}

export const DEFAULT_TOKEN_PACKS: TokenPackConfig[] = [
  { id: "starter", name: "Starter pack", tokens: 100, price: { amount: 500, currency: "eur" } },
  { id: "creator", name: "Creator pack", tokens: 500, price: { amount: 2000, currency: "eur" } },
  { id: "studio", name: "Studio pack", tokens: 2000, price: { amount: 6000, currency: "eur" } },
];

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
  OTO_PUBLIC_URL: z.string().regex(/^https?:\/\/[^\s?#]+$/, { error: "must be an http(s) URL without query" }).optional(),
  OTO_FILES_DIR: z.string().optional(),
  OTO_MAX_OUTPUT_BYTES: integer(1024, 2 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  OTO_STARTER_TOKENS: integer(0, 1_000_000).default(50),
  OTO_JOB_TIMEOUT_S: integer(5, 7 * 24 * 3600).default(900),
  OTO_WALL_TILE_CACHE_MB: integer(0, 65536).optional(),
  RUNPOD_API_KEY: z.string().optional(),
  RUNPOD_API_BASE: z.string().regex(/^https?:\/\/\S+$/, { error: "must be an http(s) URL" }).default("https://api.runpod.ai/v2"),
  OTO_RUNPOD_OUTPUT_HOSTS: commaList.default([]),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_\S+$/, { error: "must be a Stripe secret key (sk_… or rk_…)" }).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\S+$/, { error: "must be a Stripe webhook signing secret (whsec_…)" }).optional(),
  STRIPE_API_BASE: z.string().regex(/^https?:\/\/\S+$/, { error: "must be an http(s) URL" }).optional(),
  OTO_TOKEN_PACKS: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON array of packs" });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .array(
          z.object({
            id: z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: "needs pack ids of 1-32 characters a-z, 0-9, _ or -" }),
            name: z.string().min(1).max(80, { error: "needs pack names of 1-80 characters" }),
            tokens: z.number().int().min(1, { error: "needs a whole number of tokens, at least 1, per pack" }),
            price: z.object({
              amount: z.number().int().min(0, { error: "needs prices in whole minor units (cents), at least 0" }),
              currency: z.string().regex(/^[a-z]{3}$/, { error: "needs lowercase ISO currency codes like eur" }),
            }),
          }),
          { error: "must be a JSON array of {id, name, tokens, price: {amount, currency}}" },
        )
        .min(1, { error: "must list at least one pack" }),
    )
    .optional(),
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
    publicUrl: e.OTO_PUBLIC_URL?.replace(/\/+$/, ""),
    filesDir: e.OTO_FILES_DIR === undefined ? undefined : path.resolve(e.OTO_FILES_DIR),
    maxOutputBytes: e.OTO_MAX_OUTPUT_BYTES,
    starterTokens: e.OTO_STARTER_TOKENS,
    jobTimeoutS: e.OTO_JOB_TIMEOUT_S,
    wallTileCacheMb: e.OTO_WALL_TILE_CACHE_MB,
    runpod: { apiKey: e.RUNPOD_API_KEY, apiBase: e.RUNPOD_API_BASE.replace(/\/+$/, ""), outputHosts: e.OTO_RUNPOD_OUTPUT_HOSTS },
    stripe: { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiBase: e.STRIPE_API_BASE },
    tokenPacks: e.OTO_TOKEN_PACKS ?? DEFAULT_TOKEN_PACKS,
  };
}
