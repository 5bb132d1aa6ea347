import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { CreationTreeNode, ForkRequest, Generation, Oto } from "@oto/sdk";
import { CliError, UsageError } from "../errors.js";
import { elapsed, tokens as tokenCount } from "../format.js";
import { followJob, reportStarted } from "../follow.js";
import { displayPath, formatBytes, type Output } from "../io.js";
import { checkId, keyValue, wholeNumber } from "../parsers.js";
import { type RunFlags, buildRunRequest } from "../runs.js";
import { checkTarget, saveDownload } from "../save.js";
import { type AppContext, Session } from "../session.js";
import { type VerifyReport, verifyCreation } from "../verify.js";
import { examples } from "./help.js";

interface ForkFlags extends Omit<RunFlags, "from"> {
  wait?: boolean;
  out?: string;
  force?: boolean;
  publish?: boolean;
  timeout: number;
}

interface TreeFlags {
  depth: number;
  limit: number;
}

interface VerifyFlags {
  record?: string;
}

const FORK_EXAMPLE = 'oto fork cr_… --agent ag_… --prompt "the same lighthouse at dawn" --wait';

export function registerLineageCommands(program: Command, ctx: AppContext): void {
  program
    .command("fork")
    .description("Run an agent on a creation (a published one, or your own draft): a new creation forked from it")
    .argument("<creation>", "the creation to start from (cr_…)")
    .option("--agent <agent>", "the agent to run: its id (ag_…), or the name of one of yours")
    .option("--prompt <text>", "what to make of it")
    .option("--var <name=value>", "a value for one of the template's other {{variables}} (repeatable)", keyValue)
    .option("--param <key=value>", "a generation parameter, e.g. width=512 or seed=7 (repeatable)", keyValue)
    .option("--wait", "wait for the job to end, with live progress, and print the new creation's id")
    .option("--out <file>", "save the new file there (implies --wait; - for stdout; a folder keeps its name)")
    .option("--force", "with --out: overwrite an existing file")
    .option("--publish", "publish the new creation once it is made (implies --wait)")
    .option("--timeout <seconds>", "with --wait: how long to wait for the job", wholeNumber(1, 86_400), 600)
    .addHelpText(
      "after",
      `${examples([
        FORK_EXAMPLE,
        'oto fork cr_… --agent "Ink sketcher" --prompt "as an ink drawing" --out ink.png --publish',
        'oto fork cr_… --agent ag_… --prompt "a sequel" --json',
      ])}\nWithout --wait it prints the job id at once; follow it with "oto jobs watch <job>".\n`,
    )
    .action((id: string, opts: ForkFlags, cmd: Command) => fork(new Session(ctx, cmd), id, opts));

  program
    .command("tree")
    .description("Show everything forked from a creation, as a tree")
    .argument("<creation>", "the creation at the root (cr_…)")
    .option("--depth <n>", "how many levels of forks (1–50)", wholeNumber(1, 50), 20)
    .option("--limit <n>", "at most this many creations, the root included (1–2000)", wholeNumber(1, 2000), 500)
    .addHelpText("after", examples(["oto tree cr_01jd3x9v6q8r5m2k7n4p0w1z3y", "oto tree cr_… --depth 2", "oto tree cr_… --json"]))
    .action((id: string, opts: TreeFlags, cmd: Command) => tree(new Session(ctx, cmd), id, opts));

  program
    .command("verify")
    .description("Check a creation's signed lineage record here, without trusting the server")
    .argument("[creation]", "the creation (cr_…); optional with --record")
    .option("--record <file>", "verify this record file (JSON) instead of the one the server serves")
    .addHelpText(
      "after",
      `${examples(["oto verify cr_01jd3x9v6q8r5m2k7n4p0w1z3y", "oto verify --record record.json", "oto verify cr_… --json"])}
Checks, on this machine: the Ed25519 signature against the server's published keys (GET /v1/lineage/keys),
the downloaded file's SHA-256 against the record's content hash, and every ancestor's record back to the
originals (its signature, and that its hash is the one its fork signed). Exits 1 when any check fails.
`,
    )
    .action((id: string | undefined, opts: VerifyFlags, cmd: Command) => verify(new Session(ctx, cmd), id, opts));
}

