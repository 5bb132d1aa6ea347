import path from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError, DEFAULT_TOKEN_PACKS, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  test("defaults", () => {
    expect(loadConfig({})).toEqual({
      host: "127.0.0.1",
      port: 4000,
      dataDir: path.resolve(".oto-data"),
      databaseUrl: undefined,
      logLevel: "info",
      bodyLimit: 65536,
      authRateLimit: 10,
      corsOrigins: [],
      trustProxy: false,
      adminHandles: [],
      checkResponses: true,
      publicUrl: undefined,
      filesDir: undefined,
      maxOutputBytes: 50 * 1024 * 1024,
      starterTokens: 50,
      jobTimeoutS: 900,
      runpod: { apiKey: undefined, apiBase: "https://api.runpod.ai/v2", outputHosts: [] },
      stripe: { secretKey: undefined, webhookSecret: undefined, apiBase: undefined },
      tokenPacks: DEFAULT_TOKEN_PACKS,
    });
  });

  test("reads every variable", () => {
    const config = loadConfig({
      OTO_HOST: "0.0.0.0",
      OTO_PORT: "0",
      OTO_DATA_DIR: "/var/lib/oto",
      DATABASE_URL: "postgres://u:p@db:5432/oto",
      OTO_LOG_LEVEL: "WARN",
      OTO_BODY_LIMIT: "1024",
      OTO_AUTH_RATE_LIMIT: "5",
      OTO_CORS_ORIGINS: "https://oto.dev, http://localhost:5173",
      OTO_TRUST_PROXY: "yes",
      OTO_ADMIN_HANDLES: "Ada,bob",
      OTO_CHECK_RESPONSES: "false",
      OTO_PUBLIC_URL: "https://oto.example/",
      OTO_FILES_DIR: "/srv/oto-files",
      OTO_MAX_OUTPUT_BYTES: "2048",
      OTO_STARTER_TOKENS: "0",
      OTO_JOB_TIMEOUT_S: "60",
      RUNPOD_API_KEY: "rp_key",
      RUNPOD_API_BASE: "http://127.0.0.1:9000/v2/",
      OTO_RUNPOD_OUTPUT_HOSTS: "cdn.example, 127.0.0.1",
      STRIPE_SECRET_KEY: "sk_test_123",
      STRIPE_WEBHOOK_SECRET: "whsec_abc",
      STRIPE_API_BASE: "http://127.0.0.1:12111",
      OTO_TOKEN_PACKS: '[{"id":"mini","name":"Mini","tokens":10,"price":{"amount":99,"currency":"usd"}}]',
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 0,
      dataDir: "/var/lib/oto",
      databaseUrl: "postgres://u:p@db:5432/oto",
      logLevel: "warn",
      bodyLimit: 1024,
      authRateLimit: 5,
      corsOrigins: ["https://oto.dev", "http://localhost:5173"],
      trustProxy: true,
      adminHandles: ["ada", "bob"],
      checkResponses: false,
      publicUrl: "https://oto.example",
      filesDir: "/srv/oto-files",
      maxOutputBytes: 2048,
      starterTokens: 0,
      jobTimeoutS: 60,
      runpod: { apiKey: "rp_key", apiBase: "http://127.0.0.1:9000/v2", outputHosts: ["cdn.example", "127.0.0.1"] },
      stripe: { secretKey: "sk_test_123", webhookSecret: "whsec_abc", apiBase: "http://127.0.0.1:12111" },
      tokenPacks: [{ id: "mini", name: "Mini", tokens: 10, price: { amount: 99, currency: "usd" } }],
    });
  });

  test("memory: keeps PGlite in memory; a relative data dir is made absolute", () => {
    expect(loadConfig({ OTO_DATA_DIR: "memory:" }).dataDir).toBe("memory:");
    expect(loadConfig({ OTO_DATA_DIR: "data/x" }).dataDir).toBe(path.resolve("data/x"));
  });

  test("empty values count as unset", () => {
    expect(loadConfig({ OTO_PORT: "", DATABASE_URL: " " })).toMatchObject({ port: 4000, databaseUrl: undefined });
  });

  test("responses are checked unless NODE_ENV is production", () => {
    expect(loadConfig({ NODE_ENV: "production" }).checkResponses).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", OTO_CHECK_RESPONSES: "true" }).checkResponses).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).checkResponses).toBe(true);
  });

  test.each([
    ["OTO_PORT", "abc", 'OTO_PORT must be an integer between 0 and 65535 (got "abc")'],
    ["OTO_PORT", "65536", 'OTO_PORT must be an integer between 0 and 65535 (got "65536")'],
    ["OTO_PORT", "-1", 'OTO_PORT must be an integer between 0 and 65535 (got "-1")'],
    ["OTO_PORT", "80.5", 'OTO_PORT must be an integer between 0 and 65535 (got "80.5")'],
    ["OTO_BODY_LIMIT", "0", 'OTO_BODY_LIMIT must be an integer between 1 and 104857600 (got "0")'],
    ["OTO_AUTH_RATE_LIMIT", "ten", 'OTO_AUTH_RATE_LIMIT must be an integer between 1 and 1000000 (got "ten")'],
    ["OTO_LOG_LEVEL", "loud", 'OTO_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    ["DATABASE_URL", "mysql://x", 'DATABASE_URL must be a postgres:// or postgresql:// URL (got "mysql://x")'],
    ["OTO_TRUST_PROXY", "maybe", 'OTO_TRUST_PROXY must be true or false (got "maybe")'],
    ["OTO_CORS_ORIGINS", "https://ok.dev,not a url", "OTO_CORS_ORIGINS must be a comma list of origins like https://example.com"],
    ["STRIPE_SECRET_KEY", "pk_live_1", 'STRIPE_SECRET_KEY must be a Stripe secret key (sk_… or rk_…) (got "pk_live_1")'],
    ["STRIPE_WEBHOOK_SECRET", "secret", 'STRIPE_WEBHOOK_SECRET must be a Stripe webhook signing secret (whsec_…) (got "secret")'],
    ["OTO_STARTER_TOKENS", "-5", 'OTO_STARTER_TOKENS must be an integer between 0 and 1000000 (got "-5")'],
    ["OTO_TOKEN_PACKS", "nope", 'OTO_TOKEN_PACKS must be a JSON array of packs (got "nope")'],
    ["OTO_TOKEN_PACKS", "[]", 'OTO_TOKEN_PACKS must list at least one pack (got "[]")'],
    [
      "OTO_TOKEN_PACKS",
      '[{"id":"X","name":"a","tokens":1,"price":{"amount":1,"currency":"eur"}}]',
      "OTO_TOKEN_PACKS needs pack ids of 1-32 characters a-z, 0-9, _ or -",
    ],
  ])("%s=%s is refused with a message naming it", (variable, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).value).toBe(value);
  });

  test("reads process.env by default", () => {
    const saved = process.env.OTO_PORT;
    process.env.OTO_PORT = "4321";
    try {
      expect(loadConfig().port).toBe(4321);
    } finally {
      if (saved === undefined) delete process.env.OTO_PORT;
      else process.env.OTO_PORT = saved;
    }
  });
});
