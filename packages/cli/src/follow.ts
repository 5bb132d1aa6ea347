import type { Generation, WaitOptions } from "@oto/sdk";
import { CliError, ExitCode } from "./errors.js";
import { jobState, tokens } from "./format.js";
import type { Session } from "./session.js";

// Waiting for a generation job with a live spinner ("job_… running 45%") on a terminal, a line
// per state change otherwise, and a clean one-line error when the job does not succeed.

export interface FollowOptions {
  /** Runs the wait; gets the progress callback and the signal Ctrl-C aborts. */
  wait: (options: WaitOptions) => Promise<Generation>;
  /** e.g. "Ink sketcher" */
  label: string;
  /** Also called with each state (jobs watch --json prints them). */
  onEvent?: (generation: Generation) => void;
  timeoutMs?: number;
}

/** Resolves to the succeeded job; throws a CliError (exit 1) for any other end. */
export async function followJob(s: Session, options: FollowOptions): Promise<Generation> {
  const spinner = await s.out.spinner(`${options.label}: starting`);
  let current: Generation | undefined;
  let lastStatus: string | undefined;
  const previousInterrupt = s.ctx.signals.interrupt;
  s.ctx.signals.interrupt = () => {
    spinner.stop();
    if (current) {
      s.ctx.io.stderr.write(
        `\nStopped waiting; ${current.id} goes on. Follow it with "oto jobs watch ${current.id}", or stop it with "oto jobs cancel ${current.id}".\n`,
      );
    }
    process.exit(ExitCode.interrupted);
  };

  try {
    return await options.wait({
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      onProgress: (generation) => {
        current = generation;
        options.onEvent?.(generation);
        const state = jobState(generation);
        if (spinner.active) spinner.update(`${options.label}: ${generation.id} ${state}`);
        else if (generation.status !== lastStatus && !s.globals.json) s.out.info(`${generation.id} ${state}`);
        lastStatus = generation.status;
      },
    });
  } catch (err) {
    throw describeJobFailure(s, err, !options.onEvent);
  } finally {
    spinner.stop();
    s.ctx.signals.interrupt = previousInterrupt;
  }
}

/** OtoGenerationFailedError → one line naming the job, why it ended and what it cost. */
function describeJobFailure(s: Session, err: unknown, printJson: boolean): unknown {
  if (!(err instanceof Error) || err.name !== "OtoGenerationFailedError") return err;
  const { generation, code } = err as Error & { generation: Generation; code: string };
  if (s.globals.json && printJson) s.out.json(generation);
  if (code === "wait_timeout") {
    return new CliError(
      `${generation.id} has not ended yet (it is ${jobState(generation)}).`,
      ExitCode.failure,
      `Follow it with "oto jobs watch ${generation.id}", or stop it with "oto jobs cancel ${generation.id}".`,
    );
  }
  const why = generation.error ? `: ${generation.error.message.replace(/\.$/, "")} (${generation.error.code})` : "";
  const verb =
    generation.status === "canceled" ? "was canceled" : generation.status === "timed_out" ? "timed out" : "failed";
  const cost =
    generation.cost.charged === 0
      ? generation.cost.quoted > 0
        ? ` No tokens were charged (${tokens(generation.cost.quoted)} released).`
        : ""
      : ` ${tokens(generation.cost.charged)} charged.`;
  return new CliError(`${generation.id} ${verb}${why}.${cost}`);
}

/** A job started without waiting: `--json` prints it; otherwise a summary, its id alone, and how to follow it. */
export function reportStarted(s: Session, job: Generation, summary: string): void {
  if (s.globals.json) return s.out.json(job);
  s.out.success(`${summary} (${jobState(job)}; ${tokens(job.cost.held)} held).`);
  s.out.line(job.id);
  s.out.info(`  Follow it: oto jobs watch ${job.id}`);
}
