import { randomBytes } from "node:crypto";
import pg from "pg";
import type { BuildOptions } from "./app.js";
import { type ServerConfig, loadConfig } from "./config.js";
import { type RunningServer, startServer } from "./server.js";

export type { RunningServer } from "./server.js";
export type { ServerConfig } from "./config.js";

export interface TestServerOptions extends BuildOptions {}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Splits overrides into environment-style ones (OTO_AUTH_RATE_LIMIT: "3") and ServerConfig fields. */
function splitOverrides(overrides: Partial<ServerConfig> | Record<string, string>) {
  const env: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (ENV_NAME.test(key)) env[key] = String(value);
    else fields[key] = value;
  }
  return { env, fields: fields as Partial<ServerConfig> };
}

/** Creates database oto_test_<random> next to the admin URL's database; returns its URL and a drop(). */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `oto_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A real server for tests: 127.0.0.1, a free port, in-memory PGlite, no logs, responses checked
 * against the spec. With OTO_TEST_DATABASE_URL set (a postgres:// URL whose user may CREATE
 * DATABASE), it runs on a fresh PostgreSQL database instead, dropped by close().
 * close() also fails if any response broke the spec, so an off-spec answer cannot go unnoticed.
 */
export async function startTestServer(
  overrides: Partial<ServerConfig> | Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<RunningServer> {
  const { env, fields } = splitOverrides(overrides);
  const base = loadConfig({
    OTO_HOST: "127.0.0.1",
    OTO_PORT: "0",
    OTO_DATA_DIR: "memory:",
    OTO_LOG_LEVEL: "silent",
    OTO_CHECK_RESPONSES: "true",
    ...env,
  });
  const config: ServerConfig = { ...base, ...fields };

  const adminUrl = process.env.OTO_TEST_DATABASE_URL;
  const database = adminUrl && !config.databaseUrl ? await createTestDatabase(adminUrl) : undefined;
  if (database) config.databaseUrl = database.url;

  let server: RunningServer;
  try {
    server = await startServer(config, options);
  } catch (err) {
    await database?.drop();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    app: server.app,
    close() {
      closing ??= (async () => {
        await server.close();
        await database?.drop();
        const violations = server.app.responseViolations;
        if (violations.length > 0) {
          throw new Error(
            `${violations.length} response(s) did not follow openapi.yaml:\n` +
              violations.map((v) => `${v.method} ${v.url} → ${v.status}: ${v.problems.join("; ")}`).join("\n"),
          );
        }
      })();
      return closing;
    },
  };
}
