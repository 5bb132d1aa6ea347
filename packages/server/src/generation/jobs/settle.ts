// The transactions that end a job and move its money. Each one ends the job with a guarded UPDATE first
// (store.endJob) and touches the ledger only if that UPDATE won, all in ONE transaction: a job is
// charged at most once, refunded at most once, and never both.
import type { Db } from "../../db/types.js";
import { insertCreation } from "../../creations/store.js";
import { ensureRecord } from "../../lineage/records.js";
import type { StoredFile } from "../../storage/files.js";
import { captureHold, releaseHold } from "../../tokens/ledger.js";
import type { EndedStatus, JobRow } from "./rows.js";
import { endJob, setCreation } from "./store.js";

export interface SucceededOutput {
  file: StoredFile;
  filename: string;
  generatorNotice: string | null;
}

/** Makes the creation (and signs its lineage record), marks the job succeeded and captures its hold. Undefined if the job had already ended. */
export async function settleSucceeded(db: Db, job: JobRow, output: SucceededOutput): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    const ended = await endJob(tx, job.id, { status: "succeeded", charged: job.held });
    if (!ended) return undefined;
    const creationId = await insertCreation(tx, {
      accountId: job.account_id,
      jobId: job.id,
      kind: job.agent_kind,
      prompt: job.prompt,
      agentIds: [job.agent_id],
      sourceIds: job.inputs.map((input) => input.id),
      file: output.file,
      filename: output.filename,
      generatorNotice: output.generatorNotice,
    });
    // Signed with the creation, so no creation ever exists without its lineage record.
    await ensureRecord(tx, creationId);
    if (job.held > 0) await captureHold(tx, { accountId: job.account_id, jobId: job.id });
    return setCreation(tx, job.id, creationId);
  });
}

/** Ends the job without a result and gives its hold back in full. Undefined if the job had already ended. */
export async function settleWithoutResult(
  db: Db,
  job: Pick<JobRow, "id" | "account_id" | "held">,
  status: Exclude<EndedStatus, "succeeded">,
  error: { code: string; message: string } | undefined,
): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    const ended = await endJob(tx, job.id, { status, charged: 0, ...(error ? { error } : {}) });
    if (!ended) return undefined;
    if (job.held > 0) await releaseHold(tx, { accountId: job.account_id, jobId: job.id, reason: status });
    return ended;
  });
}
