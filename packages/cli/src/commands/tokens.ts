import { Command } from "commander";
import type { LedgerEntry, Money, Purchase, TokenPack } from "@oto/sdk";
import { CliError, ExitCode, UsageError } from "../errors.js";
import { ledgerWhat, signed, tokens as tokenCount } from "../format.js";
import { timeAgo } from "../io.js";
import { parseLimit } from "../parsers.js";
import { type RunFlags, buildRunRequest } from "../runs.js";
import { type AppContext, Session } from "../session.js";
import { printQuote, withRunOptions } from "./generate.js";
import { examples } from "./help.js";

interface HistoryFlags {
  limit: number;
  cursor?: string;
  all?: boolean;
}

const NOT_CONFIGURED_HINT =
  'Ask the server\'s operator for tokens ("oto admin grant"), or configure Stripe on it (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET).';

export function registerTokensCommands(program: Command, ctx: AppContext): void {
  const tokens = new Command("tokens")
    .description("Your token balance and ledger; price a run; buy tokens")
    .addHelpText("after", examples(["oto tokens balance", "oto tokens history", "oto tokens buy"]));

  tokens
    .command("balance")
    .description("Show the tokens you can spend, and those held by running jobs")
    .addHelpText("after", examples(["oto tokens balance", "oto tokens balance --json"]))
    .action((_opts: unknown, cmd: Command) => balance(new Session(ctx, cmd)));

  tokens
    .command("history")
    .description("List every change to your balance, newest first")
    .option("--limit <n>", "how many per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText("after", examples(["oto tokens history", "oto tokens history --all --json"]))
    .action((opts: HistoryFlags, cmd: Command) => history(new Session(ctx, cmd), opts));

  withRunOptions(tokens.command("quote").description("Say what a run would cost; nothing is held or run"))
    .addHelpText(
      "after",
      examples([
        'oto tokens quote --agent ag_… --prompt "a lighthouse"',
        'oto tokens quote --agent "Ink sketcher" --prompt x --json',
      ]),
    )
    .action((opts: RunFlags, cmd: Command) => quote(new Session(ctx, cmd), opts));

  tokens
    .command("buy")
    .description("Buy a token pack: prints the checkout link, then waits until the tokens arrive")
    .argument("[pack]", "the pack's id (without it: the packs for sale, to pick from on a terminal)")
    .option("--no-wait", "print the checkout link and stop")
    .addHelpText(
      "after",
      `${examples(["oto tokens buy", "oto tokens buy starter", "oto tokens buy starter --no-wait --json"])}
Tokens arrive once the payment is confirmed. Ctrl-C stops waiting; a payment made later still counts.\n`,
    )
    .action((pack: string | undefined, opts: { wait: boolean }, cmd: Command) =>
      buy(new Session(ctx, cmd), pack, opts),
    );

  program.addCommand(tokens);
}

async function balance(s: Session): Promise<void> {
  const { oto, auth } = await s.authedClient();
  const result = await s.out.withSpinner(`Asking ${auth.server}`, () => oto.tokens.balance());
  if (s.globals.json) return s.out.json(result);
  const held = result.held > 0 ? `, ${result.held} held by running jobs` : "";
  s.out.line(`${tokenCount(result.available)} available${held}`);
}

async function history(s: Session, opts: HistoryFlags): Promise<void> {
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  const { oto, auth } = await s.authedClient();
  const page = await s.out.withSpinner(`Reading your ledger on ${auth.server}`, async () => {
    if (!opts.all) return oto.tokens.history({ limit: opts.limit, ...(opts.cursor ? { cursor: opts.cursor } : {}) });
    const data: LedgerEntry[] = [];
    for await (const entry of oto.tokens.historyAll({ limit: opts.limit })) data.push(entry);
    return { data, next_cursor: null };
  });
  if (s.globals.json) return s.out.json(page);
  if (page.data.length === 0) {
    s.out.info("No ledger entries yet.");
    return;
  }
  const { out } = s.out;
  s.out.table<LedgerEntry>(
    [
      { header: "when", value: (e) => timeAgo(e.created_at) },
      { header: "kind", value: (e) => e.kind.replace("_", " ") },
      {
        header: "amount",
        value: (e) => signed(e.amount),
        style: (text, e) => (e.amount > 0 ? out.green(text) : e.amount < 0 ? out.red(text) : text),
      },
      { header: "held", value: (e) => (e.held_change === 0 ? "" : signed(e.held_change)) },
      { header: "balance", value: (e) => String(e.available_after) },
      { header: "what", value: ledgerWhat },
    ],
    page.data,
  );
  if (page.next_cursor) s.out.info(`More entries: add --cursor ${page.next_cursor}  (or --all for every page)`);
}

async function quote(s: Session, opts: RunFlags): Promise<void> {
  const { oto } = await s.authedClient();
  const { agent, body } = await buildRunRequest(s, oto, opts, 'oto tokens quote --agent ag_… --prompt "a lighthouse"');
  const result = await s.out.withSpinner(`Pricing a run of ${agent.name}`, () => oto.generations.quote(body));
  printQuote(s, agent, result);
}

/** 500 eur → "€5.00", in the currency's own number of decimals. */
export function formatMoney(money: Money): string {
  const currency = money.currency.toUpperCase();
  try {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(money.amount / 10 ** digits);
  } catch {
    return `${(money.amount / 100).toFixed(2)} ${currency}`;
  }
}

const packLabel = (pack: TokenPack) => `${pack.name}: ${tokenCount(pack.tokens)} for ${formatMoney(pack.price)}`;

async function buy(s: Session, packId: string | undefined, opts: { wait: boolean }): Promise<void> {
  const { oto, auth } = await s.authedClient();
  const packs = await s.out.withSpinner(`Asking ${auth.server} for its token packs`, () => oto.tokens.packs());
  if (!packs.payments_enabled || packs.data.length === 0) {
    throw new CliError(
      `${auth.server} sells no tokens: payments are not configured there.`,
      ExitCode.failure,
      NOT_CONFIGURED_HINT,
    );
  }

  if (!packId) {
    if (!s.canPrompt) return listPacks(s, packs.data);
    packId = await s.prompt.select(
      "Which pack?",
      packs.data.map((pack) => ({ name: packLabel(pack), value: pack.id })),
    );
  }
  const pack = packs.data.find((candidate) => candidate.id === packId);
  if (!pack) {
    throw new UsageError(`there is no pack "${packId}".`, `Packs: ${packs.data.map((p) => p.id).join(", ")}.`);
  }

  const checkout = await s.out.withSpinner(`Opening a checkout for ${pack.name}`, () =>
    oto.tokens.checkout({ pack_id: pack.id }).catch((err: unknown) => {
      if ((err as { code?: string }).code === "payments_not_configured") {
        throw new CliError(
          `${auth.server} sells no tokens: payments are not configured there.`,
          ExitCode.failure,
          NOT_CONFIGURED_HINT,
        );
      }
      throw err;
    }),
  );
  if (!s.globals.json) {
    s.out.info(`Pay for ${packLabel(pack)} here:`);
    s.out.line(checkout.url);
  } else if (!opts.wait) {
    return s.out.json({ checkout, purchase: null });
  } else {
    s.out.info(`Pay here: ${checkout.url}`);
  }
  if (!opts.wait) return;

  const purchase = await waitForTokens(s, checkout.id, (onStatus, signal) =>
    oto.tokens.waitForCredit(checkout.id, { onStatus, signal }),
  );
  const after = await oto.tokens.balance();
  if (s.globals.json) return s.out.json({ checkout, purchase, balance: after });
  s.out.success(`${tokenCount(purchase.tokens)} arrived; you have ${tokenCount(after.available)} available.`);
}

function listPacks(s: Session, packs: TokenPack[]): void {
  if (s.globals.json) return s.out.json({ data: packs });
  s.out.table<TokenPack>(
    [
      { header: "pack", value: (pack) => pack.id },
      { header: "name", value: (pack) => pack.name },
      { header: "tokens", value: (pack) => String(pack.tokens) },
      { header: "price", value: (pack) => formatMoney(pack.price) },
    ],
    packs,
  );
  s.out.info(`Buy one with: oto tokens buy ${packs[0]?.id ?? "<pack>"}`);
}

/** Waits with a spinner; Ctrl-C stops waiting (exit 130) and says the payment still counts. */
async function waitForTokens(
  s: Session,
  sessionId: string,
  wait: (onStatus: (purchase: Purchase) => void, signal: AbortSignal) => Promise<Purchase>,
): Promise<Purchase> {
  const spinner = await s.out.spinner("Waiting for the payment (Ctrl-C to stop waiting)");
  if (!spinner.active && !s.globals.json) s.out.info("Waiting for the payment (Ctrl-C to stop waiting)…");
  const controller = new AbortController();
  const previous = s.ctx.signals.interrupt;
  s.ctx.signals.interrupt = () => {
    spinner.stop();
    controller.abort();
    s.ctx.io.stderr.write(
      `\nStopped waiting. If you pay later the tokens still arrive: check with "oto tokens balance" (checkout ${sessionId}).\n`,
    );
    process.exit(ExitCode.interrupted);
  };
  try {
    return await wait((purchase) => {
      spinner.update(`Waiting for the payment: ${purchase.status} (Ctrl-C to stop waiting)`);
    }, controller.signal);
  } finally {
    spinner.stop();
    s.ctx.signals.interrupt = previous;
  }
}
