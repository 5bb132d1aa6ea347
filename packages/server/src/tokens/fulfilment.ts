import type { Queryable } from "../db/types.js";
import { postEntry } from "./ledger.js";
import {
  type PaymentFacts,
  type PurchaseRow,
  findPaymentFacts,
  insertPurchase,
  lockPurchaseBySession,
  updatePurchase,
} from "./purchases.js";

/**
 * Turns what Stripe says about a purchase into ledger entries, whatever order it is said in.
 *
 * Facts are recorded first (the session is paid; the charge has this much refunded; a dispute
 * took or gave back the funds), then `reconcile` compares what the ledger should hold for the
 * purchase with what it already holds and posts only the difference. Replays and late events
 * therefore change nothing, and a refund seen before the payment is applied once the payment
 * is credited. Callers run everything inside one transaction holding the Stripe lock.
 */

/** Serializes all Stripe fulfilment (webhooks and checkout refreshes); low volume, no races. */
export const STRIPE_LOCK = 7_424_302;

export async function lockStripeFulfilment(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [STRIPE_LOCK]);
}

/** The fields of a Checkout Session that fulfilment reads (from a webhook or from the API). */
export interface SessionSnapshot {
  id: string;
  payment_status: string | null;
  payment_intent: string | null;
  amount_total: number | null;
  currency: string | null;
  expires_at: number | null;
  metadata: Record<string, string>;
}

export type Outcome =
  | "credited"
  | "already_credited"
  | "awaiting_payment"
  | "expired"
  | "payment_failed"
  | "refunded"
  | "clawed_back"
  | "restored"
  | "recorded"
  | "unchanged"
  | "ignored";

const PAID = new Set(["paid", "no_payment_required"]);

