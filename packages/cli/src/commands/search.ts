import { type Command, Option } from "commander";
import type { OutputKind, SearchHit, SearchPage } from "@oto/sdk";
import { UsageError } from "../errors.js";
import { OUTPUT_KINDS, parseLimit } from "../parsers.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface SearchFlags {
  type?: "account" | "creation";
  kind?: OutputKind;
  limit: number;
  cursor?: string;
  all?: boolean;
}

export function registerSearchCommand(program: Command, ctx: AppContext): void {
  program
    .command("search")
    .description("Search accounts and published creations, best matches first")
    .argument("<query...>", 'words to look for: "a phrase" in quotes, -word to exclude, or for either')
    .addOption(new Option("--type <type>", "only accounts or only creations").choices(["account", "creation"]))
    .addOption(new Option("--kind <kind>", "only creations of this kind").choices(OUTPUT_KINDS))
    .option("--limit <n>", "how many per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText(
      "after",
      `${examples([
        "oto search lighthouse",
        'oto search "paper boat" --kind image',
        "oto search ada --type account --json",
        'oto search "fox -winter" --limit 50',
      ])}\nThe last word also matches as a prefix ("lightho" finds "lighthouse"). Each hit's place on the wall
is in --json (location); open it in the viewer with "oto open <creation|@handle>".\n`,
    )
    .action((words: string[], opts: SearchFlags, cmd: Command) => search(new Session(ctx, cmd), words.join(" "), opts));
}

async function search(s: Session, query: string, opts: SearchFlags): Promise<void> {
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  if (opts.type === "account" && opts.kind) throw new UsageError("only creations have a kind: drop --type account or --kind.");
  if (query.trim() === "") throw new UsageError("say what to search for.", 'Example: oto search "a lighthouse"');
  if (query.length > 200) throw new UsageError(`the query is ${query.length} characters long; at most 200 are allowed.`);
  const { oto } = await s.optionalClient();
  const server = await s.server();
  const params = { ...(opts.type && { type: opts.type }), ...(opts.kind && { kind: opts.kind }), limit: opts.limit };
  const page: SearchPage = await s.out.withSpinner(`Searching ${server}`, async () => {
    if (!opts.all) return oto.search(query, { ...params, ...(opts.cursor && { cursor: opts.cursor }) });
    const data: SearchHit[] = [];
    for await (const hit of oto.searchAll(query, params)) data.push(hit);
    return { data, next_cursor: null };
  });
  if (s.globals.json) return s.out.json(page);
  if (page.data.length === 0) {
    s.out.info(`Nothing matches "${query}".`);
    return;
  }
  const { out } = s.out;
  s.out.table<SearchHit>(
    [
      { header: "id", value: (hit) => hit.id },
      { header: "type", value: (hit) => hit.kind ?? hit.type },
      {
        header: "title",
        value: (hit) => (hit.title.length > 40 ? `${hit.title.slice(0, 39)}…` : hit.title),
        style: (text) => out.bold(text),
      },
      { header: "by", value: (hit) => (hit.author ? `@${hit.author.handle}` : hit.subtitle) },
      { header: "at", value: (hit) => (hit.location ? `${hit.location.x},${hit.location.y}` : "-") },
    ],
    page.data,
  );
  if (page.next_cursor) s.out.info(`More hits: add --cursor ${page.next_cursor}  (or --all for every page)`);
}
