// Runs a demo plan through the real API with the SDK: sign-ups, agents of every kind, generations on the local
// provider, publishing, and forks. Each step starts as soon as what it needs exists (its account, the creation it
// forks), a few generations at once; sign-ups follow the server's rate limit instead of failing on it.
import type { Creation, Generation, Oto, OutputKind } from "@oto/sdk";
import { type DemoPlan, KINDS, type PlannedAccount, type PlannedCreation, planDemo } from "./plan.js";

export interface DemoSeedOptions {
  accounts: number;
  creations: number;
  seed: number;
  /** An SDK client for the server: with this API key, or none (null). */
  client: (apiKey: string | null) => Oto | Promise<Oto>;
  /** Generations in flight at once (default 4). */
  concurrency?: number;
  /** Starter tokens of a new account, to plan within budget (default 50). */
  tokensPerAccount?: number;
  onEvent?: (event: DemoEvent) => void;
  signal?: AbortSignal;
}

export type DemoEvent =
  | { type: "account"; handle: string; done: number; total: number }
  | { type: "waiting"; seconds: number; reason: string }
  | { type: "creation"; id: string; title: string; kind: OutputKind; handle: string; fork: boolean; done: number; total: number }
  | { type: "skipped"; index: number; reason: string };

export interface DemoSummary {
  accounts: Array<{ id: string; handle: string; display_name: string; agents: Array<{ id: string; kind: OutputKind; name: string }> }>;
  creations: string[];
  roots: number;
  forks: number;
  /** The longest fork chain made (1 = a fork of a root). */
  max_depth: number;
  /** Planned creations not made (their job failed, their account could not pay, or what they fork was not made). */
  skipped: number;
  /** How forks were made: the fork endpoint, or a generation with the source as input (older servers). */
  fork_via: "fork" | "generation" | null;
  seed: number;
  elapsed_ms: number;
}

// Each demo agent costs one token per run: a starter grant pays for dozens.
const AGENT_COST = 1;
// Prefer: wait=N on each run; well inside the SDK's 60 s per-request time limit (a longer job is then followed).
const MAX_WAIT_S = 30;
// The longest Retry-After honoured for a sign-up (the server's window is a minute).
const MAX_RATE_WAIT_S = 60;

