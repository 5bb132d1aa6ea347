import { hostname } from "node:os";
import type { Command } from "commander";
import type { ApiKeyWithSecret, AuthResult } from "@oto/sdk";
import { credentialsPath, deleteCredentials, normalizeServerUrl, writeCredentials } from "../config.js";
import { CliError, UsageError, isApiError } from "../errors.js";
import { displayPath, readAll, shortDate } from "../io.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

// The account rules of openapi.yaml (Handle, Password), checked while prompting so a typo is
// caught before the request; the server stays the authority.
const HANDLE_PATTERN = /^[a-z][a-z0-9_-]{2,31}$/;
const PASSWORD_MIN = 10;
const PASSWORD_MAX = 256;

const validateHandle = (value: string): true | string =>
  HANDLE_PATTERN.test(value) || "3–32 characters: lowercase letters, digits, _ and -, starting with a letter.";

const validateNewPassword = (value: string): true | string =>
  (value.length >= PASSWORD_MIN && value.length <= PASSWORD_MAX) ||
  `Use ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`;

interface RegisterOptions {
  handle?: string;
  displayName?: string;
  passwordStdin?: boolean;
}

interface LoginOptions {
  handle?: string;
  passwordStdin?: boolean;
  withToken?: boolean;
  keyName?: string;
}

interface LogoutOptions {
  keepKey?: boolean;
}

export function registerAuthCommands(program: Command, ctx: AppContext): void {
  program
    .command("register")
    .description("Create an account and log in with its first API key")
    .option("--handle <handle>", "the account's handle (3–32 characters: a-z, 0-9, _ and -)")
    .option("--display-name <name>", "the name shown to others (default: the handle)")
    .option("--password-stdin", "read the password from stdin instead of asking for it")
    .addHelpText(
      "after",
      examples([
        "oto register",
        'printf "%s" "$PASSWORD" | oto register --handle ada --password-stdin',
        "oto register --server https://oto.example.com --handle ada --display-name 'Ada Lovelace'",
      ]),
    )
    .action((opts: RegisterOptions, cmd: Command) => register(new Session(ctx, cmd), opts));

  program
    .command("login")
    .description("Log in with your handle and password, or with an API key")
    .option("--handle <handle>", "your handle")
    .option("--password-stdin", "read the password from stdin instead of asking for it")
    .option("--with-token", "read an API key from stdin instead of logging in with a password")
    .option("--key-name <name>", "a name for the API key this login creates (default: oto cli on <host>)")
    .addHelpText(
      "after",
      examples([
        "oto login",
        'printf "%s" "$PASSWORD" | oto login --handle ada --password-stdin',
        "oto login --with-token < key.txt",
        "oto login --server http://127.0.0.1:4555",
      ]),
    )
    .action((opts: LoginOptions, cmd: Command) => login(new Session(ctx, cmd), opts));

  program
    .command("logout")
    .description("Revoke the stored API key on the server and forget it")
    .option("--keep-key", "only forget the key locally; it stays valid on the server")
    .addHelpText("after", examples(["oto logout", "oto logout --keep-key"]))
    .action((opts: LogoutOptions, cmd: Command) => logout(new Session(ctx, cmd), opts));

  program
    .command("whoami")
    .description("Show the account you are logged in as")
    .addHelpText("after", examples(["oto whoami", "oto whoami --json", "OTO_API_KEY=oto_… oto whoami"]))
    .action((_opts: unknown, cmd: Command) => whoami(new Session(ctx, cmd)));
}

/** The password from a pipe, without the newline `echo` adds. */
async function passwordFromStdin(s: Session, command: string): Promise<string> {
  if (s.ctx.io.isTTY.stdin) {
    throw new UsageError(
      "--password-stdin reads the password from a pipe, but stdin is a terminal.",
      `Leave out --password-stdin to be asked for it, or: printf "%s" "$PASSWORD" | oto ${command} --password-stdin`,
    );
  }
  const password = (await readAll(s.ctx.io.stdin)).replace(/\r?\n$/, "");
  if (!password) throw new UsageError("--password-stdin was given, but stdin was empty.");
  return password;
}

