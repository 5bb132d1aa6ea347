import { Command } from "commander";
import { CliError, UsageError, isApiError } from "../errors.js";
import { signed, tokens } from "../format.js";
import { wholeNumber } from "../parsers.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

export function registerAdminCommands(program: Command, ctx: AppContext): void {
  const admin = new Command("admin")
    .description("Operator actions (needs an admin account)")
    .addHelpText("after", examples(['oto admin grant ada 100 --reason "conference demo"']));

  admin
    .command("grant")
    .description("Grant tokens to an account, or remove them with a negative amount")
    .argument("<handle>", "the account's handle")
    .argument("<tokens>", "how many tokens (negative removes; never below zero)", wholeNumber(-1_000_000, 1_000_000))
    .requiredOption("--reason <text>", "why, for the ledger (1–200 characters)")
    .addHelpText(
      "after",
      `${examples([
        'oto admin grant ada 100 --reason "conference demo"',
        'oto admin grant ada -20 --reason "duplicate grant" --json',
      ])}\nAdmins are the handles listed in the server's OTO_ADMIN_HANDLES.\n`,
    )
    .action((handle: string, amount: number, opts: { reason: string }, cmd: Command) =>
      grant(new Session(ctx, cmd), handle, amount, opts.reason),
    );

  program.addCommand(admin);
}

async function grant(s: Session, rawHandle: string, amount: number, reason: string): Promise<void> {
  if (amount === 0) throw new UsageError("<tokens> must not be 0.");
  if (!reason.trim()) throw new UsageError("--reason must not be empty.");
  const handle = rawHandle.replace(/^@/, "");
  const { oto, auth } = await s.authedClient();
  const entry = await s.out
    .withSpinner(`Adjusting @${handle} on ${auth.server}`, () =>
      oto.admin.grant({ handle, tokens: amount, reason: reason.trim() }),
    )
    .catch((err: unknown) => {
      // Removing more than the account has: the server's sentence says it, without a buying hint.
      if (isApiError(err) && err.code === "insufficient_tokens") throw new CliError(`${err.detail} (${err.code})`);
      throw err;
    });
  if (s.globals.json) return s.out.json(entry);
  const verb = amount > 0 ? `Granted ${tokens(amount)} to` : `Removed ${tokens(-amount)} from`;
  s.out.success(
    `${verb} @${handle} (${signed(entry.amount)}); they now have ${tokens(entry.available_after)} available.`,
  );
  s.out.line(entry.id);
}
