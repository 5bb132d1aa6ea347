import { Command, Option } from "commander";
import type { Creation, OutputKind } from "@oto/sdk";
import { UsageError } from "../errors.js";
import { agentNames, fileSummary } from "../format.js";
import { displayPath, formatBytes, shortDate, timeAgo } from "../io.js";
import { OUTPUT_KINDS, checkId, isId, parseLimit } from "../parsers.js";
import { checkTarget, saveDownload } from "../save.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface ListFlags {
  drafts?: boolean;
  published?: boolean;
  kind?: OutputKind;
  limit: number;
  cursor?: string;
  all?: boolean;
}

interface DownloadFlags {
  out?: string;
  force?: boolean;
}

const SHARE_TOKEN = /^s_[0-9A-Za-z]{32}$/;

export function registerCreationsCommands(program: Command, ctx: AppContext): void {
  const creations = new Command("creations")
    .description("Your creations: the files your agents made")
    .addHelpText(
      "after",
      examples(["oto creations list", "oto creations list --drafts --kind image", "oto creations show cr_…"]),
    );

  creations
    .command("list")
    .description("List your creations (drafts and published), newest first")
    .option("--drafts", "only drafts (private to you)")
    .option("--published", "only published creations")
    .addOption(new Option("--kind <kind>", "only creations of this kind").choices(OUTPUT_KINDS))
    .option("--limit <n>", "how many per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText(
      "after",
      examples(["oto creations list", "oto creations list --published --json", "oto creations list --all"]),
    )
    .action((opts: ListFlags, cmd: Command) => listCreations(new Session(ctx, cmd), opts));

  creations
    .command("show")
    .description("Show a creation: its file, prompt, agents and state")
    .argument("<creation>", "the creation's id (cr_…)")
    .addHelpText(
      "after",
      examples(["oto creations show cr_01jd3x9v6q8r5m2k7n4p0w1z3y", "oto creations show cr_… --json"]),
    )
    .action((id: string, _opts: unknown, cmd: Command) => showCreation(new Session(ctx, cmd), id));

  program.addCommand(creations);

  program
    .command("download")
    .description("Download a creation's file (yours, a published one, or one shared by link)")
    .argument("<creation>", "a creation id (cr_…), a share token (s_…) or a share link")
    .option("--out <file>", "where to save it (default: its own name in this folder; - for stdout)")
    .option("--force", "overwrite an existing file")
    .addHelpText(
      "after",
      examples([
        "oto download cr_01jd3x9v6q8r5m2k7n4p0w1z3y",
        "oto download cr_… --out lighthouse.png --force",
        "oto download http://127.0.0.1:4000/v1/shared/s_… --out ~/Downloads",
        "oto download cr_… --out - > story.md",
      ]),
    )
    .action((ref: string, opts: DownloadFlags, cmd: Command) => download(new Session(ctx, cmd), ref, opts));

  program
    .command("publish")
    .description("Publish one of your creations: anyone can see it")
    .argument("<creation>", "the creation's id (cr_…)")
    .addHelpText("after", examples(["oto publish cr_…", "oto publish cr_… --json"]))
    .action((id: string, _opts: unknown, cmd: Command) => setPublished(new Session(ctx, cmd), id, true));

  program
    .command("unpublish")
    .description("Turn one of your published creations back into a draft")
    .argument("<creation>", "the creation's id (cr_…)")
    .addHelpText("after", examples(["oto unpublish cr_…"]))
    .action((id: string, _opts: unknown, cmd: Command) => setPublished(new Session(ctx, cmd), id, false));

  program
    .command("share")
    .description("Print a link anyone can open without an account (or revoke it)")
    .argument("<creation>", "the creation's id (cr_…)")
    .option("--revoke", "stop the link from working, at once")
    .addHelpText("after", examples(["oto share cr_…", "oto share cr_… --revoke", "oto share cr_… --json"]))
    .action((id: string, opts: { revoke?: boolean }, cmd: Command) => share(new Session(ctx, cmd), id, opts));
}

async function listCreations(s: Session, opts: ListFlags): Promise<void> {
  if (opts.drafts && opts.published) throw new UsageError("--drafts and --published cannot be used together.");
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  const { oto, auth } = await s.authedClient();
  const state: Creation["state"] | undefined = opts.drafts ? "draft" : opts.published ? "published" : undefined;
  const params = { ...(state ? { state } : {}), ...(opts.kind ? { kind: opts.kind } : {}), limit: opts.limit } as const;
  const page = await s.out.withSpinner(`Listing creations on ${auth.server}`, async () => {
    if (!opts.all) return oto.creations.list({ ...params, ...(opts.cursor ? { cursor: opts.cursor } : {}) });
    const data: Creation[] = [];
    for await (const creation of oto.creations.listAll(params)) data.push(creation);
    return { data, next_cursor: null };
  });
  if (s.globals.json) return s.out.json(page);
  if (page.data.length === 0) {
    s.out.info(state || opts.kind ? "No creations match." : 'No creations yet. Make one with "oto generate".');
    return;
  }
  const { out } = s.out;
  s.out.table<Creation>(
    [
      { header: "id", value: (c) => c.id },
      { header: "kind", value: (c) => c.kind },
      { header: "title", value: (c) => (c.title.length > 40 ? `${c.title.slice(0, 39)}…` : c.title) },
      {
        header: "state",
        value: (c) => (c.share ? `${c.state}, shared` : c.state),
        style: (text, c) => (c.state === "published" ? out.green(text) : text),
      },
      { header: "size", value: (c) => formatBytes(c.file.size_bytes) },
      { header: "agent", value: (c) => agentNames(c.agents) },
      { header: "created", value: (c) => timeAgo(c.created_at) },
    ],
    page.data,
  );
  if (page.next_cursor) s.out.info(`More creations: add --cursor ${page.next_cursor}  (or --all for every page)`);
}