async function register(s: Session, opts: RegisterOptions): Promise<void> {
  const example = 'printf "%s" "$PASSWORD" | oto register --handle ada --password-stdin';
  if (!opts.handle && !s.canPrompt) throw s.missing("--handle", example);
  if (!opts.passwordStdin && !s.canPrompt) throw s.missing("--password-stdin", example);
  const server = await s.server();

  const handle = opts.handle ?? (await s.prompt.text("Handle:", { validate: validateHandle }));
  let password: string;
  if (opts.passwordStdin) password = await passwordFromStdin(s, "register --handle " + handle);
  else {
    password = await s.prompt.secret("Password (10+ characters):", validateNewPassword);
    await s.prompt.secret("Password again:", (again) => again === password || "The passwords differ; type it again.");
  }

  const oto = await s.client(server, null);
  const result = await s.out.withSpinner(`Creating @${handle} on ${server}`, () =>
    // No automatic retry: a rate-limited attempt is reported at once with its wait time.
    oto.register(
      { handle, password, ...(opts.displayName ? { display_name: opts.displayName } : {}) },
      { maxRetries: 0 },
    ),
  );
  await saveLogin(s, server, result, `Registered @${result.account.handle} on ${server} and logged in.`);
}

async function login(s: Session, opts: LoginOptions): Promise<void> {
  if (opts.withToken) {
    if (opts.handle || opts.passwordStdin || opts.keyName) {
      throw new UsageError("--with-token cannot be combined with --handle, --password-stdin or --key-name.");
    }
    return loginWithToken(s);
  }
  const example = 'printf "%s" "$PASSWORD" | oto login --handle ada --password-stdin';
  if (!opts.handle && !s.canPrompt) throw s.missing("--handle", example);
  if (!opts.passwordStdin && !s.canPrompt) throw s.missing("--password-stdin", example);
  const server = await s.server();

  const handle = opts.handle ?? (await s.prompt.text("Handle:"));
  const keyName = opts.keyName ?? `oto cli on ${hostname()}`.slice(0, 64);
  const oto = await s.client(server, null);
  const attempt = (password: string) =>
    s.out.withSpinner(`Logging in to ${server}`, () =>
      // No automatic retry: a rate-limited attempt is reported at once with its wait time.
      oto.login({ handle, password, key_name: keyName }, { maxRetries: 0 }),
    );

  let result: AuthResult;
  if (opts.passwordStdin) result = await attempt(await passwordFromStdin(s, "login --handle " + handle));
  else {
    // Like sudo: a mistyped password at the prompt gets two more tries.
    for (let tries = 1; ; tries += 1) {
      const password = await s.prompt.secret("Password:", (value) => value.length > 0 || "Type your password.");
      try {
        result = await attempt(password);
        break;
      } catch (err) {
        if (!(isApiError(err) && err.code === "invalid_credentials" && tries < 3)) throw err;
        s.out.warn(`${err.detail} Try again.`);
      }
    }
  }
  await saveLogin(s, server, result, `Logged in to ${server} as @${result.account.handle}.`);
}

async function loginWithToken(s: Session): Promise<void> {
  let apiKey: string;
  if (s.ctx.io.isTTY.stdin) {
    if (!s.canPrompt) {
      throw new UsageError(
        "--with-token reads the API key from stdin, but stdin is a terminal.",
        "Example: oto login --with-token < key.txt",
      );
    }
    apiKey = (await s.prompt.secret("API key:", (value) => value.trim().length > 0 || "Paste your API key.")).trim();
  } else {
    apiKey = (await readAll(s.ctx.io.stdin)).trim();
  }
  if (!apiKey)
    throw new UsageError("--with-token was given, but stdin was empty.", "Example: oto login --with-token < key.txt");
  const prefix = /^oto_([0-9a-z]{8})_\S+$/.exec(apiKey)?.[1];
  if (!prefix) {
    throw new UsageError("that is not an oTo API key: keys look like oto_<8 characters>_<secret>.");
  }

  const server = await s.server();
  s.ctx.report.keySource = "stdin";
  const oto = await s.client(server, apiKey);
  const { account, keyId } = await s.out.withSpinner(`Checking the key with ${server}`, async () => {
    const account = await oto.me();
    for await (const key of oto.apiKeys.listAll({ limit: 100 })) {
      if (key.prefix === prefix) return { account, keyId: key.id };
    }
    throw new CliError(`the server accepted the key but does not list it among @${account.handle}'s keys.`);
  });
  const path = await writeCredentials(s.configDir, { server, api_key: apiKey, handle: account.handle, key_id: keyId });
  if (s.globals.json) {
    s.out.json({ server, account, api_key: { id: keyId, prefix }, credentials_path: path });
    return;
  }
  s.out.success(`Logged in to ${server} as @${account.handle} with key ${keyId}.`);
  s.out.info(`  The key is stored in ${displayPath(path, s.env)}.`);
}

