import { Command, Option } from "commander";
import type { Generation, GenerationStatus } from "@oto/sdk";
import { UsageError } from "../errors.js";
import { elapsed, jobState, statusStyle, tokens } from "../format.js";
import { followJob } from "../follow.js";
import { shortDate, timeAgo } from "../io.js";
import { checkId, parseLimit, wholeNumber } from "../parsers.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

const STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
] as const satisfies readonly GenerationStatus[];

interface ListFlags {
  status?: GenerationStatus;
  limit: number;
  cursor?: string;
  all?: boolean;
}

export function registerJobsCommands(program: Command, ctx: AppContext): void {
  const jobs = new Command("jobs")
    .description("Your generation jobs: list, show, cancel and watch them")
    .addHelpText("after", examples(["oto jobs list", "oto jobs watch job_…", "oto jobs cancel job_…"]));

  jobs
    .command("list")
    .description("List your jobs, newest first")
    .addOption(new Option("--status <status>", "only jobs in this state").choices(STATUSES))
    .option("--limit <n>", "how many per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText("after", examples(["oto jobs list", "oto jobs list --status running", "oto jobs list --all --json"]))
    .action((opts: ListFlags, cmd: Command) => listJobs(new Session(ctx, cmd), opts));

  jobs
    .command("show")
    .description("Show a job: its state, progress, cost and creation")
    .argument("<job>", "the job's id (job_…)")
    .addHelpText("after", examples(["oto jobs show job_01jd3x9v6q8r5m2k7n4p0w1z3y", "oto jobs show job_… --json"]))
    .action((id: string, _opts: unknown, cmd: Command) => showJob(new Session(ctx, cmd), id));

  jobs
    .command("cancel")
    .description("Cancel a queued or running job; its held tokens are released")
    .argument("<job>", "the job's id (job_…)")
    .addHelpText("after", examples(["oto jobs cancel job_…", "oto jobs cancel job_… --json"]))
    .action((id: string, _opts: unknown, cmd: Command) => cancelJob(new Session(ctx, cmd), id));

  jobs
    .command("watch")
    .description("Follow a job live until it ends (exit 0 if it succeeded, 1 otherwise)")
    .argument("<job>", "the job's id (job_…)")
    .option("--timeout <seconds>", "how long to wait", wholeNumber(1, 86_400), 600)
    .addHelpText(
      "after",
      `${examples(["oto jobs watch job_…", "oto jobs watch job_… --json"])}\nWith --json, each state is printed as one JSON line.\n`,
    )
    .action((id: string, opts: { timeout: number }, cmd: Command) => watchJob(new Session(ctx, cmd), id, opts));

  program.addCommand(jobs);
}

async function listJobs(s: Session, opts: ListFlags): Promise<void> {
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  const { oto, auth } = await s.authedClient();
  const params = { ...(opts.status ? { status: opts.status } : {}), limit: opts.limit };
  const page = await s.out.withSpinner(`Listing jobs on ${auth.server}`, async () => {
    if (!opts.all) return oto.generations.list({ ...params, ...(opts.cursor ? { cursor: opts.cursor } : {}) });
    const data: Generation[] = [];
    for await (const job of oto.generations.listAll(params)) data.push(job);
    return { data, next_cursor: null };
  });
  if (s.globals.json) return s.out.json(page);
  if (page.data.length === 0) {
    s.out.info(opts.status ? `No ${opts.status} jobs.` : 'No jobs yet. Run an agent with "oto generate".');
    return;
  }
  const { out } = s.out;
  s.out.table<Generation>(
    [
      { header: "id", value: (job) => job.id },
      { header: "agent", value: (job) => job.agent.name },
      { header: "state", value: (job) => jobState(job), style: (text, job) => statusStyle(out, job.status)(text) },
      { header: "cost", value: (job) => String(job.cost.charged || job.cost.held || job.cost.quoted) },
      { header: "created", value: (job) => timeAgo(job.created_at) },
      { header: "creation", value: (job) => job.creation_id ?? (job.error ? job.error.code : "-") },
    ],
    page.data,
  );
  if (page.next_cursor) s.out.info(`More jobs: add --cursor ${page.next_cursor}  (or --all for every page)`);
}

async function showJob(s: Session, id: string): Promise<void> {
  checkId("job", id);
  const { oto, auth } = await s.authedClient();
  const job = await s.out.withSpinner(`Looking up ${id} on ${auth.server}`, () => oto.generations.get(id));
  if (s.globals.json) return s.out.json(job);
  const { out } = s.out;
  s.out.line(`${out.bold(job.id)}  ${statusStyle(out, job.status)(jobState(job))}`);
  const parameters = Object.entries(job.parameters)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  s.out.keyValues([
    ["agent", `${job.agent.name} (${job.agent.kind}, ${job.agent.id})`],
    ["provider", job.provider],
    ["prompt", job.prompt],
    ...(parameters ? ([["parameters", parameters]] as Array<[string, string]>) : []),
    ...(job.inputs.length ? ([["from", job.inputs.join(", ")]] as Array<[string, string]>) : []),
    ["cost", costText(job)],
    ["created", shortDate(job.created_at)],
    [
      "ran",
      job.started_at ? `${shortDate(job.started_at)} for ${elapsed(job.started_at, job.finished_at)}` : "not yet",
    ],
    ...(job.error ? ([["error", `${job.error.message} (${job.error.code})`]] as Array<[string, string]>) : []),
    ...(job.creation_id ? ([["creation", job.creation_id]] as Array<[string, string]>) : []),
  ]);
}

function costText(job: Generation): string {
  if (job.cost.charged > 0) return `${tokens(job.cost.charged)} charged`;
  if (job.cost.held > 0) return `${tokens(job.cost.held)} held`;
  if (job.status === "succeeded") return "free";
  return job.cost.quoted > 0 ? `nothing charged (${tokens(job.cost.quoted)} released)` : "free";
}

async function cancelJob(s: Session, id: string): Promise<void> {
  checkId("job", id);
  const { oto, auth } = await s.authedClient();
  const job = await s.out.withSpinner(`Canceling ${id} on ${auth.server}`, () => oto.generations.cancel(id));
  if (s.globals.json) return s.out.json(job);
  if (job.status === "canceled") s.out.success(`Canceled ${job.id}; ${costText(job)}.`);
  else s.out.info(`${job.id} had already ended: ${jobState(job)} (${costText(job)}).`);
}

async function watchJob(s: Session, id: string, opts: { timeout: number }): Promise<void> {
  checkId("job", id);
  const { oto } = await s.authedClient();
  const done = await followJob(s, {
    label: "Watching",
    timeoutMs: opts.timeout * 1000,
    wait: (waitOptions) => oto.generations.wait(id, waitOptions),
    ...(s.globals.json && { onEvent: (job: Generation) => s.out.jsonLine(job) }),
  });
  if (s.globals.json) return;
  s.out.success(
    `${done.id} succeeded in ${elapsed(done.started_at ?? done.created_at, done.finished_at)}; ${costText(done)}.`,
  );
  if (done.creation_id) s.out.line(done.creation_id);
}