async function showCreation(s: Session, id: string): Promise<void> {
  checkId("creation", id);
  const { oto, auth } = await s.optionalClient();
  const server = auth?.server ?? (await s.server());
  const creation = await s.out.withSpinner(`Looking up ${id} on ${server}`, () => oto.creations.get(id));
  if (s.globals.json) return s.out.json(creation);
  printCreation(s, creation);
}

function printCreation(s: Session, creation: Creation): void {
  const { out } = s.out;
  s.out.line(`${out.bold(creation.title)}  ${out.dim(creation.id)}`);
  s.out.keyValues([
    ["kind", creation.kind],
    ["file", `${creation.file.filename} (${fileSummary(creation.file)})`],
    ["sha256", creation.file.sha256],
    [
      "state",
      creation.state === "published" ? `published ${shortDate(creation.published_at)}` : "draft (only you see it)",
    ],
    ["shared", creation.share ? creation.share.url : "no"],
    ["prompt", creation.prompt],
    ["agents", creation.agents.map((agent) => `${agent.name} (${agent.id})`).join(", ") || "-"],
    ...(creation.sources.length ? ([["from", creation.sources.join(", ")]] as Array<[string, string]>) : []),
    ["author", `@${creation.author.handle}`],
    ["job", creation.job_id],
    ["created", shortDate(creation.created_at)],
    ...(creation.generator_notice ? ([["note", creation.generator_notice]] as Array<[string, string]>) : []),
  ]);
}

/** cr_…, s_…, or a link holding one of them. */
function parseDownloadRef(ref: string): { creationId: string } | { shareToken: string } {
  const value = ref.trim();
  if (isId("creation", value)) return { creationId: value };
  if (SHARE_TOKEN.test(value)) return { shareToken: value };
  const fromLink = /\/shared\/(s_[0-9A-Za-z]{32})(?:[/?#]|$)/.exec(value)?.[1];
  if (fromLink) return { shareToken: fromLink };
  const creationInLink = /\/creations\/(cr_[0-9a-z]{26})(?:[/?#]|$)/.exec(value)?.[1];
  if (creationInLink) return { creationId: creationInLink };
  throw new UsageError(
    `"${ref}" is neither a creation id (cr_…), a share token (s_…) nor a share link.`,
    'See your creations with "oto creations list".',
  );
}

async function download(s: Session, ref: string, opts: DownloadFlags): Promise<void> {
  const target = parseDownloadRef(ref);
  const saveTo = { ...(opts.out !== undefined && { out: opts.out }), force: Boolean(opts.force) };
  await checkTarget(s, saveTo);
  const { oto, auth } = await s.optionalClient();
  const server = auth?.server ?? (await s.server());
  const label = "creationId" in target ? target.creationId : "the shared creation";
  const fetchAndSave = async () => {
    const file =
      "creationId" in target
        ? await oto.creations.download(target.creationId, { stream: true })
        : await oto.shared.download(target.shareToken, { stream: true });
    return saveDownload(s, file, saveTo);
  };
  // Writing to stdout (maybe this very terminal): no spinner in between.
  const saved =
    opts.out === "-"
      ? await fetchAndSave()
      : await s.out.withSpinner(`Downloading ${label} from ${server}`, fetchAndSave);
  if (s.globals.json) return s.out.json({ ...targetJson(target), ...saved });
  if (!saved.path) return;
  s.out.success(`Saved ${displayPath(saved.path, s.env)} (${formatBytes(saved.size_bytes)}, ${saved.media_type}).`);
  s.out.line(saved.path);
}

function targetJson(target: { creationId: string } | { shareToken: string }) {
  return "creationId" in target ? { creation_id: target.creationId } : { share_token: target.shareToken };
}

async function setPublished(s: Session, id: string, publish: boolean): Promise<void> {
  checkId("creation", id);
  const { oto, auth } = await s.authedClient();
  const verb = publish ? "Publishing" : "Unpublishing";
  const creation = await s.out.withSpinner(`${verb} ${id} on ${auth.server}`, () =>
    publish ? oto.creations.publish(id) : oto.creations.unpublish(id),
  );
  if (s.globals.json) return s.out.json(creation);
  if (publish) s.out.success(`Published ${creation.id} "${creation.title}": anyone can see it now.`);
  else s.out.success(`${creation.id} "${creation.title}" is a draft again: only you see it.`);
}

async function share(s: Session, id: string, opts: { revoke?: boolean }): Promise<void> {
  checkId("creation", id);
  const { oto, auth } = await s.authedClient();
  if (opts.revoke) {
    const creation = await s.out.withSpinner(`Revoking the link of ${id}`, () => oto.creations.revokeShare(id));
    if (s.globals.json) return s.out.json(creation);
    s.out.success(`The share link of ${creation.id} no longer works.`);
    return;
  }
  const link = await s.out.withSpinner(`Sharing ${id} on ${auth.server}`, () => oto.creations.share(id));
  if (s.globals.json) return s.out.json(link);
  s.out.line(link.url);
  s.out.info(`Anyone with this link can open ${id} without an account; the file is at ${link.file_url}`);
  s.out.info(`  Stop it with: oto share ${id} --revoke`);
}
