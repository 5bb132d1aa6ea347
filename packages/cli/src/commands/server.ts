import { Command, InvalidArgumentError } from "commander";
import { CliError, ExitCode, UsageError } from "../errors.js";
import { displayPath } from "../io.js";
import { prettyLogStream } from "../serverLog.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface StartOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  demo?: boolean;
}

/** OTO_DEMO=1 (or true/yes) asks for the demo wall like --demo. */
function demoRequested(opts: StartOptions, env: NodeJS.ProcessEnv): boolean {
  return Boolean(opts.demo) || /^(1|true|yes)$/i.test(env.OTO_DEMO ?? "");
}

/** Each option and the server variable it overrides, to name the option in a config error. */
const OPTION_VARIABLES = { port: "OTO_PORT", host: "OTO_HOST", dataDir: "OTO_DATA_DIR" } as const;
const OPTION_FLAGS = { port: "--port", host: "--host", dataDir: "--data-dir" } as const;

function parsePort(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError("It must be a whole number from 0 to 65535 (0 picks a free port).");
  }
  return value;
}

export function registerServerCommands(program: Command, ctx: AppContext): void {
  const server = new Command("server")
    .description("Run an oTo server on this machine")
    .addHelpText("after", examples(["oto server start", "oto server start --port 4555 --data-dir ./oto-data"]));

  server
    .command("start")
    .description("Start the oTo API server and keep it running until Ctrl-C (or SIGTERM)")
    .option("--port <n>", "the port to listen on, 0 for any free one (env OTO_PORT; default 4000)", parsePort)
    .option("--host <host>", "the address to listen on (env OTO_HOST; default 127.0.0.1)")
    .option(
      "--data-dir <dir>",
      "the folder of the embedded database, or memory: (env OTO_DATA_DIR; default ./.oto-data)",
    )
    .option("--demo", "when the database has no accounts yet, fill the wall with a demo after starting (env OTO_DEMO=1)")
    .addHelpText(
      "after",
      `${examples([
        "oto server start",
        "oto server start --port 4555 --data-dir /tmp/oto-try",
        "oto server start --port 0 --data-dir memory: --json",
        "oto server start --demo",
        "DATABASE_URL=postgres://localhost/oto oto server start",
      ])}\nEvery other setting comes from the environment: run "oto help environment".\n`,
    )
    .action((opts: StartOptions, cmd: Command) => startServer(new Session(ctx, cmd), opts));

  program.addCommand(server);
}

async function startServer(s: Session, opts: StartOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...s.env };
  for (const [option, variable] of Object.entries(OPTION_VARIABLES)) {
    const value = opts[option as keyof typeof OPTION_VARIABLES];
    if (value !== undefined) env[variable] = value;
  }

  // The server and its dependencies (Fastify, PGlite) are big: load them only here.
  const { installShutdownHandlers, loadConfig, startServer: start } = await import("@oto/server");
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (err) {
    throw configErrorForFlags(err, opts);
  }

  // On a terminal the JSON log lines become readable one-liners, held back while the spinner runs;
  // with --json or off a terminal they stay JSON lines on stdout (pino's default).
  const io = s.ctx.io;
  const logStream =
    io.isTTY.stdout && !s.globals.json ? prettyLogStream((text) => io.stdout.write(text), s.out.out) : undefined;
  logStream?.hold();
  const running = await s.out
    .withSpinner("Starting the oTo server", () => start(config, logStream ? { logStream } : {}))
    .catch((err: unknown) => {
      logStream?.release();
      throw startFailure(err, config.host, config.port);
    });

  // The server's own graceful shutdown (finish requests in flight, close the database, exit 0)
  // handles Ctrl-C and SIGTERM from now on, instead of the CLI's usual exit 130.
  s.ctx.signals.interrupt = () => {};
  let firstMessage = true;
  installShutdownHandlers(running, {
    // On a terminal the first message follows the echoed "^C": start it on a line of its own.
    info: (message) => {
      s.out.info(firstMessage && s.ctx.io.isTTY.stderr ? `\n${message}` : message);
      firstMessage = false;
    },
    error: (message) => s.out.warn(message),
  });

  const docsUrl = `${running.url}/docs`;
  const database = config.databaseUrl
    ? { kind: "postgres", where: redactUrl(config.databaseUrl) }
    : { kind: "pglite", where: config.dataDir === "memory:" ? "memory (nothing is kept)" : config.dataDir };
  if (s.globals.json) {
    // One line: the server's logs that follow on stdout are JSON lines too.
    s.out.jsonLine({
      url: running.url,
      docs_url: docsUrl,
      database: database.kind,
      data_dir: config.databaseUrl ? null : config.dataDir,
      pid: process.pid,
    });
    if (demoRequested(opts, s.env)) await startDemo(s, running, config);
    return;
  }
  const { out } = s.out;
  s.out.line(`${out.green("●")} oTo server listening on ${out.bold(running.url)}`);
  s.out.keyValues([
    ["  API docs", docsUrl],
    [
      "  database",
      database.kind === "pglite"
        ? `PGlite in ${displayPath(database.where, s.env)}`
        : `PostgreSQL at ${database.where}`,
    ],
  ]);
  s.out.info("Press Ctrl-C to stop.");
  logStream?.release();
  if (demoRequested(opts, s.env)) await startDemo(s, running, config);
}

