// Polls a provider until the job reaches a terminal state, backing off 1 s → 2 s → 5 s (then 5 s forever),
// as RunPod asks clients to (notes §1.7–1.8). Retryable transport errors are tolerated a few times in a row.
import type { GenerationProvider, ProviderStatus } from "../provider.js";
import { RunPodError } from "./errors.js";
import { realSleep, type Sleep } from "./retry.js";

export type ActiveProviderStatus = Extract<ProviderStatus, { state: "queued" | "running" }>;
export type TerminalProviderStatus = Exclude<ProviderStatus, ActiveProviderStatus>;

export const DEFAULT_POLL_INTERVALS_MS: readonly number[] = [1000, 2000, 5000];

export interface PollOptions {
  signal?: AbortSignal;
  /** Called when the state, progress or message changes. */
  onProgress?: (status: ActiveProviderStatus) => void;
  /** Delays between polls; the last one repeats. */
  intervalsMs?: readonly number[];
  sleep?: Sleep;
  /** Retryable errors in a row before giving up (default 5). */
  maxConsecutiveErrors?: number;
}

export async function pollUntilDone(
  provider: Pick<GenerationProvider, "status">,
  externalId: string,
  options: PollOptions = {},
): Promise<TerminalProviderStatus> {
  const intervals = options.intervalsMs ?? DEFAULT_POLL_INTERVALS_MS;
  if (intervals.length === 0) throw new Error("pollUntilDone needs at least one interval");
  const sleep = options.sleep ?? realSleep;
  const maxErrors = options.maxConsecutiveErrors ?? 5;
  let lastReported: string | undefined;
  let consecutiveErrors = 0;

  for (let poll = 0; ; poll++) {
    options.signal?.throwIfAborted();
    try {
      const status = await provider.status(externalId, options.signal);
      consecutiveErrors = 0;
      if (!isActive(status)) return status;
      const fingerprint = JSON.stringify([status.state, status.progress, status.message]);
      if (fingerprint !== lastReported) {
        lastReported = fingerprint;
        options.onProgress?.(status);
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const retryable = error instanceof RunPodError && error.retryable;
      consecutiveErrors++;
      if (!retryable || consecutiveErrors > maxErrors) throw error;
    }
    const delay = intervals[Math.min(poll, intervals.length - 1)] ?? 5000;
    await sleep(delay, options.signal);
  }
}

function isActive(status: ProviderStatus): status is ActiveProviderStatus {
  return status.state === "queued" || status.state === "running";
}
