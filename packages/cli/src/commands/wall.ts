import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import type { LocateTarget, WallInfo, WallLocation } from "@oto/sdk";
import { UsageError } from "../errors.js";
import { checkId } from "../parsers.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface LocateFlags {
  creation?: string;
  agent?: string;
  handle?: string;
}

const HANDLE = /^[a-z][a-z0-9_-]{2,31}$/;
// Other ids look like handles; "@ag_…" still names an account of that handle.
const OTHER_ID = /^(ag|job|acc|key)_[0-9a-z]{26}$/;

export function registerWallCommands(program: Command, ctx: AppContext): void {
  const wall = new Command("wall")
    .description("The shared wall: its size and where things are on it")
    .addHelpText("after", examples(["oto wall info", "oto wall locate --handle ada", "oto open cr_…"]));

  wall
    .command("info")
    .description("Show the wall's extent, counts and tile scheme")
    .addHelpText("after", examples(["oto wall info", "oto wall info --json"]))
    .action((_opts: unknown, cmd: Command) => info(new Session(ctx, cmd)));

  wall
    .command("locate")
    .description("Where a creation, an agent's golden post-it or an account's home is on the wall")
    .option("--creation <id>", "a published creation (cr_…)")
    .option("--agent <id>", "an agent (ag_…)")
    .option("--handle <handle>", "an account's home (ada or @ada)")
    .addHelpText(
      "after",
      examples(["oto wall locate --creation cr_…", "oto wall locate --handle @ada --json", "oto wall locate --agent ag_…"]),
    )
    .action((opts: LocateFlags, cmd: Command) => locate(new Session(ctx, cmd), opts));

  program.addCommand(wall);

  program
    .command("open")
    .description("Print the wall viewer's link to a creation or an account (and open it on a terminal)")
    .argument("[target]", "a creation id (cr_…) or @handle; the whole wall when left out")
    .option("--no-browser", "only print the link")
    .addHelpText(
      "after",
      `${examples(["oto open", "oto open cr_01jd3x9v6q8r5m2k7n4p0w1z3y", "oto open @ada --no-browser"])}
The link is <server>/?n=<creation id> for a creation and <server>/?h=<handle> for an account's home;
the viewer flies there. On a terminal oto also opens it with $BROWSER or xdg-open when available.\n`,
    )
    .action((target: string | undefined, opts: { browser: boolean }, cmd: Command) =>
      open(new Session(ctx, cmd), target, opts),
    );
}

async function info(s: Session): Promise<void> {
  const { oto } = await s.optionalClient();
  const server = await s.server();
  const wall: WallInfo = await s.out.withSpinner(`Reading the wall of ${server}`, () => oto.wall.info());
  if (s.globals.json) return s.out.json(wall);
  const { bounds, counts } = wall;
  s.out.keyValues([
    ["accounts", String(counts.accounts)],
    ["agents", String(counts.agents)],
    ["creations", String(counts.creations)],
    [
      "extent",
      bounds
        ? `${bounds.max_x - bounds.min_x} × ${bounds.max_y - bounds.min_y} units, from (${bounds.min_x}, ${bounds.min_y}) to (${bounds.max_x}, ${bounds.max_y})`
        : "empty",
    ],
    ["post-its", `${wall.postit_size} units wide, in ${wall.slot_size}-unit slots`],
    ["tiles", `post-its at zoom ${wall.items_zoom} (${wall.items_tile_size} units a side), aggregates below`],
    ["version", String(wall.version)],
  ]);
}

function locateTarget(opts: LocateFlags): LocateTarget {
  const given = [opts.creation, opts.agent, opts.handle].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new UsageError("give exactly one of --creation, --agent and --handle.", "Example: oto wall locate --handle ada");
  }
  if (opts.creation !== undefined) return { creation: checkId("creation", opts.creation) };
  if (opts.agent !== undefined) return { agent: checkId("agent", opts.agent) };
  return { handle: checkHandle(opts.handle!) };
}

function checkHandle(value: string): string {
  const handle = value.replace(/^@/, "");
  if (!HANDLE.test(handle)) {
    throw new UsageError(`"${value}" is not a handle: 3–32 lowercase letters, digits, _ and -, starting with a letter.`);
  }
  return handle;
}

async function locate(s: Session, opts: LocateFlags): Promise<void> {
  const target = locateTarget(opts);
  const { oto } = await s.optionalClient();
  const server = await s.server();
  const where: WallLocation = await s.out.withSpinner(`Locating on ${server}`, () => oto.wall.locate(target));
  if (s.globals.json) return s.out.json(where);
  const what = where.type === "home" ? "home" : where.type === "agent" ? "golden post-it" : "post-it";
  s.out.line(`${where.x},${where.y}`);
  s.out.info(`${where.id}'s ${what} is at (${where.x}, ${where.y}), ${where.size} units wide, in tile ${where.tile}.`);
}

/** The viewer's URL for a creation (?n=), an account's home (?h=) or the whole wall. */
export function viewerUrl(server: string, target: string | undefined): string {
  const base = `${server.replace(/\/+$/, "")}/`;
  if (target === undefined || target === "") return base;
  if (target.startsWith("cr_")) return `${base}?n=${encodeURIComponent(checkId("creation", target))}`;
  if (OTHER_ID.test(target)) {
    throw new UsageError(
      `"${target}" is not a creation or an account: oto open takes a creation id (cr_…) or a @handle.`,
      target.startsWith("ag_") ? `Find an agent's post-it with "oto wall locate --agent ${target}".` : undefined,
    );
  }
  if (target.startsWith("@") || HANDLE.test(target)) return `${base}?h=${encodeURIComponent(checkHandle(target))}`;
  throw new UsageError(`"${target}" is neither a creation id (cr_…) nor a @handle.`, "Example: oto open @ada");
}

async function open(s: Session, target: string | undefined, opts: { browser: boolean }): Promise<void> {
  const url = viewerUrl(await s.server(), target);
  if (s.globals.json) return s.out.json({ url });
  s.out.line(url);
  if (!opts.browser || !s.ctx.io.isTTY.stdout) return;
  const opener = browserCommand(s.env);
  if (!opener) return;
  // Detached and ignored: the link is printed whatever the browser does.
  const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
  child.on("error", () => {});
  child.unref();
  s.out.info(`Opening it with ${path.basename(opener)}…`);
}

/** $BROWSER, else xdg-open (or macOS's open) when it is on the PATH. */
function browserCommand(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [env.BROWSER, process.platform === "darwin" ? "open" : "xdg-open"].filter(Boolean) as string[];
  for (const name of candidates) {
    const found = name.includes("/") ? name : which(name, env.PATH ?? "");
    if (found) return found;
  }
  return undefined;
}

function which(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
