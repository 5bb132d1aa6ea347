import type { Purchase } from "@oto/sdk/schema";
import type { Queryable } from "../db/types.js";

/** One Stripe Checkout Session for a token pack (table purchases). */
export interface PurchaseRow {
  session_id: string;
  account_id: string;
  pack_id: string;
  tokens: number;
  amount: number;
  currency: string;
  status: Purchase["status"];
  payment_intent: string | null;
  tokens_refunded: number;
  tokens_disputed: number;
  credited_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  "session_id, account_id, pack_id, tokens, amount, currency, status, payment_intent, tokens_refunded, tokens_disputed, credited_at, expires_at, created_at, updated_at";

export function toPurchase(row: PurchaseRow): Purchase {
  return {
    session_id: row.session_id,
    pack_id: row.pack_id,
    tokens: row.tokens,
    status: row.status,
    credited_at: row.credited_at === null ? null : row.credited_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

export interface NewPurchase {
  sessionId: string;
  accountId: string;
  packId: string;
  tokens: number;
  amount: number;
  currency: string;
  paymentIntent: string | null;
  expiresAt: Date | null;
}

/** Records an open purchase; a session already recorded (a retried checkout) is left as it is. */
export async function insertPurchase(q: Queryable, p: NewPurchase): Promise<void> {
  const now = new Date();
  await q.query(
    `INSERT INTO purchases (session_id, account_id, pack_id, tokens, amount, currency, status, payment_intent,
                            expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $9)
     ON CONFLICT (session_id) DO NOTHING`,
    [p.sessionId, p.accountId, p.packId, p.tokens, p.amount, p.currency, p.paymentIntent, p.expiresAt, now],
  );
}

/** The account's purchase for this session (undefined when it is not theirs or unknown). */
export async function findPurchase(q: Queryable, accountId: string, sessionId: string): Promise<PurchaseRow | undefined> {
  const rows = await q.query<PurchaseRow>(
    `SELECT ${COLUMNS} FROM purchases WHERE session_id = $1 AND account_id = $2`,
    [sessionId, accountId],
  );
  return rows[0];
}

export async function lockPurchaseBySession(tx: Queryable, sessionId: string): Promise<PurchaseRow | undefined> {
  const rows = await tx.query<PurchaseRow>(`SELECT ${COLUMNS} FROM purchases WHERE session_id = $1 FOR UPDATE`, [sessionId]);
  return rows[0];
}

export async function lockPurchaseByPaymentIntent(tx: Queryable, paymentIntent: string): Promise<PurchaseRow | undefined> {
  const rows = await tx.query<PurchaseRow>(`SELECT ${COLUMNS} FROM purchases WHERE payment_intent = $1 FOR UPDATE`, [
    paymentIntent,
  ]);
  return rows[0];
}

export type PurchaseChanges = Partial<
  Pick<PurchaseRow, "status" | "payment_intent" | "tokens_refunded" | "tokens_disputed" | "credited_at">
>;

export async function updatePurchase(tx: Queryable, sessionId: string, changes: PurchaseChanges): Promise<PurchaseRow> {
  const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
  const sets = entries.map(([column], i) => `${column} = $${i + 2}`);
  const rows = await tx.query<PurchaseRow>(
    `UPDATE purchases SET ${[...sets, `updated_at = $${entries.length + 2}`].join(", ")}
      WHERE session_id = $1 RETURNING ${COLUMNS}`,
    [sessionId, ...entries.map(([, v]) => v), new Date()],
  );
  return rows[0]!;
}

/** What Stripe said about a payment's charge (table stripe_payments). */
export interface PaymentFacts {
  payment_intent: string;
  charge_id: string | null;
  amount: number | null;
  amount_refunded: number;
  dispute_id: string | null;
  dispute_state: "withdrawn" | "reinstated" | "lost" | null;
  dispute_amount: number;
}

const FACT_COLUMNS = "payment_intent, charge_id, amount, amount_refunded, dispute_id, dispute_state, dispute_amount";

export async function findPaymentFacts(q: Queryable, paymentIntent: string): Promise<PaymentFacts | undefined> {
  const rows = await q.query<PaymentFacts>(`SELECT ${FACT_COLUMNS} FROM stripe_payments WHERE payment_intent = $1`, [
    paymentIntent,
  ]);
  return rows[0];
}

export async function findPaymentIntentOfCharge(q: Queryable, chargeId: string): Promise<string | undefined> {
  const rows = await q.query<{ payment_intent: string }>("SELECT payment_intent FROM stripe_payments WHERE charge_id = $1", [
    chargeId,
  ]);
  return rows[0]?.payment_intent;
}

/** Records a charge's refunds; amount_refunded is cumulative, so the largest value seen wins (events may arrive in any order). */
export async function recordRefundFacts(
  tx: Queryable,
  f: { paymentIntent: string; chargeId: string; amount: number; amountRefunded: number },
): Promise<PaymentFacts> {
  const rows = await tx.query<PaymentFacts>(
    `INSERT INTO stripe_payments (payment_intent, charge_id, amount, amount_refunded, updated_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (payment_intent) DO UPDATE
       SET charge_id = COALESCE(stripe_payments.charge_id, EXCLUDED.charge_id),
           amount = COALESCE(stripe_payments.amount, EXCLUDED.amount),
           amount_refunded = GREATEST(stripe_payments.amount_refunded, EXCLUDED.amount_refunded),
           updated_at = EXCLUDED.updated_at
     RETURNING ${FACT_COLUMNS}`,
    [f.paymentIntent, f.chargeId, f.amount, f.amountRefunded, new Date()],
  );
  return rows[0]!;
}

/**
 * Records a dispute's state. Funds that came back (reinstated) or were finally lost stay so:
 * a late "created" or "funds_withdrawn" event for the same dispute changes nothing.
 */
export async function recordDisputeFacts(
  tx: Queryable,
  f: { paymentIntent: string; chargeId: string; disputeId: string; amount: number; state: "withdrawn" | "reinstated" | "lost" },
): Promise<PaymentFacts> {
  const rows = await tx.query<PaymentFacts>(
    `INSERT INTO stripe_payments (payment_intent, charge_id, dispute_id, dispute_state, dispute_amount, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (payment_intent) DO UPDATE
       SET charge_id = COALESCE(stripe_payments.charge_id, EXCLUDED.charge_id),
           dispute_id = EXCLUDED.dispute_id,
           dispute_state = CASE
             WHEN stripe_payments.dispute_state IN ('reinstated', 'lost') THEN stripe_payments.dispute_state
             ELSE EXCLUDED.dispute_state END,
           dispute_amount = CASE
             WHEN stripe_payments.dispute_state IN ('reinstated', 'lost') THEN stripe_payments.dispute_amount
             ELSE EXCLUDED.dispute_amount END,
           updated_at = EXCLUDED.updated_at
     RETURNING ${FACT_COLUMNS}`,
    [f.paymentIntent, f.chargeId, f.disputeId, f.state, f.amount, new Date()],
  );
  return rows[0]!;
}