function formatMoney(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/**
 * The purchase for a session, or — when the row is missing (the server stopped between creating
 * the session and recording it) — one rebuilt from the metadata oTo put on the session.
 */
async function purchaseForSession(tx: Queryable, s: SessionSnapshot): Promise<PurchaseRow | undefined> {
  const existing = await lockPurchaseBySession(tx, s.id);
  if (existing) return existing;
  const { account_id: accountId, pack_id: packId } = s.metadata;
  const tokens = Number(s.metadata.tokens);
  if (!accountId || !packId || !Number.isInteger(tokens) || tokens <= 0) return undefined;
  const account = await tx.query("SELECT 1 FROM accounts WHERE id = $1", [accountId]);
  if (account.length === 0) return undefined;
  await insertPurchase(tx, {
    sessionId: s.id,
    accountId,
    packId,
    tokens,
    amount: s.amount_total ?? 0,
    currency: s.currency ?? "eur",
    paymentIntent: s.payment_intent,
    expiresAt: s.expires_at === null ? null : new Date(s.expires_at * 1000),
  });
  return lockPurchaseBySession(tx, s.id);
}

/**
 * A session completed, its async payment succeeded, or a refresh re-read it: credits the pack
 * once when it is paid, then applies any refund or dispute already known for its payment.
 */
export async function fulfilSession(tx: Queryable, s: SessionSnapshot): Promise<Outcome> {
  let purchase = await purchaseForSession(tx, s);
  if (!purchase) return "ignored";
  if (s.payment_intent && purchase.payment_intent === null) {
    purchase = await updatePurchase(tx, purchase.session_id, { payment_intent: s.payment_intent });
  }
  if (!PAID.has(s.payment_status ?? "")) {
    return purchase.credited_at === null ? "awaiting_payment" : "already_credited";
  }
  let outcome: Outcome = "already_credited";
  if (purchase.credited_at === null) {
    const entry = await postEntry(tx, {
      accountId: purchase.account_id,
      kind: "purchase",
      amount: purchase.tokens,
      reference: `stripe:checkout:${purchase.session_id}`,
      description: `Bought the ${purchase.pack_id} pack (${formatMoney(purchase.amount, purchase.currency)})`,
    });
    purchase = await updatePurchase(tx, purchase.session_id, {
      status: "credited",
      credited_at: entry?.created_at ?? new Date(),
    });
    outcome = "credited";
  }
  const reversal = await reconcile(tx, purchase);
  return outcome === "credited" ? outcome : (reversal ?? outcome);
}

/** The session expired, or its async payment failed: an open purchase is closed (nothing to credit). */
export async function closeSession(tx: Queryable, s: SessionSnapshot, why: "expired" | "payment_failed"): Promise<Outcome> {
  const purchase = await purchaseForSession(tx, s);
  if (!purchase) return "ignored";
  if (purchase.status !== "open") return "unchanged";
  await updatePurchase(tx, purchase.session_id, { status: "expired" });
  return why;
}

/**
 * Applies the refunds and dispute known for the purchase's payment: takes back
 * tokens × refunded / paid (rounded up) for refunds and for funds withdrawn by a dispute, and
 * gives the dispute's share back when the funds are reinstated. Nothing happens before the
 * purchase is credited; the facts wait for it.
 */
export async function reconcile(tx: Queryable, purchase: PurchaseRow): Promise<Outcome | null> {
  if (purchase.credited_at === null || purchase.payment_intent === null) return null;
  const facts = await findPaymentFacts(tx, purchase.payment_intent);
  if (!facts) return null;
  const target = reversalTarget(purchase, facts);
  let outcome: Outcome | null = null;
  const money = (n: number) => formatMoney(n, purchase.currency);

  const refundDelta = target.refunded - purchase.tokens_refunded;
  if (refundDelta > 0) {
    await mustPost(tx, {
      accountId: purchase.account_id,
      kind: "refund",
      amount: -refundDelta,
      reference: `stripe:refund:${purchase.payment_intent}:${target.refunded}`,
      description: `Payment refunded (${money(facts.amount_refunded)} in all): ${refundDelta} tokens of the ${purchase.pack_id} pack taken back`,
    });
    outcome = "refunded";
  }
  const disputeDelta = target.disputed - purchase.tokens_disputed;
  if (disputeDelta > 0) {
    await mustPost(tx, {
      accountId: purchase.account_id,
      kind: "clawback",
      amount: -disputeDelta,
      reference: `stripe:dispute:${facts.dispute_id}:withdrawn:${target.disputed}`,
      description: `Payment disputed (${money(facts.dispute_amount)}): ${disputeDelta} tokens of the ${purchase.pack_id} pack taken back`,
    });
    outcome = "clawed_back";
  } else if (disputeDelta < 0) {
    await mustPost(tx, {
      accountId: purchase.account_id,
      kind: "purchase",
      amount: -disputeDelta,
      reference: `stripe:dispute:${facts.dispute_id}:reinstated:${target.disputed}`,
      description: `Dispute resolved in our favour: ${-disputeDelta} tokens of the ${purchase.pack_id} pack given back`,
    });
    outcome = "restored";
  }
  if (refundDelta !== 0 || disputeDelta !== 0) {
    await updatePurchase(tx, purchase.session_id, {
      tokens_refunded: target.refunded,
      tokens_disputed: target.disputed,
      status: target.refunded >= purchase.tokens ? "refunded" : purchase.status,
    });
  }
  return outcome;
}

/**
 * How many of the purchase's tokens should be taken back now, for refunds and for a dispute.
 * Refunds only grow (Stripe's amount_refunded is cumulative); a dispute's share stays taken while
 * its funds are out and comes back when they are reinstated; together never more than the pack.
 */
export function reversalTarget(
  purchase: Pick<PurchaseRow, "tokens" | "amount" | "tokens_refunded" | "tokens_disputed">,
  facts: Pick<PaymentFacts, "amount" | "amount_refunded" | "dispute_state" | "dispute_amount">,
): { refunded: number; disputed: number } {
  const paid = facts.amount ?? purchase.amount;
  if (paid <= 0) return { refunded: purchase.tokens_refunded, disputed: 0 };
  const share = (money: number) => Math.ceil((purchase.tokens * Math.min(paid, Math.max(0, money))) / paid);
  const refunded = Math.min(purchase.tokens, Math.max(purchase.tokens_refunded, share(facts.amount_refunded)));
  const fundsOut = facts.dispute_state === "withdrawn" || facts.dispute_state === "lost";
  const disputed = fundsOut ? Math.max(share(facts.dispute_amount), purchase.tokens_disputed) : 0;
  return { refunded, disputed: Math.min(disputed, purchase.tokens - refunded) };
}

async function mustPost(tx: Queryable, e: Parameters<typeof postEntry>[1]): Promise<void> {
  const entry = await postEntry(tx, e);
  // The purchase's counters and the ledger moved together so far; a posted reference here would
  // mean they disagree: stop (the transaction rolls back and Stripe delivers the event again).
  if (!entry) throw new Error(`ledger reference ${e.reference} already posted but not counted on the purchase`);
}