async function fork(s: Session, ref: string, opts: ForkFlags): Promise<void> {
  const creationId = checkId("creation", ref);
  const wait = Boolean(opts.wait || opts.out !== undefined || opts.publish);
  const target = { ...(opts.out !== undefined && { out: opts.out }), force: Boolean(opts.force) };
  if (opts.out !== undefined) await checkTarget(s, target);
  const { oto, auth } = await s.authedClient();
  const { agent, body: run } = await buildRunRequest(s, oto, opts, FORK_EXAMPLE);
  const body: ForkRequest = {
    agent_id: run.agent_id,
    prompt: run.prompt,
    ...(run.variables && { variables: run.variables }),
    ...(run.parameters && { parameters: run.parameters }),
  };

  if (!wait) {
    const job = await s.out.withSpinner(`Forking ${creationId} with ${agent.name} on ${auth.server}`, () =>
      oto.creations.fork(creationId, body),
    );
    return reportStarted(s, job, `Started ${job.id}: ${agent.name} on ${creationId}`);
  }

  const done = await followJob(s, {
    label: agent.name,
    timeoutMs: opts.timeout * 1000,
    wait: async (waitOptions) => {
      const job = await oto.creations.fork(creationId, body);
      return oto.generations.wait(job.id, waitOptions);
    },
  });
  await reportFork(s, oto, creationId, done, target, opts);
}

async function reportFork(
  s: Session,
  oto: Oto,
  source: string,
  done: Generation,
  target: { out?: string; force: boolean },
  opts: ForkFlags,
): Promise<void> {
  const creationId = done.creation_id as string;
  const took = elapsed(done.started_at ?? done.created_at, done.finished_at);
  const saved = opts.out !== undefined ? await saveDownload(s, await oto.creations.download(creationId, { stream: true }), target) : undefined;
  if (opts.publish) await oto.creations.publish(creationId);
  if (s.globals.json) return s.out.json(done);
  s.out.success(
    `Forked ${source} into ${done.agent.kind} ${creationId} with ${done.agent.name} in ${took}; ${tokenCount(done.cost.charged)} charged.`,
  );
  if (saved?.path) s.out.success(`Saved ${displayPath(saved.path, s.env)} (${formatBytes(saved.size_bytes)}, ${saved.media_type}).`);
  if (opts.publish) s.out.success(`Published ${creationId}.`);
  // With --out -, stdout holds the file itself.
  if (opts.out !== "-") s.out.line(creationId);
  if (!opts.publish) s.out.info(`  Publish it: oto publish ${creationId}`);
  s.out.info(`  Its lineage: oto tree ${source}`);
}

async function tree(s: Session, ref: string, opts: TreeFlags): Promise<void> {
  const creationId = checkId("creation", ref);
  const { oto } = await s.optionalClient();
  const result = await s.out.withSpinner(`Reading the tree of ${creationId}`, () =>
    oto.creations.tree(creationId, { depth: opts.depth, limit: opts.limit }),
  );
  if (s.globals.json) return s.out.json(result);
  for (const line of treeLines(result.root, s.out)) s.out.line(line);
  const forks = result.count - 1;
  s.out.info(`${forks === 0 ? "No forks" : `${forks} fork${forks === 1 ? "" : "s"}`} you can see.`);
  if (result.truncated) s.out.info(`More forks exist below or beyond these; raise --depth (${opts.depth}) or --limit (${opts.limit}).`);
}

