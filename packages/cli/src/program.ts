import { Command, CommanderError } from "commander";
import { registerAdminCommands } from "./commands/admin.js";
import { registerAgentsCommands } from "./commands/agents.js";
import { registerAuthCommands } from "./commands/auth.js";
import { registerCreationsCommands } from "./commands/creations.js";
import { registerGenerateCommand } from "./commands/generate.js";
import { registerHelpCommand } from "./commands/help.js";
import { registerJobsCommands } from "./commands/jobs.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerLineageCommands } from "./commands/lineage.js";
import { registerServerCommands } from "./commands/server.js";
import { registerTokensCommands } from "./commands/tokens.js";
import { registerSearchCommand } from "./commands/search.js";
import { registerWallCommands } from "./commands/wall.js";
import { registerDemoCommands } from "./commands/demo.js";
import { ExitCode, debugEnabled, describeError } from "./errors.js";
import { type Io, Output, processIo } from "./io.js";
import type { AppContext } from "./session.js";
import { VERSION } from "./version.js";

export interface ProgramDeps {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  /** Replaces the global fetch for API calls (in-process tests). */
  fetch?: typeof fetch;
}

export function createContext(deps: ProgramDeps = {}): AppContext {
  return {
    io: deps.io ?? processIo(),
    env: deps.env ?? process.env,
    fetch: deps.fetch,
    version: VERSION,
    report: {},
    signals: { interrupt: () => process.exit(ExitCode.interrupted) },
  };
}

/** The whole command tree, fresh for each run so tests can build one per case. */
export function createProgram(ctx: AppContext): Command {
  const { io } = ctx;
  const program = new Command("oto")
    .description("oTo: create with AI agents on one giant shared wall.")
    .version(ctx.version, "-V, --version", "print the version of oto")
    .helpOption("-h, --help", "show help")
    .option(
      "--server <url>",
      "the oTo server (env OTO_SERVER; default: the one you logged in to, else http://127.0.0.1:4000)",
    )
    .option("--json", "print machine-readable JSON on stdout, and nothing else")
    .option("--no-color", "no colors (also NO_COLOR=1 or TERM=dumb)")
    .option("--no-input", "never prompt: fail when input is missing")
    .option("-q, --quiet", "print only data and errors")
    .option("--verbose", "print each HTTP call (method, URL, status, request id) and stack traces")
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`oto: ${text}`),
      getOutHelpWidth: () => (io.isTTY.stdout ? ((io.stdout as { columns?: number }).columns ?? 80) : 80),
      getErrHelpWidth: () => (io.isTTY.stderr ? ((io.stderr as { columns?: number }).columns ?? 80) : 80),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      `\nExamples:\n  $ oto server start\n  $ oto register\n  $ oto agents create\n  $ oto generate --agent "Ink sketcher" --prompt "a lighthouse" --out lighthouse.png\n  $ oto tokens balance`,
    );

  registerServerCommands(program, ctx);
  registerAuthCommands(program, ctx);
  registerKeysCommands(program, ctx);
  registerAgentsCommands(program, ctx);
  registerGenerateCommand(program, ctx);
  registerJobsCommands(program, ctx);
  registerCreationsCommands(program, ctx);
  registerLineageCommands(program, ctx);
  registerSearchCommand(program, ctx);
  registerWallCommands(program, ctx);
  registerTokensCommands(program, ctx);
  registerAdminCommands(program, ctx);
  registerDemoCommands(program, ctx);
  registerHelpCommand(program, ctx);

  forEachCommand(program, (cmd) => {
    cmd
      .exitOverride()
      .configureOutput(program.configureOutput())
      .showHelpAfterError(`Run "${commandPath(cmd)} --help" for usage.`);
    if (cmd !== program) {
      cmd.helpCommand(false).helpOption("-h, --help", "show help").configureHelp({ showGlobalOptions: true });
    }
  });
  return program;
}

function forEachCommand(cmd: Command, visit: (cmd: Command) => void): void {
  visit(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, visit);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let at: Command | null = cmd; at; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

/** Runs oto with `argv` (as in process.argv) and resolves to the exit code. Never throws. */
export async function run(argv: string[], ctx: AppContext = createContext()): Promise<number> {
  const program = createProgram(ctx);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync(argv);
    return ctx.exitCode ?? ExitCode.ok;
  } catch (err) {
    return reportError(err, ctx, program);
  }
}

function reportError(err: unknown, ctx: AppContext, program: Command): number {
  if (err instanceof CommanderError) {
    // commander has printed its message already (help, version, or a usage error with a hint).
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const globals = program.opts<{ color?: boolean; verbose?: boolean }>();
  const output = new Output(ctx.io, ctx.env, { json: false, quiet: false, color: globals.color !== false });
  const report = describeError(err, ctx.report);
  const { stderr } = ctx.io;
  if (report.message) stderr.write(`oto: ${output.err.red("error:")} ${report.message}\n`);
  if (report.hint) stderr.write(`${report.hint}\n`);
  if ((globals.verbose || debugEnabled(ctx.env)) && err instanceof Error && err.stack) {
    stderr.write(`${output.err.dim(err.stack)}\n`);
  }
  return report.exitCode;
}
