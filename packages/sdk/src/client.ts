import createClient, { type Client } from "openapi-fetch";
import { paginate } from "./paginate.js";
import type {
  Account,
  ApiKey,
  ApiKeyPage,
  ApiKeyWithSecret,
  AuthResult,
  CreateApiKeyRequest,
  CreateGenerationRequest,
  Generation,
  Health,
  LoginRequest,
  paths,
  Readiness,
  RegisterRequest,
  SearchHit,
  SearchPage,
} from "./schema.js";
import type { ApiContext, CallExtras, CallInit } from "./context.js";
import type { ListParams, OtoOptions, RequestOptions } from "./options.js";
import { type AdminApi, adminApi } from "./resources/admin.js";
import { type AgentsApi, agentsApi } from "./resources/agents.js";
import { type CreationsApi, creationsApi, type SharedApi, sharedApi } from "./resources/creations.js";
import { type GenerationsApi, generationsApi } from "./resources/generations.js";
import { type LineageApi, lineageApi } from "./resources/lineage.js";
import { type SearchApi, type SearchParams, searchApi } from "./resources/search.js";
import { type TokensApi, tokensApi } from "./resources/tokens.js";
import { type WallApi, wallApi } from "./resources/wall.js";
import { createTransport, type AttemptOptions, type RequestFetch } from "./transport.js";
import { unwrap, type FetchResult } from "./unwrap.js";
import { SDK_VERSION } from "./version.js";
import { type GenerateAndWaitOptions, generateAndWait } from "./wait.js";

export type { ListParams, OtoOptions, RequestOptions } from "./options.js";

export interface ApiKeysApi {
  /** Issues a new key for the current account; its `secret` is shown only here. */
  create(body: CreateApiKeyRequest, options?: RequestOptions): Promise<ApiKeyWithSecret>;
  /** One page of the current account's keys, newest first, revoked ones included. */
  list(params?: ListParams, options?: RequestOptions): Promise<ApiKeyPage>;
  /** Every key of the current account, following `next_cursor` page by page. */
  listAll(params?: Pick<ListParams, "limit">, options?: RequestOptions): AsyncIterableIterator<ApiKey>;
  /** Revokes a key at once; revoking a revoked key answers it unchanged. */
  revoke(keyId: string, options?: RequestOptions): Promise<ApiKey>;
}

const DEFAULT_BASE_URL = "http://127.0.0.1:4000";

/** The oTo API client. Every method resolves to the response data or rejects with an OtoError. */
export class Oto {
  /** The underlying openapi-fetch client, typed from the spec, for anything not wrapped here. */
  readonly raw: Client<paths>;
  readonly baseUrl: string;
  readonly apiKeys: ApiKeysApi;
  /** Agents: create, list, get, update, archive. */
  readonly agents: AgentsApi;
  /** Generation jobs: quote, create, get, list, cancel, and their live events. */
  readonly generations: GenerationsApi;
  /** Your creations and their files: download, publish, share. */
  readonly creations: CreationsApi;
  /** Creations behind share links (no API key needed). */
  readonly shared: SharedApi;
  /** Token balance, ledger, packs and purchases. */
  readonly tokens: TokensApi;
  /** Operator actions (admin role). */
  readonly admin: AdminApi;
  /** The keys that sign lineage records (a creation's lineage, tree and record are under `creations`). */
  readonly lineage: LineageApi;
  /** The wall: geometry, tiles, and where things are on it. */
  readonly wall: WallApi;
  readonly #search: SearchApi;
  readonly #transport: (call?: AttemptOptions) => RequestFetch;

