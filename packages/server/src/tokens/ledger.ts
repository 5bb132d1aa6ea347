import type { LedgerEntry } from "@oto/sdk/schema";
import type { Queryable } from "../db/types.js";
import { sortableId } from "../ids.js";
import { ApiError } from "../problems.js";
import type { PageCursor } from "../store/pagination.js";

/**
 * The token ledger: one balance row per account (available, held) and an append-only list of
 * entries, each explaining one change to it. Every function takes the caller's transaction, so a
 * balance change commits or rolls back together with the job, purchase or grant that caused it.
 *
 * Concurrency: each change starts with a statement that locks the account's balance row (a
 * conditional UPDATE for holds, SELECT … FOR UPDATE otherwise). On PostgreSQL a second transaction
 * touching the same balance waits there and then re-reads the row (READ COMMITTED re-checks the
 * WHERE of an UPDATE against the newest version), so two holds can never both spend the same tokens,
 * and a reference checked after the lock cannot be posted twice. PGlite runs one transaction at a time.
 */

export interface Balance {
  available: number;
  held: number;
}

export type LedgerKind = LedgerEntry["kind"];
export type PostableKind = "starter_grant" | "purchase" | "refund" | "clawback" | "adjustment";

export interface LedgerEntryRow {
  id: string;
  account_id: string;
  kind: LedgerKind;
  amount: number;
  held_change: number;
  available_after: number;
  held_after: number;
  reference: string;
  job_id: string | null;
  description: string;
  created_at: Date;
}

const ENTRY_COLUMNS =
  "id, account_id, kind, amount, held_change, available_after, held_after, reference, job_id, description, created_at";

/** Kinds whose debit may take `available` below zero (money that went back to the payer). */
const MAY_GO_NEGATIVE = new Set<PostableKind>(["refund", "clawback"]);

export const newLedgerEntryId = () => `le_${sortableId()}`;

export const holdReference = (jobId: string) => `job:${jobId}:hold`;
export const settleReference = (jobId: string) => `job:${jobId}:settle`;

export function toLedgerEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    id: row.id,
    kind: row.kind,
    amount: row.amount,
    held_change: row.held_change,
    available_after: row.available_after,
    reference: row.reference,
    job_id: row.job_id,
    description: row.description,
    created_at: row.created_at.toISOString(),
  };
}

const tokens = (n: number) => `${n} ${n === 1 ? "token" : "tokens"}`;

/** 402 insufficient_tokens with the price and what is available (the detail defaults to a run's). */
export function insufficientTokens(price: number, available: number, detail?: string): ApiError {
  const left = Math.max(available, 0);
  return new ApiError(
    402,
    "insufficient_tokens",
    detail ?? `This run costs ${tokens(price)} and ${left} ${left === 1 ? "is" : "are"} available.`,
    { price, available },
  );
}

/** Creates the account's balance row (0/0) if it has none; registration calls it. */
export async function openBalance(tx: Queryable, accountId: string): Promise<void> {
  await tx.query(
    `INSERT INTO token_balances (account_id, available, held) VALUES ($1, 0, 0)
     ON CONFLICT (account_id) DO NOTHING`,
    [accountId],
  );
}

export async function getBalance(q: Queryable, accountId: string): Promise<Balance> {
  const rows = await q.query<Balance>("SELECT available, held FROM token_balances WHERE account_id = $1", [accountId]);
  return rows[0] ?? { available: 0, held: 0 };
}

/** Locks the balance row for the rest of the transaction (creating it if missing) and reads it. */
async function lockBalance(tx: Queryable, accountId: string): Promise<Balance> {
  await openBalance(tx, accountId);
  const rows = await tx.query<Balance>(
    "SELECT available, held FROM token_balances WHERE account_id = $1 FOR UPDATE",
    [accountId],
  );
  return rows[0]!;
}

async function referenceExists(tx: Queryable, reference: string): Promise<boolean> {
  const rows = await tx.query("SELECT 1 FROM ledger_entries WHERE reference = $1", [reference]);
  return rows.length > 0;
}

async function insertEntry(
  tx: Queryable,
  e: {
    accountId: string;
    kind: LedgerKind;
    amount: number;
    heldChange: number;
    after: Balance;
    reference: string;
    jobId: string | null;
    description: string;
  },
): Promise<LedgerEntryRow> {
  const rows = await tx.query<LedgerEntryRow>(
    `INSERT INTO ledger_entries (${ENTRY_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     RETURNING ${ENTRY_COLUMNS}`,
    [
      newLedgerEntryId(),
      e.accountId,
      e.kind,
      e.amount,
      e.heldChange,
      e.after.available,
      e.after.held,
      e.reference,
      e.jobId,
      e.description,
      new Date(),
    ],
  );
  return rows[0]!;
}

/**
 * Holds `amount` for a job: available -= amount, held += amount, entry "hold" with reference
 * job:<jobId>:hold. The UPDATE only matches while available >= amount, so the balance is never
 * spent below zero whatever runs at the same time. Throws 402 insufficient_tokens otherwise.
 */
