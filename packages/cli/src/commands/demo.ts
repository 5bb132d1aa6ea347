import { randomInt } from "node:crypto";
import { Command } from "commander";
import type { DemoEvent, DemoSummary } from "../demo/seed.js";
import { wholeNumber } from "../parsers.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";
import { viewerUrl } from "./wall.js";

interface SeedFlags {
  accounts: number;
  creations: number;
  seed?: number;
  concurrency: number;
}

export function registerDemoCommands(program: Command, ctx: AppContext): void {
  const demo = new Command("demo")
    .description("Fill a wall with demo accounts, agents and creations")
    .addHelpText("after", examples(["oto demo seed", "oto demo seed --accounts 4 --creations 20 --seed 7"]));

  demo
    .command("seed")
    .description("Sign up demo accounts with agents of every kind, generate, publish and fork through the API")
    .option("--accounts <n>", "how many accounts to sign up (1–200)", wholeNumber(1, 200), 12)
    .option("--creations <n>", "how many creations to make in all, forks included (0–5000)", wholeNumber(0, 5000), 60)
    .option("--seed <n>", "the same seed makes the same accounts, prompts and forks (default: random)", wholeNumber(0, 2 ** 31 - 1))
    .option("--concurrency <n>", "generations in flight at once (1–16)", wholeNumber(1, 16), 4)
    .addHelpText(
      "after",
      `${examples([
        "oto demo seed",
        "oto demo seed --accounts 3 --creations 12 --seed 42",
        "oto --server http://127.0.0.1:4555 demo seed --json",
      ])}
Every agent runs on the server's local provider (procedural placeholders, not AI) and costs 1 token, paid
from each new account's starter tokens. Running it again adds more: taken handles get a suffix (mira-2).
Sign-ups follow the server's rate limit (10 a minute by default), so more accounts take longer.\n`,
    )
    .action((opts: SeedFlags, cmd: Command) => seed(new Session(ctx, cmd), opts));

  program.addCommand(demo);
}

/** One readable line per demo event (logs, and progress off a terminal). */
export function describeDemoEvent(event: DemoEvent): string {
  switch (event.type) {
    case "account":
      return `signed up @${event.handle} (${event.done}/${event.total})`;
    case "waiting":
      return `waiting ${event.seconds} s for ${event.reason}`;
    case "creation":
      return `${event.fork ? "forked" : "made"} ${event.kind} "${event.title}" by @${event.handle} (${event.done}/${event.total})`;
    case "skipped":
      return `skipped planned creation #${event.index}: ${event.reason}`;
  }
}

async function seed(s: Session, opts: SeedFlags): Promise<void> {
  const server = await s.server();
  const seedValue = opts.seed ?? randomInt(2 ** 31 - 1);
  const { seedDemo } = await import("../demo/seed.js");

  const spinner = await s.out.spinner(`Seeding the demo wall on ${server}`);
  const counts = { accounts: 0, creations: 0 };
  const progress = () =>
    `Seeding the demo wall on ${server}: ${counts.accounts}/${opts.accounts} accounts, ${counts.creations}/${opts.creations} creations`;
  let summary: DemoSummary;
  try {
    summary = await seedDemo({
      accounts: opts.accounts,
      creations: opts.creations,
      seed: seedValue,
      concurrency: opts.concurrency,
      client: (apiKey) => s.client(server, apiKey),
      onEvent: (event) => {
        if (event.type === "account") counts.accounts = event.done;
        if (event.type === "creation") counts.creations = event.done;
        if (spinner.active) spinner.update(event.type === "waiting" ? `${progress()} (${describeDemoEvent(event)})` : progress());
        else if (!s.globals.json) s.out.info(describeDemoEvent(event));
      },
    });
  } finally {
    spinner.stop();
  }
  if (s.globals.json) return s.out.json(summary);
  s.out.success(
    `Seeded ${count(summary.accounts.length, "account")} and ${count(summary.creations.length, "creation")} in ${(summary.elapsed_ms / 1000).toFixed(1)} s.`,
  );
  s.out.keyValues([
    ["accounts", summary.accounts.map((account) => `@${account.handle}`).join(" ")],
    ["agents", `${summary.accounts.length * 4} (text, image, voice and video for each account)`],
    [
      "creations",
      `${count(summary.roots, "original")} and ${count(summary.forks, "fork")}${summary.forks > 0 ? `, up to ${count(summary.max_depth, "level")} deep` : ""}`,
    ],
    ...(summary.skipped > 0 ? ([["skipped", String(summary.skipped)]] as Array<[string, string]>) : []),
    ["seed", `${summary.seed}  (the same --seed makes the same wall)`],
    ["see it", viewerUrl(server, undefined)],
  ]);
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
