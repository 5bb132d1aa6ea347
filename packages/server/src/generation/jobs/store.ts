// SQL over generation_jobs. Every change of an unfinished job is guarded by its status
// (… WHERE status IN ('queued','running')), so a webhook, a poller, a sweeper and a cancel racing
// each other end a job exactly once: the first UPDATE wins, the others change nothing.
import type { Queryable } from "../../db/types.js";
import { sortableId } from "../../ids.js";
import type { GenerationParameters } from "../../agents/parameters.js";
import type { AgentProviderConfig } from "../../agents/rows.js";
import type { OutputKind } from "../provider.js";
import { type EndedStatus, JOB_COLUMNS, type GenerationStatus, type JobInput, type JobRow } from "./rows.js";

export const newJobId = () => `job_${sortableId()}`;

const OPEN = "status IN ('queued', 'running')";

export interface NewJob {
  id: string;
  accountId: string;
  agent: {
    id: string;
    name: string;
    kind: OutputKind;
    color: string;
    provider: AgentProviderConfig;
    promptTemplate: string;
  };
  prompt: string;
  variables: Record<string, string>;
  renderedPrompt: string;
  parameters: GenerationParameters;
  inputs: JobInput[];
  price: number;
  createdAt: Date;
  deadlineAt: Date;
}

export async function insertJob(tx: Queryable, job: NewJob): Promise<JobRow> {
  const rows = await tx.query<JobRow>(
    `INSERT INTO generation_jobs (id, account_id, agent_id, agent_name, agent_kind, agent_color, agent_provider,
        prompt_template, prompt, variables, rendered_prompt, parameters, inputs, provider, status, quoted, held,
        created_at, deadline_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11, $12::jsonb, $13::jsonb, $14, 'queued',
             $15, $15, $16, $17, $16)
     RETURNING ${JOB_COLUMNS}`,
    [
      job.id,
      job.accountId,
      job.agent.id,
      job.agent.name,
      job.agent.kind,
      job.agent.color,
      JSON.stringify(job.agent.provider),
      job.agent.promptTemplate,
      job.prompt,
      JSON.stringify(job.variables),
      job.renderedPrompt,
      JSON.stringify(job.parameters),
      JSON.stringify(job.inputs),
      job.agent.provider.type,
      job.price,
      job.createdAt,
      job.deadlineAt,
    ],
  );
  return rows[0]!;
}

