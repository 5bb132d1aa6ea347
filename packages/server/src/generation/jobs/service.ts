// Generation jobs as the API sees them: price, create (hold + job in one transaction), read, list, cancel
// and follow. Running them is the runner's job.
import type { Generation } from "@oto/sdk/schema";
import type { RequestBody } from "../../handlers/types.js";
import { effectiveParameters, parameterErrors, type GenerationParameters } from "../../agents/parameters.js";
import type { AgentRow } from "../../agents/rows.js";
import { archived, invalid, notFound as agentNotFound } from "../../agents/service.js";
import { findAgent } from "../../agents/store.js";
import { renderTemplate } from "../../agents/template.js";
import { findInputCreation } from "../../creations/store.js";
import type { Db, Queryable } from "../../db/types.js";
import { ApiError, type FieldError } from "../../problems.js";
import { getBalance, holdTokens } from "../../tokens/ledger.js";
import type { JobEventHub } from "./hub.js";
import { type GenerationStatus, type JobInput, type JobRow, isEnded, toGeneration } from "./rows.js";
import type { JobRunner } from "./runner.js";
import { settleWithoutResult } from "./settle.js";
import { type JobCursor, findJob, insertJob, listJobs, newJobId } from "./store.js";

type GenerationRequestBody = RequestBody<"createGeneration">;

interface PreparedRun {
  agent: AgentRow;
  parameters: GenerationParameters;
  variables: Record<string, string>;
  renderedPrompt: string;
  inputs: JobInput[];
  price: number;
}

export interface GenerationServiceDeps {
  db: Db;
  runner: JobRunner;
  hub: JobEventHub;
  /** A job not ended after this long is timed out. */
  jobTimeoutS: number;
  /** How often a follower re-reads the job (changes made by another process reach it this way). */
  followPollMs?: number;
}

const RANK: Record<GenerationStatus, number> = { queued: 0, running: 1, succeeded: 2, failed: 2, canceled: 2, timed_out: 2 };

export class GenerationService {
  private readonly followPollMs: number;

  constructor(private readonly deps: GenerationServiceDeps) {
    this.followPollMs = deps.followPollMs ?? 1000;
  }

  /** What the run would cost now, and whether the balance covers it. Nothing is held. */
  async quote(accountId: string, body: GenerationRequestBody): Promise<{ tokens: number; available: number; sufficient: boolean }> {
    const run = await this.prepare(this.deps.db, accountId, body);
    const { available } = await getBalance(this.deps.db, accountId);
    return { tokens: run.price, available, sufficient: available >= run.price };
  }

  /** Checks the request, holds the price and queues the job, all in one transaction; then starts it. */
  async create(accountId: string, body: GenerationRequestBody): Promise<JobRow> {
    const job = await this.deps.db.transaction(async (tx) => {
      const run = await this.prepare(tx, accountId, body);
      const createdAt = new Date();
      const row = await insertJob(tx, {
        id: newJobId(),
        accountId,
        agent: {
          id: run.agent.id,
          name: run.agent.name,
          kind: run.agent.kind,
          color: run.agent.color,
          provider: run.agent.provider,
          promptTemplate: run.agent.prompt_template,
        },
        prompt: body.prompt,
        variables: run.variables,
        renderedPrompt: run.renderedPrompt,
        parameters: run.parameters,
        inputs: run.inputs,
        price: run.price,
        createdAt,
        deadlineAt: new Date(createdAt.getTime() + this.deps.jobTimeoutS * 1000),
      });
      // Throws 402 insufficient_tokens (and rolls the job back) when the balance does not cover it.
      if (run.price > 0) await holdTokens(tx, { accountId, jobId: row.id, amount: run.price });
      return row;
    });
    this.deps.runner.enqueue(job.id);
    return job;
  }

  /** The account's own job; 404 for anyone else's (its existence is not revealed). */
  async getOwn(accountId: string, jobId: string): Promise<JobRow> {
    const job = await findJob(this.deps.db, jobId);
    if (!job || job.account_id !== accountId) throw new ApiError(404, "not_found", `No generation ${jobId} on this account.`);
    return job;
  }