/** The tree as terminal lines: the root, then ├── / └── branches with │ rules. */
export function treeLines(root: CreationTreeNode, out: Pick<Output, "out">): string[] {
  const { out: c } = out;
  const label = (node: CreationTreeNode) => {
    const { creation } = node;
    const draft = creation.state === "draft" ? ` ${c.yellow("(draft)")}` : "";
    return `${c.bold(oneLine(creation.title))}  ${creation.kind}  @${creation.author.handle}  ${c.dim(creation.id)}${draft}`;
  };
  const lines = [label(root)];
  const walk = (node: CreationTreeNode, prefix: string) => {
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${label(child)}`);
      walk(child, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  walk(root, "");
  return lines;
}

/** Titles are single lines already; control characters from a hostile title never reach the terminal. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

async function verify(s: Session, ref: string | undefined, opts: VerifyFlags): Promise<void> {
  if (ref === undefined && opts.record === undefined) {
    throw new UsageError("say which creation to verify: oto verify cr_…, or oto verify --record FILE.");
  }
  const creationId = ref === undefined ? undefined : checkId("creation", ref);
  const record = opts.record === undefined ? undefined : await readRecordFile(opts.record, s);
  const { oto } = await s.optionalClient();
  const server = await s.server();
  const report = await s.out.withSpinner(`Verifying ${creationId ?? opts.record}`, () =>
    verifyCreation({ oto, server, ...(creationId && { creationId }), ...(record && { record }) }),
  );
  if (s.globals.json) s.out.json(report);
  else printReport(s, report);
  if (!report.ok) {
    const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more problem${report.problems.length > 2 ? "s" : ""})` : "";
    throw new CliError(`verification of ${report.creation_id} FAILED: ${report.problems[0]}${more}.`);
  }
}

async function readRecordFile(path: string, s: Session): Promise<{ value: unknown; from: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  try {
    return { value: JSON.parse(text) as unknown, from: displayPath(path, s.env) };
  } catch (err) {
    throw new UsageError(`${path} is not JSON: ${(err as Error).message}.`);
  }
}

function printReport(s: Session, report: VerifyReport): void {
  const c = s.out.out;
  const mark = (ok: boolean) => (ok ? c.green("✔") : c.red("✘"));
  const source = report.record_from === "server" ? "the server's record" : `the record in ${report.record_from}`;
  s.out.line(`Lineage of ${report.creation_id}: ${source}, checked here against ${report.keys.length} key${report.keys.length === 1 ? "" : "s"} published by ${report.server}`);
  for (const r of report.records) {
    const facts = [r.role, r.media_type, r.kid && `signed by ${r.kid}`, r.original && "original"].filter(Boolean).join(", ");
    s.out.line(`${mark(r.ok)} ${r.creation_id}  ${c.dim(facts)}`);
    for (const problem of r.problems) s.out.line(`    ${c.red(problem)}`);
  }
  for (const id of report.unchecked) s.out.line(`${c.yellow("!")} ${id}  ${c.dim("not visible to you: its record could not be checked")}`);
  const own = report.problems.filter((p) => !report.records.some((r) => r.problems.some((q) => p === `${r.creation_id}: ${q}`)));
  for (const problem of own) s.out.line(`${c.red("✘")} ${problem}`);
  if (report.ok) {
    const count = report.records.length;
    const hash = report.file_sha256 ? `sha256 ${report.file_sha256.slice(0, 16)}…` : "";
    const file = !hash ? "" : report.files_checked > 1 ? `, ${report.files_checked} files (this one's ${hash})` : `, file (${hash})`;
    const records = `${count} record${count === 1 ? "" : "s"}`;
    const reach =
      report.unchecked.length > 0
        ? `; ${report.unchecked.length} ancestor${report.unchecked.length === 1 ? "" : "s"} not visible to you not checked`
        : count === 1
          ? " (an original)"
          : " back to the original";
    s.out.line(`${c.green("Verified:")} signature${file} and ${records}${reach}.`);
  }
}
