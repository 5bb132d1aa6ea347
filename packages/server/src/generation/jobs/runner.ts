// Runs generation jobs in this process: a bounded number at once (the rest wait their turn), each under a
// lease so that several server processes on one PostgreSQL never run the same job. A run hands the job to its
// provider (or picks up the provider's job again after a restart), polls with capped backoff, reports
// progress, and settles the job once: outputs into the file store, then creation + capture in one
// transaction, or release on failure, cancel or timeout.
import type { FastifyBaseLogger } from "fastify";
import type { Db } from "../../db/types.js";
import { sortableId } from "../../ids.js";
import type { FileStore } from "../../storage/files.js";
import type { GeneratedFile, GenerationProvider, GenerationRequest, ProviderStatus } from "../provider.js";
import { RunPodError, pollUntilDone, runpodWebhookUrl, type Sleep } from "../runpod/index.js";
import type { JobEventHub } from "./hub.js";
import { ProviderNotConfigured, type ProviderRegistry } from "./providers.js";
import { type JobRow, toGeneration } from "./rows.js";
import { settleSucceeded, settleWithoutResult } from "./settle.js";
import { claimJob, countAttempt, recordProgress, recordSubmission, releaseLease, renewLease } from "./store.js";

export interface RunnerOptions {
  /** Jobs this process runs at once; the others wait in memory (still "queued"). Default 8. */
  concurrency: number;
  /** How long a claim on a job lasts without renewal. Default 30 s (renewed every third of it). */
  leaseMs: number;
  /** Delays between status polls; the last one repeats. */
  pollIntervalsMs: { local: readonly number[]; runpod: readonly number[] };
  /** Progress-only changes are written to the database at most this often (state changes at once). */
  progressWriteMs: number;
  /** Times a job is handed to its provider before it fails (a provider that forgot the job: restart, expiry). */
  maxAttempts: number;
  /** Wait before retrying a job whose provider could not be reached. Default 5 s. */
  retryDelayMs: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  concurrency: 8,
  leaseMs: 30_000,
  pollIntervalsMs: { local: [50, 100, 200, 400], runpod: [1000, 2000, 5000] },
  progressWriteMs: 1000,
  maxAttempts: 3,
  retryDelayMs: 5000,
};

export interface RunnerDeps {
  db: Db;
  files: FileStore;
  providers: ProviderRegistry;
  hub: JobEventHub;
  log: FastifyBaseLogger;
  maxOutputBytes: number;
  /** The server's public address for RunPod webhooks, when it is known (listening, or OTO_PUBLIC_URL). */
  publicUrl(): string | undefined;
  /** The key of the per-job webhook tokens. */
  webhookSecret(): Promise<string>;
}

type StopReason = "deadline" | "canceled" | "ended" | "shutdown" | "lease_lost";

/** Why a run was interrupted (the abort reason of its signal). */
class RunStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`job run stopped: ${reason}`);
  }
}

/** The wait between two polls of one run; wake() ends it at once, or makes the next one end at once. */
class PollPause {
  private pending = false;
  private current: (() => void) | undefined;

  constructor(private readonly runSignal: AbortSignal) {}

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      const effective = signal ?? this.runSignal;
      if (effective.aborted) {
        reject(effective.reason);
        return;
      }
      if (this.pending) {
        this.pending = false;
        resolve();
        return;
      }
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        effective.removeEventListener("abort", onAbort);
        this.current = undefined;
        fn();
      };
      const onAbort = () => settle(() => reject(effective.reason));
      const timer = setTimeout(() => settle(resolve), ms);
      effective.addEventListener("abort", onAbort, { once: true });
      this.current = () => settle(resolve);
    });

  wake(): void {
    if (this.current) this.current();
    else this.pending = true;
  }
}

interface ActiveRun {
  controller: AbortController;
  pause: PollPause;
  done: Promise<void>;
}

const OUTPUT_KIND_TYPES: Record<string, (mediaType: string) => boolean> = {
  text: (t) => t.startsWith("text/") || t === "application/json",
  image: (t) => t.startsWith("image/"),
  voice: (t) => t.startsWith("audio/"),
  // Animated WebP and GIF are how some workers (and the local generator) deliver short videos.
  video: (t) => t.startsWith("video/") || t === "image/webp" || t === "image/gif",
};

