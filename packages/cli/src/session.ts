import type { Command } from "commander";
import type { Oto } from "@oto/sdk";
import {
  type Credentials,
  DEFAULT_SERVER,
  configDir,
  normalizeServerUrl,
  readCredentials,
  readUserConfig,
  userConfigPath,
} from "./config.js";
import { AuthRequiredError, type ErrorContext, debugEnabled } from "./errors.js";
import { type Io, Output } from "./io.js";
import { type PromptGate, Prompter, missingInput, promptBlocker } from "./prompt.js";

/** What lives for one run of the program (one process, or one in-process test call). */
export interface AppContext {
  io: Io;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Replaces the global fetch for every API call (in-process tests). */
  fetch?: typeof fetch;
  /** Filled in while a command runs, so an error report can name the server and key source. */
  report: ErrorContext;
  /** Exit code for a command that ends without an error but not successfully (a declined confirmation). */
  exitCode?: number;
  /** What Ctrl-C does; `oto server start` swaps in a graceful shutdown. */
  signals: { interrupt: () => void };
}

/** The program-wide options, as commander parsed them. */
export interface GlobalOptions {
  server?: string;
  json: boolean;
  color: boolean;
  input: boolean;
  quiet: boolean;
  verbose: boolean;
}

export function readGlobals(cmd: Command): GlobalOptions {
  const all = cmd.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    server: all.server,
    json: Boolean(all.json),
    color: all.color !== false,
    input: all.input !== false,
    quiet: Boolean(all.quiet),
    verbose: Boolean(all.verbose),
  };
}

export interface ResolvedAuth {
  server: string;
  apiKey: string;
  source: "env" | "credentials";
  credentials?: Credentials;
}

/** Per-command helpers: output, prompts, config, server and key resolution, API clients. */
export class Session {
  readonly globals: GlobalOptions;
  readonly out: Output;
  readonly prompt: Prompter;
  readonly configDir: string;
  private serverUrl?: string;
  private storedCredentials?: Promise<Credentials | undefined>;

  constructor(
    readonly ctx: AppContext,
    cmd: Command,
  ) {
    this.globals = readGlobals(cmd);
    this.out = new Output(ctx.io, ctx.env, {
      json: this.globals.json,
      quiet: this.globals.quiet,
      color: this.globals.color,
    });
    this.prompt = new Prompter(ctx.io);
    // @inquirer/prompts colors by itself, following NO_COLOR: pass --no-color on to it.
    if (!this.globals.color && ctx.env === process.env) process.env.NO_COLOR = "1";
    this.configDir = configDir(ctx.env);
  }

  get env(): NodeJS.ProcessEnv {
    return this.ctx.env;
  }

  get gate(): PromptGate {
    return { io: this.ctx.io, env: this.ctx.env, json: this.globals.json, input: this.globals.input };
  }

  get canPrompt(): boolean {
    return promptBlocker(this.gate) === undefined;
  }

  missing(flag: string, example?: string) {
    return missingInput(flag, this.gate, example);
  }

  /** The stored credentials; a damaged file is an error. */
  credentials(): Promise<Credentials | undefined> {
    this.storedCredentials ??= readCredentials(this.configDir);
    return this.storedCredentials;
  }

  /** The stored credentials, or undefined when there are none or the file is damaged (login rewrites it). */
  credentialsIfReadable(): Promise<Credentials | undefined> {
    return this.credentials().catch(() => undefined);
  }

  /** The server: --server > OTO_SERVER > config.json > stored credentials > http://127.0.0.1:4000. */
  async server(): Promise<string> {
    if (this.serverUrl) return this.serverUrl;
    const { server: flag } = this.globals;
    let url: string;
    if (flag) url = normalizeServerUrl(flag, "--server");
    else if (this.env.OTO_SERVER) url = normalizeServerUrl(this.env.OTO_SERVER, "OTO_SERVER");
    else {
      const config = await readUserConfig(this.configDir);
      const stored = config.server ? undefined : await this.credentialsIfReadable();
      if (config.server) url = normalizeServerUrl(config.server, `"server" in ${userConfigPath(this.configDir)}`);
      else url = stored ? normalizeServerUrl(stored.server, "the stored server") : DEFAULT_SERVER;
    }
    this.serverUrl = url;
    this.ctx.report.server = url;
    return url;
  }

  /**
   * The API key: OTO_API_KEY > stored credentials. Stored credentials are only sent to the server
   * they were issued by, never to another one.
   */
  async auth(): Promise<ResolvedAuth> {
    const server = await this.server();
    const envKey = this.env.OTO_API_KEY?.trim();
    if (envKey) {
      this.ctx.report.keySource = "env";
      return { server, apiKey: envKey, source: "env" };
    }
    const credentials = await this.credentials();
    if (credentials && normalizeServerUrl(credentials.server, "the stored server") === server) {
      this.ctx.report.keySource = "credentials";
      return { server, apiKey: credentials.api_key, source: "credentials", credentials };
    }
    if (credentials) {
      throw new AuthRequiredError(
        `not logged in to ${server} (the stored credentials are for ${credentials.server}).`,
        `Run "oto login --server ${server}" to log in there.`,
      );
    }
    throw new AuthRequiredError(`not logged in to ${server}.`, 'Run "oto login" to log in, or set OTO_API_KEY.');
  }

  /** An SDK client for `server`; @oto/sdk loads here, not at startup. */
  async client(server: string, apiKey: string | null): Promise<Oto> {
    const { createOto } = await import("@oto/sdk");
    this.ctx.report.server = server;
    return createOto({
      baseUrl: server,
      // null means "no key at all": an empty string stops the SDK from falling back to OTO_API_KEY.
      apiKey: apiKey ?? "",
      fetch: this.fetch(),
      // One quick retry: a person is waiting, and "server down" should be said without delay.
      maxRetries: 1,
      userAgent: `oto-cli/${this.ctx.version}`,
    });
  }

  /** A client authenticated with the resolved key. */
  async authedClient(): Promise<{ oto: Oto; auth: ResolvedAuth }> {
    const auth = await this.auth();
    return { oto: await this.client(auth.server, auth.apiKey), auth };
  }

  /**
   * For operations that anonymous callers may use too (public agents, published creations, share
   * links, token packs): the resolved key when there is one, else no key at all.
   */
  async optionalClient(): Promise<{ oto: Oto; auth?: ResolvedAuth }> {
    const server = await this.server();
    try {
      return await this.authedClient();
    } catch (err) {
      if (!(err instanceof AuthRequiredError)) throw err;
      return { oto: await this.client(server, null) };
    }
  }

  get verbose(): boolean {
    return this.globals.verbose || debugEnabled(this.env);
  }

  private fetch(): typeof fetch {
    const base = this.ctx.fetch ?? globalThis.fetch;
    if (!this.verbose) return base;
    const err = this.out.err;
    const log = (text: string) => this.ctx.io.stderr.write(`${err.dim(text)}\n`);
    return async (input, init) => {
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const started = performance.now();
      const elapsed = () => `${Math.round(performance.now() - started)} ms`;
      try {
        const response = await base(input, init);
        const requestId = response.headers.get("x-request-id");
        const id = requestId ? `, request ${requestId}` : "";
        log(`> ${method} ${url} → ${response.status} ${response.statusText} (${elapsed()}${id})`);
        return response;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        log(`> ${method} ${url} → ${cause} (${elapsed()})`);
        throw error;
      }
    };
  }
}
