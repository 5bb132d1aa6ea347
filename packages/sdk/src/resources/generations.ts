import type { ApiContext } from "../context.js";
import { OtoApiError, OtoConnectionError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../paginate.js";
import type { CreateGenerationRequest, Generation, GenerationPage, operations, Quote } from "../schema.js";
import { readEvents, StreamDroppedError } from "../sse.js";
import { isEnded } from "../status.js";
import { waitForGeneration, type WaitOptions } from "../wait.js";

/** `status`, `limit`, `cursor`. */
export type ListGenerationsParams = NonNullable<operations["listGenerations"]["parameters"]["query"]>;

export interface CreateGenerationOptions extends RequestOptions {
  /**
   * Seconds (1–60) the server may hold the request to answer the ended job (`Prefer: wait=N`):
   * the promise then resolves to a finished job when it ended in time, else to the queued/running one.
   */
  wait?: number;
}

export interface EventsOptions {
  /** Stops following: the iterator rejects with the signal's reason and the connection closes. */
  signal?: AbortSignal;
  /** Silence longer than this (no event, no heartbeat) counts as a dropped stream. Default 45000. */
  idleTimeoutMs?: number;
}

export interface GenerationsApi {
  /** What `create` with the same body would cost, and whether the balance covers it. Nothing is held. */
  quote(body: CreateGenerationRequest, options?: RequestOptions): Promise<Quote>;
  /**
   * Holds the agent's price and queues a job. Rejects with OtoInsufficientTokensError (402) when the
   * balance does not cover it. With `wait`, the server answers once the job ended (or after `wait` s).
   */
  create(body: CreateGenerationRequest, options?: CreateGenerationOptions): Promise<Generation>;
  get(jobId: string, options?: RequestOptions): Promise<Generation>;
  /** One page of your jobs, newest first. */
  list(params?: ListGenerationsParams, options?: RequestOptions): Promise<GenerationPage>;
  listAll(params?: Omit<ListGenerationsParams, "cursor">, options?: RequestOptions): AsyncIterableIterator<Generation>;
  /** Cancels a queued or running job and releases its hold; an ended job answers unchanged. */
  cancel(jobId: string, options?: RequestOptions): Promise<Generation>;
  /**
   * The job's states as they change, from the server-sent-events stream: first the current state,
   * last the ended one (then the iteration stops). A dropped stream is picked up once, after
   * re-reading the job; a second drop rejects with OtoConnectionError.
   */
  events(jobId: string, options?: EventsOptions): AsyncIterableIterator<Generation>;
  /**
   * Waits for an existing job to end, as `generateAndWait` does: resolves to the succeeded job,
   * rejects with OtoGenerationFailedError otherwise.
   */
  wait(jobId: string, options?: WaitOptions): Promise<Generation>;
}

export function generationsApi(ctx: ApiContext): GenerationsApi {
  const path = (jobId: string) => ({ path: { job_id: jobId } });

  const api: GenerationsApi = {
    quote: (body, o) => ctx.unwrap(ctx.raw.POST("/v1/generations/quote", { body, ...ctx.init(o) })),
    create: (body, o = {}) => {
      const { wait, ...rest } = o;
      if (wait === undefined) return ctx.unwrap(ctx.raw.POST("/v1/generations", { body, ...ctx.init(rest) }));
      if (!Number.isInteger(wait) || wait < 1 || wait > 60) {
        throw new TypeError(`wait must be a whole number of seconds from 1 to 60 (got ${wait})`);
      }
      // The server may hold the request for `wait` seconds: the attempt's time limit must outlast it.
      const timeoutMs = Math.max(rest.timeoutMs ?? 0, (wait + 15) * 1000);
      const init = ctx.init({ ...rest, timeoutMs }, { headers: { Prefer: `wait=${wait}` } });
      return ctx.unwrap(ctx.raw.POST("/v1/generations", { body, ...init }));
    },
    get: (jobId, o) => ctx.unwrap(ctx.raw.GET("/v1/generations/{job_id}", { params: path(jobId), ...ctx.init(o) })),
    list: (params = {}, o) => ctx.unwrap(ctx.raw.GET("/v1/generations", { params: { query: params }, ...ctx.init(o) })),
    listAll: (params = {}, o) => paginate((cursor) => api.list({ ...params, ...(cursor && { cursor }) }, o)),
    cancel: (jobId, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/generations/{job_id}/cancel", { params: path(jobId), ...ctx.init(o) })),
    events: (jobId, o = {}) => followEvents(ctx, api, jobId, o),
    wait: (jobId, o) => waitForGeneration(api, jobId, o),
  };
  return api;
}

async function openEventStream(ctx: ApiContext, jobId: string, signal: AbortSignal | undefined) {
  const init = ctx.init(signal ? { signal } : {}, { headers: { Accept: "text/event-stream" }, stream: true });
  const body = await ctx.unwrap(
    ctx.raw.GET("/v1/generations/{job_id}/events", {
      params: { path: { job_id: jobId } },
      parseAs: "stream",
      ...init,
    }),
  );
  return body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
}

async function* followEvents(
  ctx: ApiContext,
  api: GenerationsApi,
  jobId: string,
  options: EventsOptions,
): AsyncGenerator<Generation, void, undefined> {
  const { signal } = options;
  let last: string | undefined;
  /** The job, unless it is the same state as the one yielded last (a reconnect repeats it). */
  const fresh = (generation: Generation): Generation | undefined => {
    const text = JSON.stringify(generation);
    if (text === last) return undefined;
    last = text;
    return generation;
  };

  for (let reconnected = false; ; reconnected = true) {
    const body = await openEventStream(ctx, jobId, signal);
    try {
      for await (const message of readEvents(body, { signal, idleTimeoutMs: options.idleTimeoutMs })) {
        if (message.event !== undefined && message.event !== "generation") continue;
        const generation = parseGeneration(message.data, ctx.baseUrl);
        const changed = fresh(generation);
        if (changed) yield changed;
        if (isEnded(generation)) return;
      }
      // The stream ended before the job did: treated as a drop.
    } catch (error) {
      if (!(error instanceof StreamDroppedError)) throw error;
    }
    if (reconnected) {
      throw new OtoConnectionError({
        status: 0,
        code: "connection_error",
        title: "Connection error",
        detail: `the event stream of job ${jobId} from ${ctx.baseUrl} dropped twice`,
      });
    }
    const current = await api.get(jobId, signal ? { signal } : {});
    const changed = fresh(current);
    if (changed) yield changed;
    if (isEnded(current)) return;
  }
}

function parseGeneration(data: string, server: string): Generation {
  try {
    const value = JSON.parse(data) as Generation;
    if (typeof value === "object" && value !== null && typeof value.status === "string") return value;
  } catch {
    // reported below
  }
  throw new OtoApiError({
    status: 0,
    code: "invalid_response",
    title: "Invalid response",
    detail: `${server} sent an event that is not a generation: ${data.slice(0, 100)}`,
  });
}