type Running = Awaited<ReturnType<typeof import("@oto/server").startServer>>;
type Db = Running["app"]["db"];

/**
 * On an empty database, seeds the demo wall through the server's own HTTP API, in the background: the server is
 * ready at once and the wall fills up while it runs. Progress goes to the server's log.
 */
async function startDemo(
  s: Session,
  running: Running,
  config: { starterTokens: number; authRateLimit: number },
): Promise<void> {
  const log = running.app.log;
  const [{ seedDemo }, { describeDemoEvent }] = await Promise.all([import("../demo/seed.js"), import("./demo.js")]);
  // A shutdown stops the seeding with the server (no "connection refused" noise).
  const stop = new AbortController();
  const abort = () => stop.abort(new Error("the server is stopping"));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  const release = () => {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  };
  // Sign-ups from this machine share the per-address limit with the person about to run "oto register":
  // the demo leaves them two, and does not wait a minute for the rest.
  const accounts = Math.max(1, Math.min(DEMO.accounts, config.authRateLimit - 2));
  const seed = () => {
    log.info(`demo: seeding a demo wall (${accounts} accounts, ${DEMO.creations} creations) through the API`);
    const seeding = seedDemo({
      ...DEMO,
      accounts,
      tokensPerAccount: config.starterTokens,
      client: (apiKey) => s.client(running.url, apiKey),
      signal: stop.signal,
      onEvent: (event) => log.info(`demo: ${describeDemoEvent(event)}`),
    });
    seeding
      .then((summary) => {
        log.info(
          { demo: { accounts: summary.accounts.length, creations: summary.creations.length, forks: summary.forks, ms: summary.elapsed_ms } },
          `demo: ready, ${summary.accounts.length} accounts and ${summary.creations.length} creations (${summary.forks} forks, ${summary.max_depth} levels deep) in ${(summary.elapsed_ms / 1000).toFixed(1)} s`,
        );
      })
      .catch((err: unknown) => {
        if (!stop.signal.aborted) log.warn(`demo: seeding stopped: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(release);
    return seeding;
  };
  const claimed = await claimEmptyDatabase(running.app.db, seed);
  if (claimed === "busy") log.info("demo: another server is seeding this database; not seeding");
  if (claimed === "not-empty") log.info("demo: the database already has accounts; not seeding");
  if (claimed !== "seeding") release();
}

/** Any fixed number, distinct from the server's own advisory locks (migrations, the wall). */
const DEMO_LOCK = 7_424_303;

/**
 * Starts `seed` only on a database with no accounts, and only in one server at a time. On PostgreSQL, servers
 * started together on one empty database would all see it empty: the seeding runs under a transaction-scoped
 * advisory lock that the others fail to take (and once it is done, they see the accounts). PGlite has one process.
 * Answers at once; the seeding goes on behind (the lock's transaction stays open until it ends). `seed` reports
 * its own outcome.
 */
async function claimEmptyDatabase(db: Db, seed: () => Promise<unknown>): Promise<"seeding" | "busy" | "not-empty"> {
  const empty = async (q: Pick<Db, "query">) => ((await q.query<{ n: number }>("SELECT count(*)::int AS n FROM accounts"))[0]?.n ?? 0) === 0;
  if (db.kind === "pglite") {
    if (!(await empty(db))) return "not-empty";
    void seed();
    return "seeding";
  }
  return new Promise((answer, fail) => {
    db.transaction(async (tx) => {
      const [row] = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [DEMO_LOCK]);
      if (!row?.locked) return answer("busy");
      if (!(await empty(tx))) return answer("not-empty");
      const seeding = seed();
      answer("seeding");
      await seeding.catch(() => {});
    }).catch(fail);
  });
}

// The README's demo wall: the same one on every first start.
const DEMO = { accounts: 12, creations: 60, seed: 1 } as const;

/** ConfigError names the environment variable; name the option instead when the value came from one. */
function configErrorForFlags(err: unknown, opts: StartOptions): unknown {
  if (!(err instanceof Error) || err.name !== "ConfigError") return err;
  const variable = (err as Error & { variable?: string }).variable;
  for (const [option, name] of Object.entries(OPTION_VARIABLES)) {
    if (name === variable && opts[option as keyof typeof OPTION_VARIABLES] !== undefined) {
      return new UsageError(`${OPTION_FLAGS[option as keyof typeof OPTION_VARIABLES]}${err.message.slice(name.length)}`);
    }
  }
  return new UsageError(err.message, 'See "oto help environment".');
}

function startFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new CliError(
      `port ${port} on ${host} is already in use.`,
      ExitCode.failure,
      "Pick another one with --port, or --port 0 for any free port.",
    );
  }
  if (code === "EACCES") {
    return new CliError(
      `not allowed to listen on ${host}:${port}.`,
      ExitCode.failure,
      "Ports below 1024 need special rights; try --port 4000.",
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new CliError(`cannot listen on ${host}: no such address on this machine.`, ExitCode.failure);
  }
  return err;
}

/** postgres://user:secret@host/db → postgres://user:***@host/db */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}