export async function findJob(q: Queryable, id: string): Promise<JobRow | undefined> {
  const rows = await q.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM generation_jobs WHERE id = $1`, [id]);
  return rows[0];
}

export interface JobCursor {
  createdAt: Date;
  id: string;
}

/** The account's jobs, newest first, after the cursor; limit + 1 rows to know whether more follow. */
export async function listJobs(
  q: Queryable,
  accountId: string,
  status: GenerationStatus | undefined,
  limit: number,
  after: JobCursor | undefined,
): Promise<JobRow[]> {
  const params: unknown[] = [accountId];
  const where = ["account_id = $1"];
  if (status !== undefined) {
    params.push(status);
    where.push(`status = $${params.length}`);
  }
  if (after) {
    params.push(after.createdAt, after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  params.push(limit + 1);
  return q.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM generation_jobs WHERE ${where.join(" AND ")}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
}

/**
 * Takes the job for this process until `leaseMs` from now, if it is unfinished and nobody else holds a
 * live lease on it. Answers the row, or undefined when another process runs it or it has ended.
 */
export async function claimJob(q: Queryable, id: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
  const rows = await q.query<JobRow>(
    `UPDATE generation_jobs SET lease_owner = $2, lease_until = now() + ($3::int * interval '1 millisecond')
      WHERE id = $1 AND ${OPEN} AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
      RETURNING ${JOB_COLUMNS}`,
    [id, owner, leaseMs],
  );
  return rows[0];
}

/** Extends this process's lease; false when the job ended or the lease was lost. */
export async function renewLease(q: Queryable, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await q.query(
    `UPDATE generation_jobs SET lease_until = now() + ($3::int * interval '1 millisecond')
      WHERE id = $1 AND lease_owner = $2 AND ${OPEN}
      RETURNING id`,
    [id, owner, leaseMs],
  );
  return rows.length === 1;
}

export async function releaseLease(q: Queryable, id: string, owner: string): Promise<void> {
  await q.query(
    "UPDATE generation_jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
    [id, owner],
  );
}

/** Forgets every lease (PGlite: one process owns the data folder, so leases left by a killed process are void). */
export async function clearLeases(q: Queryable): Promise<void> {
  await q.query(`UPDATE generation_jobs SET lease_owner = NULL, lease_until = NULL WHERE ${OPEN} AND lease_owner IS NOT NULL`);
}

/** Counts an attempt before the job is handed to its provider. */
export async function countAttempt(q: Queryable, id: string): Promise<JobRow | undefined> {
  const rows = await q.query<JobRow>(
    `UPDATE generation_jobs SET attempts = attempts + 1, external_id = NULL, updated_at = now()
      WHERE id = $1 AND ${OPEN} RETURNING ${JOB_COLUMNS}`,
    [id],
  );
  return rows[0];
}

/** The provider accepted the job; undefined when it ended meanwhile (the caller cancels at the provider). */
export async function recordSubmission(q: Queryable, id: string, externalId: string): Promise<JobRow | undefined> {
  const rows = await q.query<JobRow>(
    `UPDATE generation_jobs SET external_id = $2, updated_at = now()
      WHERE id = $1 AND ${OPEN} RETURNING ${JOB_COLUMNS}`,
    [id, externalId],
  );
  return rows[0];
}

/** State and progress reported by the provider while the job is unfinished. */
export async function recordProgress(
  q: Queryable,
  id: string,
  state: "queued" | "running",
  progress: number | null,
): Promise<JobRow | undefined> {
  const rows = await q.query<JobRow>(
    `UPDATE generation_jobs
        SET status = $2, progress = $3, updated_at = now(),
            started_at = CASE WHEN $2 = 'running' THEN COALESCE(started_at, now()) ELSE started_at END
      WHERE id = $1 AND ${OPEN} RETURNING ${JOB_COLUMNS}`,
    [id, state, progress],
  );
  return rows[0];
}

export interface JobEnd {
  status: EndedStatus;
  error?: { code: string; message: string };
  /** Tokens taken (succeeded: the hold). */
  charged: number;
}

/**
 * Ends an unfinished job: the one place a job's status becomes final. Undefined when it had already ended,
 * in which case the caller must not touch the ledger either (it runs in the same transaction).
 */
export async function endJob(tx: Queryable, id: string, end: JobEnd): Promise<JobRow | undefined> {
  const rows = await tx.query<JobRow>(
    `UPDATE generation_jobs
        SET status = $2, error_code = $3, error_message = $4, charged = $5, held = 0,
            progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
            started_at = CASE WHEN $2 = 'succeeded' THEN COALESCE(started_at, now()) ELSE started_at END,
            finished_at = now(), updated_at = now(), lease_owner = NULL, lease_until = NULL
      WHERE id = $1 AND ${OPEN} RETURNING ${JOB_COLUMNS}`,
    [id, end.status, end.error?.code ?? null, end.error?.message ?? null, end.charged],
  );
  return rows[0];
}

export async function setCreation(tx: Queryable, id: string, creationId: string): Promise<JobRow> {
  const rows = await tx.query<JobRow>(
    `UPDATE generation_jobs SET creation_id = $2 WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    [id, creationId],
  );
  return rows[0]!;
}

/** Unfinished jobs no live lease covers (left by a stopped process, or never picked up), oldest first. */
export async function orphanedJobs(q: Queryable, limit: number): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT id FROM generation_jobs WHERE ${OPEN} AND (lease_until IS NULL OR lease_until < now())
      ORDER BY created_at, id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** Unfinished jobs past their deadline. */
export async function overdueJobs(q: Queryable, limit: number): Promise<JobRow[]> {
  return q.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM generation_jobs WHERE ${OPEN} AND deadline_at < now()
      ORDER BY deadline_at LIMIT $1`,
    [limit],
  );
}