  constructor(options: OtoOptions = {}) {
    const env = globalThis.process?.env ?? {};
    this.baseUrl = checkBaseUrl(options.baseUrl ?? (env["OTO_SERVER"] || DEFAULT_BASE_URL));
    this.#transport = createTransport({
      baseUrl: this.baseUrl,
      apiKey: options.apiKey ?? (env["OTO_API_KEY"] || undefined),
      userAgent: userAgent(options.userAgent),
      timeoutMs: checkCount("timeoutMs", options.timeoutMs ?? 60_000, 1),
      maxRetries: checkCount("maxRetries", options.maxRetries ?? 2, 0),
      fetch: options.fetch ?? globalThis.fetch,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      maxRetryAfterS: 60,
    });
    this.raw = createClient<paths>({ baseUrl: this.baseUrl, fetch: this.#transport() });
    this.apiKeys = {
      create: (body, o) => this.#unwrap(this.raw.POST("/v1/api-keys", { body, ...this.#init(o) })),
      list: (params = {}, o) =>
        this.#unwrap(this.raw.GET("/v1/api-keys", { params: { query: params }, ...this.#init(o) })),
      listAll: (params = {}, o) => paginate((cursor) => this.apiKeys.list({ ...params, ...(cursor && { cursor }) }, o)),
      revoke: (keyId, o) =>
        this.#unwrap(
          this.raw.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: keyId } }, ...this.#init(o) }),
        ),
    };
    const ctx: ApiContext = {
      raw: this.raw,
      baseUrl: this.baseUrl,
      unwrap: (pending) => this.#unwrap(pending),
      init: (o, extras) => this.#init(o, extras),
    };
    this.agents = agentsApi(ctx);
    this.generations = generationsApi(ctx);
    this.creations = creationsApi(ctx);
    this.shared = sharedApi(ctx);
    this.tokens = tokensApi(ctx);
    this.admin = adminApi(ctx);
    this.lineage = lineageApi(ctx);
    this.wall = wallApi(ctx);
    this.#search = searchApi(ctx);
  }

  /**
   * One page of accounts and published creations matching `q`, best first (`type`, `kind`, `limit`, `cursor`).
   * Any text is accepted: words, `"a phrase"`, `-excluded`, `or`; the last word also matches as a prefix.
   */
  search(q: string, params?: SearchParams, options?: RequestOptions): Promise<SearchPage> {
    return this.#search.search(q, params, options);
  }

  /** Every search hit, following `next_cursor` page by page. */
  searchAll(q: string, params?: Omit<SearchParams, "cursor">, options?: RequestOptions): AsyncIterableIterator<SearchHit> {
    return this.#search.searchAll(q, params, options);
  }

  /**
   * Runs an agent and resolves to the succeeded job (`creation_id` names the new creation), following
   * its events (polling when they are not available). Rejects with OtoGenerationFailedError when the
   * job fails, times out or is canceled, or has not ended within `timeoutMs` (default 10 minutes).
   */
  generateAndWait(body: CreateGenerationRequest, options?: GenerateAndWaitOptions): Promise<Generation> {
    return generateAndWait(this.generations, body, options);
  }

  /** Liveness: answers as long as the server serves HTTP. */
  health(options?: RequestOptions): Promise<Health> {
    return this.#unwrap(this.raw.GET("/v1/health", this.#init(options)));
  }

  /** Readiness: the database answers and every migration is applied (503 → OtoApiError otherwise). */
  ready(options?: RequestOptions): Promise<Readiness> {
    return this.#unwrap(this.raw.GET("/v1/ready", this.#init(options)));
  }

  /** Creates an account and its first API key (`api_key.secret`, shown once). */
  register(body: RegisterRequest, options?: RequestOptions): Promise<AuthResult> {
    return this.#unwrap(this.raw.POST("/v1/accounts", { body, ...this.#init(options) }));
  }

  /** Checks handle and password and issues a new API key (`api_key.secret`, shown once). */
  login(body: LoginRequest, options?: RequestOptions): Promise<AuthResult> {
    return this.#unwrap(this.raw.POST("/v1/auth/login", { body, ...this.#init(options) }));
  }

  /** The account the API key belongs to. */
  me(options?: RequestOptions): Promise<Account> {
    return this.#unwrap(this.raw.GET("/v1/me", this.#init(options)));
  }

  #unwrap<T>(pending: Promise<FetchResult<T>>): Promise<T> {
    return unwrap(pending, this.baseUrl);
  }

  /** The openapi-fetch options that carry one call's RequestOptions to the transport. */
  #init(options: RequestOptions = {}, extras: CallExtras = {}): CallInit {
    const headers: Record<string, string> = { ...extras.headers };
    if (options.idempotencyKey !== undefined) headers["Idempotency-Key"] = options.idempotencyKey;
    return {
      fetch: this.#transport({ timeoutMs: options.timeoutMs, maxRetries: options.maxRetries, stream: extras.stream }),
      ...(options.signal && { signal: options.signal }),
      ...(Object.keys(headers).length > 0 && { headers }),
    };
  }
}

export function createOto(options?: OtoOptions): Oto {
  return new Oto(options);
}

function userAgent(extra: string | undefined): string {
  const node = globalThis.process?.versions?.node;
  return [`oto-sdk/${SDK_VERSION}`, node && `node/${node}`, extra?.trim()].filter(Boolean).join(" ");
}

function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`invalid oTo server URL "${value}": expected something like ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`invalid oTo server URL "${value}": only http and https are supported`);
  }
  return value.replace(/\/+$/, "");
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer ≥ ${min} (got ${value})`);
  }
  return value;
}