/** Stores the key a register/login returned and says so. */
async function saveLogin(s: Session, server: string, result: AuthResult, headline: string): Promise<void> {
  const previous = await s.credentialsIfReadable();
  const path = await writeCredentials(s.configDir, {
    server,
    api_key: result.api_key.secret,
    handle: result.account.handle,
    key_id: result.api_key.id,
  });
  if (s.globals.json) {
    s.out.json({ server, account: result.account, api_key: withoutSecret(result.api_key), credentials_path: path });
    return;
  }
  s.out.success(headline);
  s.out.info(`  API key ${result.api_key.id} (${result.api_key.name}) stored in ${displayPath(path, s.env)}.`);
  if (previous && (previous.handle !== result.account.handle || previous.server !== server)) {
    s.out.info(`  It replaces the stored login of @${previous.handle} on ${previous.server}.`);
  }
  if (s.env.OTO_API_KEY) s.out.warn("OTO_API_KEY is set: it still takes precedence over the stored key.");
}

function withoutSecret(key: ApiKeyWithSecret) {
  const { secret: _secret, ...rest } = key;
  return rest;
}

async function logout(s: Session, opts: LogoutOptions): Promise<void> {
  const credentials = await s.credentials().catch(async (err: unknown) => {
    // A damaged file cannot be used to revoke anything: forget it.
    if (!(await deleteCredentials(s.configDir))) throw err;
    s.out.warn(`Deleted the damaged ${displayPath(credentialsPath(s.configDir), s.env)}; no key was revoked.`);
    return undefined;
  });
  const envNote = () => {
    if (s.env.OTO_API_KEY) s.out.warn("OTO_API_KEY is still set: oto keeps using that key until you unset it.");
  };
  if (!credentials) {
    if (s.globals.json) s.out.json({ logged_out: false, key_revoked: false });
    else s.out.info("Not logged in; there were no stored credentials.");
    envNote();
    return;
  }
  const server = normalizeServerUrl(credentials.server, "the stored server");
  let revoked = false;
  if (!opts.keepKey) revoked = await revokeStoredKey(s, server, credentials.api_key, credentials.key_id);
  await deleteCredentials(s.configDir);
  if (s.globals.json) {
    s.out.json({
      logged_out: true,
      handle: credentials.handle,
      server,
      key_id: credentials.key_id,
      key_revoked: revoked,
    });
  } else {
    s.out.success(`Logged out @${credentials.handle} from ${server}.`);
    s.out.info(`  Deleted ${displayPath(credentialsPath(s.configDir), s.env)}.`);
  }
  envNote();
}

/** Revokes the key on the server if it can; says what happened either way. */
async function revokeStoredKey(s: Session, server: string, apiKey: string, keyId: string): Promise<boolean> {
  const oto = await s.client(server, apiKey);
  try {
    await s.out.withSpinner(`Revoking key ${keyId} on ${server}`, () => oto.apiKeys.revoke(keyId));
    s.out.success(`Revoked API key ${keyId} on ${server}.`);
    return true;
  } catch (err) {
    if (!isApiError(err)) throw err;
    if (err.status === 401 || err.status === 404) {
      s.out.info(`The server no longer accepts key ${keyId} (${err.code}); nothing to revoke.`);
      return false;
    }
    const why = err.code === "connection_error" ? `cannot reach ${server}` : `${err.detail} (${err.code})`;
    s.out.warn(`Could not revoke key ${keyId}: ${why}. The key stays valid until you revoke it.`);
    return false;
  }
}

async function whoami(s: Session): Promise<void> {
  const { oto, auth } = await s.authedClient();
  const account = await s.out.withSpinner(`Asking ${auth.server}`, () => oto.me());
  if (s.globals.json) {
    s.out.json(account);
    return;
  }
  const { out } = s.out;
  const from = auth.source === "env" ? "OTO_API_KEY" : displayPath(credentialsPath(s.configDir), s.env);
  const name = account.display_name !== account.handle ? ` (${account.display_name})` : "";
  s.out.line(`${out.bold(`@${account.handle}`)}${name} on ${auth.server}`);
  s.out.keyValues([
    ["account", account.id],
    ["role", account.role],
    ["since", shortDate(account.created_at)],
    ["key", `${maskKey(auth.apiKey)} from ${from}`],
  ]);
}

/** "oto_k7n4p0w1_…": enough to tell keys apart, nothing secret. */
export function maskKey(apiKey: string): string {
  const match = /^(oto_[0-9a-z]{8}_)/.exec(apiKey);
  return match ? `${match[1]}…` : "(not an oTo key)";
}