  list(accountId: string, status: GenerationStatus | undefined, limit: number, after: JobCursor | undefined): Promise<JobRow[]> {
    return listJobs(this.deps.db, accountId, status, limit, after);
  }

  /** Cancels a queued or running job and releases its hold; an ended job answers unchanged. */
  async cancel(accountId: string, jobId: string): Promise<JobRow> {
    const job = await this.getOwn(accountId, jobId);
    if (isEnded(job.status)) return job;
    const canceled = await settleWithoutResult(this.deps.db, job, "canceled", undefined);
    if (!canceled) return this.getOwn(accountId, jobId); // ended meanwhile: answer how
    this.deps.runner.stop(jobId, "canceled");
    this.deps.hub.publish(toGeneration(canceled));
    await this.deps.runner.cancelAtProvider(canceled);
    return canceled;
  }

  /**
   * Calls `onView` with the job now, then with each change until it ends, `signal` aborts or the server
   * shuts down. Changes come from this process's runner at once, and from the database every
   * followPollMs (a job run by another process).
   */
  follow(job: JobRow, onView: (view: Generation) => void, signal: AbortSignal): Promise<Generation> {
    let last = toGeneration(job);
    onView(last);
    if (isEnded(last.status) || signal.aborted || this.deps.hub.isClosed) return Promise.resolve(last);

    return new Promise<Generation>((resolve) => {
      let done = false;
      const consider = (view: Generation) => {
        if (done || JSON.stringify(view) === JSON.stringify(last)) return;
        // Progress only moves forward: a database read can trail a change this process already sent.
        const behind =
          RANK[view.status] < RANK[last.status] ||
          (RANK[view.status] === RANK[last.status] && (view.progress ?? 0) < (last.progress ?? 0));
        if (behind) return;
        last = view;
        onView(view);
        if (isEnded(view.status)) finish();
      };
      const reread = () => {
        findJob(this.deps.db, job.id).then(
          (row) => row && consider(toGeneration(row)),
          () => {},
        );
      };
      const unsubscribe = this.deps.hub.subscribe(job.id, consider);
      const timer = setInterval(reread, this.followPollMs);
      const unClose = this.deps.hub.onClose(() => finish());
      const onAbort = () => finish();
      signal.addEventListener("abort", onAbort, { once: true });
      function finish() {
        if (done) return;
        done = true;
        unsubscribe();
        clearInterval(timer);
        unClose();
        signal.removeEventListener("abort", onAbort);
        resolve(last);
      }
      // The job may have changed between the read that made `job` and the subscription.
      reread();
    });
  }

  /** The agent, parameters, prompt, inputs and price of a run; 400/404/409 when it cannot run. */
  private async prepare(q: Queryable, accountId: string, body: GenerationRequestBody): Promise<PreparedRun> {
    const agent = await findAgent(q, body.agent_id);
    if (!agent) throw agentNotFound(body.agent_id);
    if (agent.archived_at !== null) throw archived(body.agent_id);

    const variables = body.variables ?? {};
    const errors: FieldError[] = parameterErrors(agent.kind, body.parameters, "body/parameters");
    const rendered = renderTemplate(agent.prompt_template, body.prompt, variables);
    if (!rendered.ok) errors.push(...rendered.errors);
    if (errors.length > 0 || !rendered.ok) throw invalid(errors);

    const inputs: JobInput[] = [];
    for (const creationId of body.inputs ?? []) {
      const found = await findInputCreation(q, creationId, accountId);
      if (!found) {
        throw new ApiError(404, "not_found", `No creation ${creationId} you can start from (your own, or a published one).`);
      }
      inputs.push({ id: found.id, kind: found.kind, sha256: found.sha256, media_type: found.mediaType });
    }
    return {
      agent,
      parameters: effectiveParameters(agent.default_parameters, body.parameters),
      variables,
      renderedPrompt: rendered.text,
      inputs,
      price: agent.cost_tokens,
    };
  }
}
