import { OtoGenerationFailedError, OtoTimeoutError } from "./errors.js";
import type { RequestOptions } from "./options.js";
import type { GenerationsApi } from "./resources/generations.js";
import type { CreateGenerationRequest, Generation } from "./schema.js";
import { sleep } from "./sleep.js";
import { isEnded } from "./status.js";

export interface WaitOptions {
  /** Called with the job each time its state or progress changes, starting with the state it is in. */
  onProgress?: (generation: Generation) => void;
  /** Stops waiting (the job goes on; cancel it with `generations.cancel`). Rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How often to read the job when the event stream is not available. Default 1000. */
  pollIntervalMs?: number;
  /** How long to wait for the job to end before rejecting with OtoGenerationFailedError `wait_timeout`. Default 600000. */
  timeoutMs?: number;
}

export interface GenerateAndWaitOptions extends WaitOptions {
  /** Idempotency-Key of the create call (a retry with the same key never runs the job twice). */
  idempotencyKey?: string;
}

/**
 * Runs an agent and resolves to the succeeded job (its `creation_id` names the new creation).
 * Follows the job's event stream, and reads the job every `pollIntervalMs` when the stream fails.
 * Rejects with OtoGenerationFailedError when the job fails, times out or is canceled, or when it has
 * not ended within `timeoutMs`; with the usual OtoError when the create call itself is refused.
 */
export function generateAndWait(
  generations: GenerationsApi,
  body: CreateGenerationRequest,
  options: GenerateAndWaitOptions = {},
): Promise<Generation> {
  const { idempotencyKey, ...waitOptions } = options;
  return waitFor(
    generations,
    (signal) => generations.create(body, { signal, ...(idempotencyKey !== undefined && { idempotencyKey }) }),
    waitOptions,
  );
}

/** As generateAndWait, for a job that already exists (by id, or as last read). */
export function waitForGeneration(
  generations: GenerationsApi,
  job: string | Generation,
  options: WaitOptions = {},
): Promise<Generation> {
  return waitFor(
    generations,
    (signal) => (typeof job === "string" ? generations.get(job, { signal }) : Promise.resolve(job)),
    options,
  );
}

async function waitFor(
  generations: GenerationsApi,
  start: (signal: AbortSignal) => Promise<Generation>,
  options: WaitOptions,
): Promise<Generation> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const started = Date.now();
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new OtoTimeoutError({
          status: 0,
          code: "timeout",
          title: "Timeout",
          detail: `the generation did not start within ${timeoutMs} ms`,
        }),
      ),
    timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  const call: RequestOptions = { signal };

  let latest: Generation | undefined;
  let reported: string | undefined;
  const see = (generation: Generation): Generation => {
    latest = generation;
    const text = JSON.stringify(generation);
    if (text !== reported) {
      reported = text;
      options.onProgress?.(generation);
    }
    return generation;
  };

  try {
    let current = see(await start(signal));
    if (!isEnded(current)) {
      try {
        for await (const generation of generations.events(current.id, { signal })) {
          current = see(generation);
          if (isEnded(current)) break;
        }
      } catch (error) {
        if (signal.aborted) throw error;
        // No stream (a proxy that buffers, a connection dropped twice): read the job instead.
      }
    }
    while (!isEnded(current)) {
      await sleep(pollIntervalMs, signal);
      current = see(await generations.get(current.id, call));
    }
    if (current.status !== "succeeded") throw new OtoGenerationFailedError(current);
    return current;
  } catch (error) {
    if (latest && deadline.signal.aborted && !options.signal?.aborted) {
      throw new OtoGenerationFailedError(latest, { waitedMs: Date.now() - started });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
