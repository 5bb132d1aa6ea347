import type { Command } from "commander";
import type { Agent, Generation, Oto, Quote } from "@oto/sdk";
import { elapsed, tokens as tokenCount } from "../format.js";
import { followJob, reportStarted } from "../follow.js";
import { formatBytes, displayPath } from "../io.js";
import { collect, keyValue, wholeNumber } from "../parsers.js";
import { type RunFlags, buildRunRequest } from "../runs.js";
import { checkTarget, saveDownload } from "../save.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface GenerateFlags extends RunFlags {
  wait?: boolean;
  out?: string;
  force?: boolean;
  quote?: boolean;
  dryRun?: boolean;
  timeout: number;
}

const EXAMPLE = 'oto generate --agent ag_… --prompt "a lighthouse in a storm" --wait';

/** --agent, --prompt, --var, --param, --from: what a run needs (oto generate, oto tokens quote). */
export function withRunOptions(cmd: Command): Command {
  return cmd
    .option("--agent <agent>", "the agent to run: its id (ag_…), or the name of one of yours")
    .option("--prompt <text>", "what to make")
    .option("--var <name=value>", "a value for one of the template's other {{variables}} (repeatable)", keyValue)
    .option("--param <key=value>", "a generation parameter, e.g. width=512 or seed=7 (repeatable)", keyValue)
    .option("--from <creation>", "a creation to start from (a fork; repeatable, up to 4)", collect);
}

export function registerGenerateCommand(program: Command, ctx: AppContext): void {
  withRunOptions(program.command("generate").description("Run an agent: holds its price and makes a creation"))
    .option("--wait", "wait for the job to end, with live progress, and print the creation id")
    .option("--out <file>", "save the resulting file there (implies --wait; - for stdout; a folder keeps its name)")
    .option("--force", "with --out: overwrite an existing file")
    .option("--quote", "only say what the run would cost; nothing is held or run")
    .option("--dry-run", "the same as --quote")
    .option("--timeout <seconds>", "with --wait: how long to wait for the job", wholeNumber(1, 86_400), 600)
    .addHelpText(
      "after",
      `${examples([
        EXAMPLE,
        'oto generate --agent "Ink sketcher" --prompt "a fox" --param width=768 --out fox.png',
        'oto generate --agent ag_… --prompt "the same, at night" --from cr_… --wait --json',
        'oto generate --agent ag_… --prompt "a haiku" --quote',
        'oto generate --agent ag_… --prompt "a haiku" --out - | less',
      ])}\nWithout --wait it prints the job id at once; follow it with "oto jobs watch <job>".\n`,
    )
    .action((opts: GenerateFlags, cmd: Command) => generate(new Session(ctx, cmd), opts));
}

async function generate(s: Session, opts: GenerateFlags): Promise<void> {
  const wait = Boolean(opts.wait || opts.out !== undefined);
  const target = { ...(opts.out !== undefined && { out: opts.out }), force: Boolean(opts.force) };
  if (opts.out !== undefined) await checkTarget(s, target);
  const { oto, auth } = await s.authedClient();
  const { agent, body } = await buildRunRequest(s, oto, opts, EXAMPLE);

  if (opts.quote || opts.dryRun) {
    const quote = await s.out.withSpinner(`Pricing a run of ${agent.name}`, () => oto.generations.quote(body));
    return printQuote(s, agent, quote);
  }

  if (!wait) {
    const job = await s.out.withSpinner(`Starting ${agent.name} on ${auth.server}`, () => oto.generations.create(body));
    return reportStarted(s, job, `Started ${job.id} with ${agent.name}`);
  }

  const done = await followJob(s, {
    label: agent.name,
    timeoutMs: opts.timeout * 1000,
    wait: (waitOptions) => oto.generateAndWait(body, waitOptions),
  });
  await reportSuccess(s, oto, done, target, opts.out !== undefined);
}

async function reportSuccess(
  s: Session,
  oto: Oto,
  done: Generation,
  target: { out?: string; force: boolean },
  save: boolean,
): Promise<void> {
  const creationId = done.creation_id as string;
  const took = elapsed(done.started_at ?? done.created_at, done.finished_at);
  if (!save) {
    if (s.globals.json) return s.out.json(done);
    s.out.success(
      `Made ${done.agent.kind} ${creationId} with ${done.agent.name} in ${took}; ${tokenCount(done.cost.charged)} charged.`,
    );
    s.out.line(creationId);
    s.out.info(`  Save it: oto download ${creationId}`);
    return;
  }
  const file = await oto.creations.download(creationId, { stream: true });
  const saved = await saveDownload(s, file, target);
  if (s.globals.json) return s.out.json(done);
  s.out.success(
    `Made ${done.agent.kind} ${creationId} with ${done.agent.name} in ${took}; ${tokenCount(done.cost.charged)} charged.`,
  );
  if (saved.path) {
    s.out.success(`Saved ${displayPath(saved.path, s.env)} (${formatBytes(saved.size_bytes)}, ${saved.media_type}).`);
    s.out.line(creationId);
  }
}

export function printQuote(s: Session, agent: Agent, quote: Quote): void {
  if (s.globals.json) return s.out.json(quote);
  const { err } = s.out;
  s.out.line(`${tokenCount(quote.tokens)}`);
  const verdict = quote.sufficient ? err.green("enough") : err.red("not enough");
  s.out.info(
    `A run of ${agent.name} costs ${tokenCount(quote.tokens)}; you have ${quote.available} available (${verdict}).`,
  );
  if (!quote.sufficient) s.out.info('  Buy tokens with "oto tokens buy".');
}