export async function holdTokens(tx: Queryable, a: { accountId: string; jobId: string; amount: number }): Promise<void> {
  if (!Number.isInteger(a.amount) || a.amount < 0) throw new Error(`hold amount must be a non-negative integer (got ${a.amount})`);
  const hold = () =>
    tx.query<Balance>(
      `UPDATE token_balances SET available = available - $2, held = held + $2, updated_at = now()
        WHERE account_id = $1 AND available >= $2
        RETURNING available, held`,
      [a.accountId, a.amount],
    );
  let after = (await hold())[0];
  if (!after && a.amount === 0) {
    // A free run on an account without a balance row yet.
    await openBalance(tx, a.accountId);
    after = (await hold())[0];
  }
  if (!after) {
    const balance = await getBalance(tx, a.accountId);
    throw insufficientTokens(a.amount, balance.available);
  }
  await insertEntry(tx, {
    accountId: a.accountId,
    kind: "hold",
    amount: -a.amount,
    heldChange: a.amount,
    after,
    reference: holdReference(a.jobId),
    jobId: a.jobId,
    description: `Held ${tokens(a.amount)} for job ${a.jobId}`,
  });
}

/** The job's hold entry and whether the job is already settled; null when it never had a hold. */
async function heldForJob(tx: Queryable, accountId: string, jobId: string): Promise<number | null> {
  const rows = await tx.query<{ held_change: number; account_id: string }>(
    "SELECT held_change, account_id FROM ledger_entries WHERE reference = $1",
    [holdReference(jobId)],
  );
  const hold = rows[0];
  if (!hold) return null;
  if (hold.account_id !== accountId) throw new Error(`job ${jobId}'s hold belongs to another account`);
  return hold.held_change;
}

async function settle(
  tx: Queryable,
  a: { accountId: string; jobId: string },
  kind: "capture" | "release",
  description: (amount: number) => string,
): Promise<boolean> {
  // Lock first: a concurrent capture and release of the same job are serialized here, and the
  // second one then sees the first one's settle entry.
  await lockBalance(tx, a.accountId);
  if (await referenceExists(tx, settleReference(a.jobId))) return false;
  const amount = await heldForJob(tx, a.accountId, a.jobId);
  if (amount === null) return false;
  const rows = await tx.query<Balance>(
    `UPDATE token_balances SET held = held - $2, available = available + $3, updated_at = now()
      WHERE account_id = $1
      RETURNING available, held`,
    [a.accountId, amount, kind === "release" ? amount : 0],
  );
  await insertEntry(tx, {
    accountId: a.accountId,
    kind,
    amount: kind === "release" ? amount : 0,
    heldChange: -amount,
    after: rows[0]!,
    reference: settleReference(a.jobId),
    jobId: a.jobId,
    description: description(amount),
  });
  return true;
}

/**
 * The job succeeded: its held tokens are spent (held -= amount), entry "capture" with reference
 * job:<jobId>:settle. Answers false, changing nothing, when the job is already settled or never held.
 */
export function captureHold(tx: Queryable, a: { accountId: string; jobId: string }): Promise<boolean> {
  return settle(tx, a, "capture", (n) => `Spent ${tokens(n)} on job ${a.jobId}`);
}

/**
 * The job failed, was canceled or timed out: its held tokens go back (held -= amount,
 * available += amount), entry "release" with the same reference as a capture, so a job is settled
 * once. Answers false, changing nothing, when the job is already settled or never held.
 */
export function releaseHold(tx: Queryable, a: { accountId: string; jobId: string; reason: string }): Promise<boolean> {
  return settle(tx, a, "release", (n) => `Returned ${tokens(n)} from job ${a.jobId}: ${a.reason}`);
}

/**
 * A credit (amount > 0) or debit (amount < 0) outside jobs. A reference already in the ledger
 * changes nothing and answers null, so no event counts twice. Refunds and clawbacks may take
 * `available` below zero (the money went back to the payer; spending stops until a top-up); any
 * other debit must be covered, else 402 insufficient_tokens.
 */
export async function postEntry(
  tx: Queryable,
  e: { accountId: string; kind: PostableKind; amount: number; reference: string; description: string },
): Promise<LedgerEntryRow | null> {
  if (!Number.isInteger(e.amount)) throw new Error(`ledger amount must be an integer (got ${e.amount})`);
  const balance = await lockBalance(tx, e.accountId);
  if (await referenceExists(tx, e.reference)) return null;
  if (e.amount < 0 && !MAY_GO_NEGATIVE.has(e.kind) && balance.available + e.amount < 0) {
    throw insufficientTokens(
      -e.amount,
      balance.available,
      `Removing ${tokens(-e.amount)} would take the balance below zero: ${Math.max(balance.available, 0)} available.`,
    );
  }
  const rows = await tx.query<Balance>(
    `UPDATE token_balances SET available = available + $2, updated_at = now()
      WHERE account_id = $1
      RETURNING available, held`,
    [e.accountId, e.amount],
  );
  return insertEntry(tx, {
    accountId: e.accountId,
    kind: e.kind,
    amount: e.amount,
    heldChange: 0,
    after: rows[0]!,
    reference: e.reference,
    jobId: null,
    description: e.description,
  });
}


/** The account's entries, newest first, after the cursor; fetches limit + 1 to know if more follow. */
export async function listEntries(
  q: Queryable,
  accountId: string,
  limit: number,
  after: PageCursor | undefined,
): Promise<LedgerEntryRow[]> {
  if (after) {
    return q.query<LedgerEntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ledger_entries
        WHERE account_id = $1 AND (created_at, id) < ($2::timestamptz, $3::text)
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [accountId, after.createdAt, after.id, limit + 1],
    );
  }
  return q.query<LedgerEntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = $1
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    [accountId, limit + 1],
  );
}
