// Every interval: times out unfinished jobs past their deadline (cancel at the provider, release the hold),
// and hands jobs nobody runs (left by a stopped process, or waiting for a free slot elsewhere) to this
// process's runner. The first pass at start is the resume of jobs a previous process left unfinished.
import type { FastifyBaseLogger } from "fastify";
import type { Db } from "../../db/types.js";
import type { JobEventHub } from "./hub.js";
import { toGeneration } from "./rows.js";
import type { JobRunner } from "./runner.js";
import { settleWithoutResult } from "./settle.js";
import { orphanedJobs, overdueJobs } from "./store.js";

const BATCH = 200;

export class JobSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: { db: Db; runner: JobRunner; hub: JobEventHub; log: FastifyBaseLogger },
    private readonly intervalMs: number,
  ) {}

  /** Runs a first pass now, then one every interval. */
  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass (never two at once); errors are logged, the next pass tries again. */
  sweep(): Promise<void> {
    this.running = this.running.then(async () => {
      if (this.closed) return;
      try {
        await this.timeOutOverdue();
        if (this.closed) return;
        for (const id of await orphanedJobs(this.deps.db, BATCH)) this.deps.runner.enqueue(id);
      } catch (error) {
        this.deps.log.error({ err: error }, "generation job sweep failed");
      }
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async timeOutOverdue(): Promise<void> {
    const { db, runner, hub } = this.deps;
    for (const job of await overdueJobs(db, BATCH)) {
      if (this.closed) return;
      // A run in this process has its own deadline timer and settles the job itself.
      if (runner.isRunning(job.id)) continue;
      await runner.cancelAtProvider(job);
      const settled = await settleWithoutResult(db, job, "timed_out", {
        code: "timed_out",
        message: "The job did not finish in time; nothing was charged.",
      });
      if (settled) {
        runner.stop(job.id, "ended");
        hub.publish(toGeneration(settled));
      }
    }
  }
}
