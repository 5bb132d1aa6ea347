// Everything that runs generation jobs in one server process, started with the app and stopped on close.
import type { FastifyBaseLogger } from "fastify";
import type { ServerConfig } from "../../config.js";
import type { Db } from "../../db/types.js";
import { ApiError } from "../../problems.js";
import type { FileStore } from "../../storage/files.js";
import { verifyRunpodWebhook } from "../runpod/index.js";
import { JobEventHub } from "./hub.js";
import { ProviderNotConfigured, ProviderRegistry } from "./providers.js";
import { isEnded } from "./rows.js";
import { JobRunner, type RunnerOptions } from "./runner.js";
import { serverSecret } from "./secret.js";
import { GenerationService } from "./service.js";
import { findJob, clearLeases } from "./store.js";
import { JobSweeper } from "./sweeper.js";

export { GenerationService } from "./service.js";
export { toGeneration } from "./rows.js";

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface GenerationOptions {
  runner?: Partial<RunnerOptions>;
  /** Default 30 s. */
  sweepIntervalMs?: number;
  /** Simulated extra time per local job. Default 0. */
  localDelayMs?: number;
  /** Local jobs rendering at once. Default 2. */
  localConcurrency?: number;
  /** How often SSE streams and `Prefer: wait` re-read a job. Default 1 s. */
  followPollMs?: number;
  /** A comment line on idle event streams this often. Default 15 s. */
  sseKeepAliveMs?: number;
}

export interface GenerationSystemDeps {
  db: Db;
  files: FileStore;
  config: ServerConfig;
  log: FastifyBaseLogger;
  /** The server's listening address, once it listens (used when OTO_PUBLIC_URL is not set). */
  listeningUrl(): string | undefined;
}

const WEBHOOK_SECRET = "runpod_webhook";

export class GenerationSystem {
  readonly hub = new JobEventHub();
  readonly providers: ProviderRegistry;
  readonly runner: JobRunner;
  readonly sweeper: JobSweeper;
  readonly service: GenerationService;
  /** Event streams send a `: keep-alive` comment this often. */
  readonly keepAliveMs: number;
  private secret: Promise<string> | undefined;

  constructor(
    private readonly deps: GenerationSystemDeps,
    options: GenerationOptions = {},
  ) {
    const { db, config, log } = deps;
    this.keepAliveMs = options.sseKeepAliveMs ?? 15_000;
    this.providers = new ProviderRegistry(config, {
      ...(options.localDelayMs !== undefined ? { localDelayMs: options.localDelayMs } : {}),
      ...(options.localConcurrency !== undefined ? { localConcurrency: options.localConcurrency } : {}),
    });
    this.runner = new JobRunner(
      {
        db,
        files: deps.files,
        providers: this.providers,
        hub: this.hub,
        log,
        maxOutputBytes: config.maxOutputBytes,
        publicUrl: () => config.publicUrl ?? deps.listeningUrl(),
        webhookSecret: () => this.webhookSecret(),
      },
      options.runner,
    );
    this.sweeper = new JobSweeper({ db, runner: this.runner, hub: this.hub, log }, options.sweepIntervalMs ?? 30_000);
    this.service = new GenerationService({
      db,
      runner: this.runner,
      hub: this.hub,
      jobTimeoutS: config.jobTimeoutS,
      ...(options.followPollMs !== undefined ? { followPollMs: options.followPollMs } : {}),
    });
  }

  /** Resumes the jobs a previous process left unfinished, then sweeps every interval. */
  async start(): Promise<void> {
    // A PGlite data folder belongs to one process at a time: leases left in it are from a process that died.
    if (this.deps.db.kind === "pglite") await clearLeases(this.deps.db);
    await this.webhookSecret();
    this.sweeper.start();
  }

  /** Stops sweeping and running; unfinished jobs stay in the database for the next start. */
  async close(): Promise<void> {
    await this.sweeper.close();
    this.hub.close();
    await this.runner.close();
    await this.providers.close();
  }

  webhookSecret(): Promise<string> {
    if (!this.secret) {
      this.secret = serverSecret(this.deps.db, WEBHOOK_SECRET);
      this.secret.catch(() => {
        this.secret = undefined;
      });
    }
    return this.secret;
  }

  /**
   * RunPod says a job changed. The token must be the job's (404 otherwise, as for an unknown job); the body
   * is ignored: the job's status is re-read from RunPod before anything is settled.
   */
  async runpodWebhook(jobId: string, token: string): Promise<string> {
    const serverSecretValue = await this.webhookSecret();
    if (!verifyRunpodWebhook({ serverSecret: serverSecretValue, jobId, token })) throw webhookNotFound(jobId);
    const job = await findJob(this.deps.db, jobId);
    if (!job) throw webhookNotFound(jobId);
    if (job.provider !== "runpod") return "ignored";
    if (isEnded(job.status)) return "already_ended";
    // Running here: its poll loop re-reads the status now.
    if (this.runner.wake(jobId)) return "checking";
    try {
      return await this.runner.checkNow(job);
    } catch (error) {
      if (!(error instanceof ProviderNotConfigured)) {
        this.deps.log.warn({ err: error, job_id: jobId }, "could not re-read a RunPod job after its webhook");
      }
      return "pending";
    }
  }
}

function webhookNotFound(jobId: string): ApiError {
  return new ApiError(404, "not_found", `No RunPod job is waiting at this URL for ${jobId}.`);
}
