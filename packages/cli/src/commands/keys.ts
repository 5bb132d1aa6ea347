import { hostname } from "node:os";
import { Command, InvalidArgumentError } from "commander";
import type { ApiKey, Oto } from "@oto/sdk";
import { deleteCredentials } from "../config.js";
import { CliError, ExitCode, UsageError } from "../errors.js";
import { shortDate, timeAgo } from "../io.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

const KEY_ID_PATTERN = /^key_[0-9a-z]{26}$/;

interface CreateOptions {
  name?: string;
}

interface ListOptions {
  limit: number;
  cursor?: string;
  all?: boolean;
}

interface RevokeOptions {
  yes?: boolean;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidArgumentError("It must be a whole number from 1 to 100.");
  }
  return limit;
}

export function registerKeysCommands(program: Command, ctx: AppContext): void {
  const keys = new Command("keys")
    .description("Create, list and revoke the API keys of your account")
    .addHelpText("after", examples(["oto keys create --name ci", "oto keys list", "oto keys revoke key_…"]));

  keys
    .command("create")
    .description("Create an API key and print its secret once")
    .option("--name <name>", "a name to recognize the key by (default: oto cli on <host>)")
    .addHelpText(
      "after",
      examples([
        "oto keys create --name n8n",
        "oto keys create --name ci > ci-key.txt",
        "oto keys create --name ci --json",
      ]),
    )
    .action((opts: CreateOptions, cmd: Command) => createKey(new Session(ctx, cmd), opts));

  keys
    .command("list")
    .description("List your API keys, newest first, including revoked ones")
    .option("--limit <n>", "how many keys per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText("after", examples(["oto keys list", "oto keys list --all --json"]))
    .action((opts: ListOptions, cmd: Command) => listKeys(new Session(ctx, cmd), opts));

  keys
    .command("revoke")
    .description("Revoke an API key: requests made with it fail at once")
    .argument("<key_id>", "the key's id (key_…), from oto keys list")
    .option("-y, --yes", "revoke without asking for confirmation")
    .addHelpText("after", examples(["oto keys revoke key_01jd3xc9v8b7n6m5l4k3j2h1g0", "oto keys revoke key_… --yes"]))
    .action((keyId: string, opts: RevokeOptions, cmd: Command) => revokeKey(new Session(ctx, cmd), keyId, opts));

  program.addCommand(keys);
}

async function createKey(s: Session, opts: CreateOptions): Promise<void> {
  const name = opts.name ?? `oto cli on ${hostname()}`.slice(0, 64);
  if (!name.trim()) throw new UsageError("--name must not be empty.");
  const { oto, auth } = await s.authedClient();
  const key = await s.out.withSpinner(`Creating a key on ${auth.server}`, () => oto.apiKeys.create({ name }));
  if (s.globals.json) {
    s.out.json(key);
    return;
  }
  s.out.success(`Created API key ${key.id} (${key.name}, prefix ${key.prefix}).`);
  s.out.line(key.secret);
  s.out.warn("Store this key safely now: it is shown only once.");
}

async function listKeys(s: Session, opts: ListOptions): Promise<void> {
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  const { oto, auth } = await s.authedClient();
  const page = await s.out.withSpinner(`Listing keys on ${auth.server}`, async () => {
    if (!opts.all) return oto.apiKeys.list({ limit: opts.limit, ...(opts.cursor ? { cursor: opts.cursor } : {}) });
    const data: ApiKey[] = [];
    for await (const key of oto.apiKeys.listAll({ limit: opts.limit })) data.push(key);
    return { data, next_cursor: null };
  });
  if (s.globals.json) {
    s.out.json(page);
    return;
  }
  if (page.data.length === 0) {
    s.out.info("No API keys.");
    return;
  }
  const currentPrefix = /^oto_([0-9a-z]{8})_/.exec(auth.apiKey)?.[1];
  const { out } = s.out;
  s.out.table<ApiKey>(
    [
      { header: "id", value: (key) => key.id },
      { header: "name", value: (key) => (key.prefix === currentPrefix ? `${key.name} (in use)` : key.name) },
      { header: "prefix", value: (key) => key.prefix },
      { header: "created", value: (key) => timeAgo(key.created_at) },
      { header: "last used", value: (key) => timeAgo(key.last_used_at) },
      {
        header: "revoked",
        value: (key) => timeAgo(key.revoked_at),
        style: (text, key) => (key.revoked_at ? out.red(text) : out.dim(text)),
      },
    ],
    page.data,
  );
  if (page.next_cursor) {
    s.out.info(`More keys: oto keys list --cursor ${page.next_cursor}  (or --all for every page)`);
  }
}

/** The key with this id among the account's keys, to name it in the confirmation. */
async function findKey(oto: Oto, keyId: string): Promise<ApiKey | undefined> {
  for await (const key of oto.apiKeys.listAll({ limit: 100 })) if (key.id === keyId) return key;
  return undefined;
}

async function revokeKey(s: Session, keyId: string, opts: RevokeOptions): Promise<void> {
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw new UsageError(
      `"${keyId}" is not a key id: ids look like key_ followed by 26 characters.`,
      'See them with "oto keys list".',
    );
  }
  const { oto, auth } = await s.authedClient();
  const isStoredKey = auth.source === "credentials" && auth.credentials?.key_id === keyId;

  if (!opts.yes) {
    if (!s.canPrompt) throw s.missing("--yes", `oto keys revoke ${keyId} --yes`);
    const target = await s.out.withSpinner(`Looking up ${keyId}`, () => findKey(oto, keyId));
    if (!target)
      throw new CliError(
        `no API key ${keyId} on this account.`,
        ExitCode.failure,
        'See your keys with "oto keys list".',
      );
    if (target.revoked_at) {
      s.out.info(`API key ${keyId} (${target.name}) was already revoked at ${shortDate(target.revoked_at)}.`);
      return;
    }
    const label = `${keyId} (${target.name}, prefix ${target.prefix})`;
    const consequence = isStoredKey ? " It is the key oto is logged in with: you will be logged out." : "";
    s.out.info(`Once revoked, every request made with it fails with 401.${consequence}`);
    const confirmed = await s.prompt.confirm(`Revoke API key ${label}?`);
    if (!confirmed) {
      s.out.info("Nothing was revoked.");
      s.ctx.exitCode = ExitCode.usage;
      return;
    }
  }

  const key = await s.out.withSpinner(`Revoking ${keyId}`, () => oto.apiKeys.revoke(keyId));
  if (isStoredKey) await deleteCredentials(s.configDir);
  if (s.globals.json) {
    s.out.json(key);
    return;
  }
  s.out.success(`Revoked API key ${key.id} (${key.name}) at ${shortDate(key.revoked_at)}.`);
  if (isStoredKey)
    s.out.info('  That was the key oto was logged in with, so you are logged out. Run "oto login" to log in again.');
  else if (auth.source === "env" && /^oto_([0-9a-z]{8})_/.exec(auth.apiKey)?.[1] === key.prefix) {
    s.out.warn("OTO_API_KEY holds the key you just revoked.");
  }
}