export class JobRunner {
  /** This process, as written in lease_owner. */
  readonly owner = `proc_${sortableId()}`;
  private readonly options: RunnerOptions;
  private readonly waiting: string[] = [];
  private readonly waitingSet = new Set<string>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly deps: RunnerDeps,
    options: Partial<RunnerOptions> = {},
  ) {
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...options };
  }

  /** Queues the job to run here (no-op if it is already waiting or running here). */
  enqueue(jobId: string): void {
    if (this.closed || this.waitingSet.has(jobId) || this.active.has(jobId)) return;
    this.waiting.push(jobId);
    this.waitingSet.add(jobId);
    this.pump();
  }

  isRunning(jobId: string): boolean {
    return this.active.has(jobId);
  }

  /** A webhook said the job changed: poll now instead of after the current wait. False if it does not run here. */
  wake(jobId: string): boolean {
    const run = this.active.get(jobId);
    run?.pause.wake();
    return run !== undefined;
  }

  /** Interrupts this process's run of a job that was ended elsewhere (cancel, sweeper). */
  stop(jobId: string, reason: "canceled" | "ended"): void {
    this.active.get(jobId)?.controller.abort(new RunStopped(reason));
    if (this.waitingSet.delete(jobId)) this.waiting.splice(this.waiting.indexOf(jobId), 1);
  }

  /** Best effort: asks the provider to stop the job's current attempt. */
  async cancelAtProvider(job: Pick<JobRow, "id" | "provider" | "external_id">): Promise<void> {
    if (!job.external_id) return;
    try {
      await this.deps.providers.get(job.provider).cancel(job.external_id);
    } catch (error) {
      this.deps.log.warn({ err: error, job_id: job.id }, "could not cancel the job at its provider");
    }
  }

  /**
   * Re-reads the job's status from its provider and settles it if it ended (RunPod webhook for a job this
   * process is not running). Answers what happened.
   */
  async checkNow(job: JobRow): Promise<"settled" | "pending" | "ended"> {
    if (job.status !== "queued" && job.status !== "running") return "ended";
    if (!job.external_id) return "pending";
    const provider = this.deps.providers.get(job.provider);
    const status = await provider.status(job.external_id);
    if (!isFinal(status)) return "pending";
    const settled = await this.settle(job, status);
    return settled ? "settled" : "ended";
  }

  /** Stops taking jobs, interrupts the runs (left unfinished, resumed by the next start) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    this.waitingSet.clear();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const runs = [...this.active.values()];
    for (const run of runs) run.controller.abort(new RunStopped("shutdown"));
    await Promise.allSettled(runs.map((run) => run.done));
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.options.concurrency && this.waiting.length > 0) {
      const jobId = this.waiting.shift()!;
      this.waitingSet.delete(jobId);
      const controller = new AbortController();
      const run: ActiveRun = { controller, pause: new PollPause(controller.signal), done: Promise.resolve() };
      this.active.set(jobId, run);
      run.done = this.run(jobId, run)
        .catch((error: unknown) => this.deps.log.error({ err: error, job_id: jobId }, "generation job run crashed"))
        .finally(() => {
          this.active.delete(jobId);
          this.pump();
        });
    }
  }

  private async run(jobId: string, active: ActiveRun): Promise<void> {
    const { db } = this.deps;
    const { controller } = active;
    const signal = controller.signal;
    const claimed = await claimJob(db, jobId, this.owner, this.options.leaseMs);
    if (!claimed) return; // ended, or another process runs it
    // The latest known state of the job (its external id changes on each submission).
    const current = { job: claimed };
    const heartbeat = setInterval(() => {
      renewLease(db, jobId, this.owner, this.options.leaseMs).then(
        (kept) => {
          if (!kept) controller.abort(new RunStopped("lease_lost"));
        },
        (error: unknown) => this.deps.log.warn({ err: error, job_id: jobId }, "could not renew a job lease"),
      );
    }, Math.max(100, Math.floor(this.options.leaseMs / 3)));
    const untilDeadline = claimed.deadline_at.getTime() - Date.now();
    const deadline = setTimeout(() => controller.abort(new RunStopped("deadline")), Math.max(0, untilDeadline));
    let retryLater = false;
    try {
      if (untilDeadline <= 0) throw new RunStopped("deadline");
      await this.drive(current, signal, active.pause);
    } catch (error) {
      const job = current.job;
      const stop = error instanceof RunStopped ? error : signal.reason instanceof RunStopped ? signal.reason : undefined;
      if (stop) {
        await this.afterStop(job, stop.reason);
      } else if (error instanceof RunPodError && error.retryable) {
        // RunPod could not be reached: the job may still finish there. Try again later.
        this.deps.log.warn({ err: error, job_id: jobId }, "RunPod unreachable; the job will be retried");
        retryLater = true;
      } else if (error instanceof ExhaustedAttempts) {
        await this.fail(job, "expired", error.message);
      } else if (error instanceof ProviderNotConfigured) {
        await this.fail(job, "provider_not_configured", error.message);
      } else if (error instanceof RunPodError) {
        await this.cancelAtProvider(job);
        await this.fail(job, "provider_error", error.message);
      } else {
        this.deps.log.error({ err: error, job_id: jobId }, "generation job failed unexpectedly");
        await this.cancelAtProvider(job);
        await this.fail(job, "internal_error", "The server could not run this job; nothing was charged.");
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(deadline);
      await releaseLease(db, jobId, this.owner).catch(() => {});
    }
    if (retryLater && !this.closed) {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.enqueue(jobId);
      }, this.options.retryDelayMs);
      timer.unref();
      this.retryTimers.add(timer);
    }
  }

  /** Submits (or re-submits) and polls until the provider's job ends, then settles. */
  private async drive(current: { job: JobRow }, signal: AbortSignal, pause: PollPause): Promise<void> {
    const provider = this.deps.providers.get(current.job.provider);
    // Progress writes go one after the other (never out of order) and are awaited before the run ends.
    let writes: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        signal.throwIfAborted();
        if (!current.job.external_id) current.job = await this.submit(current.job, provider, signal);
        const settled = await this.pollOnce(current, provider, signal, pause, (write) => {
          writes = writes.then(async () => void (await write())).catch((error: unknown) =>
            this.deps.log.warn({ err: error, job_id: current.job.id }, "could not record job progress"),
          );
        });
        if (settled) return;
        // The provider forgot the job (restart of the local generator, RunPod result past retention):
        // nothing was charged yet, so run it again (the local generator is deterministic).
        this.deps.log.info(
          { job_id: current.job.id, attempts: current.job.attempts },
          "provider no longer knows the job; submitting it again",
        );
        current.job = { ...current.job, external_id: null };
      }
    } finally {
      await writes;
    }
  }

  /** Polls the current attempt until it ends and settles it; false when the provider no longer knows it. */
  private async pollOnce(
    current: { job: JobRow },
    provider: GenerationProvider,
    signal: AbortSignal,
    pause: PollPause,
    queueWrite: (write: () => Promise<unknown>) => void,
  ): Promise<boolean> {
    const intervals = this.options.pollIntervalsMs[current.job.provider];
    let lastWrite = 0;
    let lastState = current.job.status;
    const terminal = await pollUntilDone(provider, current.job.external_id!, {
      signal,
      sleep: pause.sleep,
      intervalsMs: intervals,
      onProgress: (status) => {
        const job = current.job;
        const progress = status.progress ?? null;
        const now = Date.now();
        const stateChanged = status.state !== lastState;
        current.job = {
          ...job,
          status: status.state,
          progress,
          started_at: job.started_at ?? (status.state === "running" ? new Date() : null),
        };
        this.deps.hub.publish(toGeneration(current.job));
        if (stateChanged || now - lastWrite >= this.options.progressWriteMs) {
          lastWrite = now;
          lastState = status.state;
          queueWrite(() => recordProgress(this.deps.db, job.id, status.state, progress));
        }
      },
    });
    if (terminal.state === "expired") return false;
    await this.settle(current.job, terminal);
    return true;
  }

  private async submit(job: JobRow, provider: GenerationProvider, signal: AbortSignal): Promise<JobRow> {
    if (job.attempts >= this.options.maxAttempts) {
      throw new ExhaustedAttempts(job.attempts);
    }
    const counted = await countAttempt(this.deps.db, job.id);
    if (!counted) throw new RunStopped("ended");
    const request = await this.requestFor(counted);
    const webhookUrl = await this.webhookUrlFor(counted);
    const { externalId } = await provider.submit(request, { signal, ...(webhookUrl ? { webhookUrl } : {}) });
    const recorded = await recordSubmission(this.deps.db, job.id, externalId);
    if (!recorded) {
      // Ended (canceled, timed out) while the provider was accepting it.
      await this.cancelAtProvider({ id: job.id, provider: job.provider, external_id: externalId });
      throw new RunStopped("ended");
    }
    return recorded;
  }

  private async requestFor(job: JobRow): Promise<GenerationRequest> {
    const inputs = await Promise.all(
      job.inputs.map(async (input) => ({
        creationId: input.id,
        kind: input.kind,
        mediaType: input.media_type,
        bytes: await this.deps.files.read(input.sha256),
      })),
    );
    const provider = job.agent_provider;
    return {
      jobId: job.id,
      kind: job.agent_kind,
      prompt: job.rendered_prompt,
      parameters: job.parameters,
      inputs,
      agent: {
        id: job.agent_id,
        name: job.agent_name,
        ...(provider.type === "runpod" ? { endpointId: provider.endpoint_id } : {}),
        ...(provider.type === "runpod" && provider.model ? { model: provider.model } : {}),
      },
    };
  }

  private async webhookUrlFor(job: JobRow): Promise<string | undefined> {
    if (job.provider !== "runpod") return undefined;
    const publicBaseUrl = this.deps.publicUrl();
    if (!publicBaseUrl) return undefined;
    return runpodWebhookUrl({ publicBaseUrl, jobId: job.id, serverSecret: await this.deps.webhookSecret() });
  }

  /** Settles an ended provider job. False when the job had already been settled by someone else. */
  private async settle(job: JobRow, status: FinalStatus): Promise<boolean> {
    switch (status.state) {
      case "succeeded":
        return this.succeed(job, status.outputs);
      case "failed":
        return this.fail(job, "provider_failed", status.error);
      case "canceled":
        return this.end(job, "canceled", { code: "canceled_by_provider", message: "The provider canceled the job; nothing was charged." });
      case "timed_out":
        return this.end(job, "timed_out", { code: "timed_out", message: "The provider timed the job out; nothing was charged." });
    }
  }

  private async succeed(job: JobRow, outputs: GeneratedFile[]): Promise<boolean> {
    const output = outputs[0];
    if (!output) return this.fail(job, "output_missing", "The provider finished without an output file.");
    if (outputs.length > 1) {
      this.deps.log.warn({ job_id: job.id, outputs: outputs.length }, "provider returned several files; the first one becomes the creation");
    }
    if (output.bytes.byteLength > this.deps.maxOutputBytes) {
      return this.fail(job, "output_too_large", `The output is ${output.bytes.byteLength} bytes, over this server's limit of ${this.deps.maxOutputBytes}.`);
    }
    let file;
    try {
      file = await this.deps.files.put(output.bytes, { filename: output.filename, mediaType: output.mediaType });
    } catch (error) {
      this.deps.log.warn({ err: error, job_id: job.id }, "the output could not be stored");
      return this.fail(job, "output_rejected", `The output could not be stored: ${error instanceof Error ? error.message : String(error)}`);
    }
    const fits = OUTPUT_KIND_TYPES[job.agent_kind]?.(file.mediaType) ?? false;
    if (!fits) {
      return this.fail(job, "output_rejected", `The provider returned ${file.mediaType}, which is not ${job.agent_kind} output.`);
    }
    const settled = await settleSucceeded(this.deps.db, job, {
      file,
      filename: output.filename,
      generatorNotice: output.metadata.notice ?? null,
    });
    if (settled) this.deps.hub.publish(toGeneration(settled));
    return settled !== undefined;
  }

  private fail(job: JobRow, code: string, message: string): Promise<boolean> {
    return this.end(job, "failed", { code, message });
  }

  private async end(
    job: JobRow,
    status: "failed" | "canceled" | "timed_out",
    error: { code: string; message: string },
  ): Promise<boolean> {
    const settled = await settleWithoutResult(this.deps.db, job, status, error);
    if (settled) this.deps.hub.publish(toGeneration(settled));
    return settled !== undefined;
  }

  private async afterStop(job: JobRow, reason: StopReason): Promise<void> {
    switch (reason) {
      case "deadline":
        await this.cancelAtProvider(job);
        await this.end(job, "timed_out", { code: "timed_out", message: "The job did not finish in time; nothing was charged." });
        return;
      case "shutdown":
        // The local generator's work dies with this process: stop it now, the next start runs it again.
        if (job.provider === "local") await this.cancelAtProvider(job);
        return;
      case "canceled":
      case "ended":
      case "lease_lost":
        return;
    }
  }
}

type FinalStatus = Exclude<ProviderStatus, { state: "queued" | "running" | "expired" }>;

function isFinal(status: ProviderStatus): status is FinalStatus {
  return status.state !== "queued" && status.state !== "running" && status.state !== "expired";
}

/** The job was handed to its provider maxAttempts times without a result. */
export class ExhaustedAttempts extends Error {
  constructor(attempts: number) {
    super(`The provider lost the job ${attempts} times; nothing was charged.`);
  }
}