class Semaphore {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

interface Ready {
  oto: Oto;
  id: string;
  handle: string;
  agents: Record<OutputKind, { id: string; name: string }>;
}

const errorName = (err: unknown) => (err instanceof Error ? err.name : "");
const statusOf = (err: unknown) => (err as { status?: number }).status;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** A random password: demo accounts are reached through their API keys only. */
function password(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64url");
}

export async function seedDemo(options: DemoSeedOptions): Promise<DemoSummary> {
  const started = Date.now();
  const perAccount = Math.floor((options.tokensPerAccount ?? 50) / AGENT_COST);
  const plan: DemoPlan = planDemo({ accounts: options.accounts, creations: options.creations, seed: options.seed, perAccount });
  const emit = options.onEvent ?? (() => {});
  const { signal } = options;
  const anonymous = await options.client(null);
  const summary: DemoSummary = {
    accounts: [],
    creations: [],
    roots: 0,
    forks: 0,
    max_depth: 0,
    skipped: options.creations - plan.creations.length,
    fork_via: null,
    seed: options.seed,
    elapsed_ms: 0,
  };

  // ---- accounts: one sign-up at a time (the server limits them per minute), agents made alongside.
  let suffix = 1;
  async function signUp(account: PlannedAccount): Promise<{ oto: Oto; id: string; handle: string }> {
    for (;;) {
      signal?.throwIfAborted();
      const handle = suffix === 1 ? account.persona.handle : `${account.persona.handle}-${suffix}`;
      if (await handleTaken(anonymous, handle)) {
        suffix += 1;
        continue;
      }
      try {
        const result = await anonymous.register(
          { handle, password: password(), display_name: account.persona.displayName },
          { maxRetries: 0, ...(signal && { signal }) },
        );
        return { oto: await options.client(result.api_key.secret), id: result.account.id, handle };
      } catch (err) {
        if (errorName(err) === "OtoConflictError") {
          // Taken (an earlier demo run): this and the following handles get the next free suffix.
          suffix += 1;
        } else if (errorName(err) === "OtoRateLimitError") {
          const seconds = Math.min(MAX_RATE_WAIT_S, Math.max(1, (err as { retryAfterS?: number }).retryAfterS ?? 5));
          emit({ type: "waiting", seconds, reason: "the server's sign-up rate limit" });
          await sleep(seconds * 1000, signal);
        } else throw err;
      }
    }
  }

  async function makeAgents(account: PlannedAccount, oto: Oto): Promise<Ready["agents"]> {
    const made = await Promise.all(
      KINDS.map((kind) => {
        const spec = account.agents[kind];
        return oto.agents.create(
          {
            name: spec.name,
            description: spec.description,
            kind,
            prompt_template: spec.template,
            default_parameters: spec.parameters,
            color: spec.color,
            cost_tokens: AGENT_COST,
          },
          signal ? { signal } : {},
        );
      }),
    );
    return Object.fromEntries(made.map((agent) => [agent.kind, { id: agent.id, name: agent.name }])) as Ready["agents"];
  }

  // Creations wait on these, resolved as each account becomes ready.
  const resolvers: Array<(value: Promise<Ready>) => void> = [];
  const accountReady = plan.accounts.map(() => new Promise<Ready>((resolve) => resolvers.push(resolve)));
  const ready: Array<Promise<Ready>> = [];
  const registrations = (async () => {
    for (const account of plan.accounts) {
      const signed = await signUp(account);
      emit({ type: "account", handle: signed.handle, done: ready.length + 1, total: plan.accounts.length });
      const agents = makeAgents(account, signed.oto).then((agents) => {
        summary.accounts[account.index] = {
          id: signed.id,
          handle: signed.handle,
          display_name: account.persona.displayName,
          agents: KINDS.map((kind) => ({ id: agents[kind].id, kind, name: agents[kind].name })),
        };
        return { ...signed, agents };
      });
      agents.catch(() => {}); // awaited below, even for an account that makes no creation
      ready.push(agents);
      resolvers[account.index]!(agents);
    }
    await Promise.all(ready);
  })();
  // A failed sign-up loop fails the whole seed: creations still waiting on an account must not hang.
  const registrationFailed = registrations.then(
    () => new Promise<never>(() => {}),
    (err: unknown) => Promise.reject(err),
  );
  registrationFailed.catch(() => {}); // reported through `registrations` below

  // ---- creations: each as soon as its account and its source exist.
  const gate = new Semaphore(options.concurrency ?? 4);
  let done = 0;
  const made: Array<Promise<string | null>> = [];
  for (const creation of plan.creations) {
    made.push(
      (async () => {
        const account = await Promise.race([accountReady[creation.account]!, registrationFailed]);
        const sourceId = creation.parent === null ? null : await made[creation.parent]!;
        if (creation.parent !== null && sourceId === null) {
          summary.skipped += 1;
          emit({ type: "skipped", index: creation.index, reason: "what it forks was not made" });
          return null;
        }
        const published = await gate.run(() => makeCreation(account, creation, sourceId)).catch((err: unknown) => {
          if (signal?.aborted) throw err;
          summary.skipped += 1;
          emit({ type: "skipped", index: creation.index, reason: err instanceof Error ? err.message : String(err) });
          return null;
        });
        if (published === null) return null;
        const { id } = published;
        done += 1;
        emit({
          type: "creation",
          id,
          title: published.title,
          kind: published.kind,
          handle: account.handle,
          fork: sourceId !== null,
          done,
          total: plan.creations.length,
        });
        summary.creations.push(id);
        if (sourceId === null) summary.roots += 1;
        else summary.forks += 1;
        summary.max_depth = Math.max(summary.max_depth, creation.depth);
        return id;
      })(),
    );
  }

  async function makeCreation(account: Ready, creation: PlannedCreation, sourceId: string | null): Promise<Creation> {
    const agent = account.agents[creation.kind];
    const body = { agent_id: agent.id, prompt: creation.prompt, parameters: { seed: creation.seed } };
    const wait = signal ? { signal } : {};
    let job: Generation | undefined;
    if (sourceId !== null && summary.fork_via !== "generation") {
      job = await fork(account.oto, sourceId, body);
      summary.fork_via = job ? "fork" : "generation";
    }
    job ??= await account.oto.generations.create(sourceId === null ? body : { ...body, inputs: [sourceId] }, { ...wait, wait: MAX_WAIT_S });
    if (job.status === "queued" || job.status === "running") job = await account.oto.generations.wait(job.id, wait);
    if (job.status !== "succeeded" || !job.creation_id) {
      throw new Error(`${job.id} ended ${job.status}${job.error ? `: ${job.error.message}` : ""}`);
    }
    return account.oto.creations.publish(job.creation_id, wait);
  }

  await Promise.all([registrations, ...made]);
  summary.accounts = summary.accounts.filter(Boolean);
  summary.elapsed_ms = Date.now() - started;
  return summary;
}

/** True when an account already has this handle (its home is on the wall); false when unknown or on error. */
async function handleTaken(oto: Oto, handle: string): Promise<boolean> {
  try {
    await oto.wall.locate({ handle }, { maxRetries: 0 });
    return true;
  } catch {
    return false;
  }
}

/**
 * POST /v1/creations/{id}/fork, waiting for the job. Undefined when the server has no working fork endpoint
 * (an older server): the caller then runs a generation with the source as its input, which is the same thing.
 */
async function fork(
  oto: Oto,
  sourceId: string,
  body: { agent_id: string; prompt: string; parameters: { seed: number } },
): Promise<Generation | undefined> {
  const { unwrap } = await import("@oto/sdk");
  try {
    return await unwrap(
      oto.raw.POST("/v1/creations/{creation_id}/fork", {
        params: { path: { creation_id: sourceId }, header: { Prefer: `wait=${MAX_WAIT_S}` } },
        body,
      }),
    );
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || status === 405 || status === 501 || (status !== undefined && status >= 500)) return undefined;
    throw err;
  }
}
