import type { Db, Queryable } from "../db/types.js";
import { type Outcome, type SessionSnapshot, closeSession, fulfilSession, lockStripeFulfilment, reconcile } from "./fulfilment.js";
import {
  findPaymentIntentOfCharge,
  lockPurchaseByPaymentIntent,
  recordDisputeFacts,
  recordRefundFacts,
} from "./purchases.js";

/** A verified Stripe event: only the fields read here. */
export interface StripeEventLike {
  id: string;
  type: string;
  data: { object: unknown };
}

type Obj = Record<string, unknown>;

const str = (o: Obj, key: string): string | null => (typeof o[key] === "string" ? (o[key] as string) : null);
const int = (o: Obj, key: string): number | null => (Number.isInteger(o[key]) ? (o[key] as number) : null);
/** An id field that may also be an expanded object ({ id }). */
const ref = (o: Obj, key: string): string | null => {
  const v = o[key];
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && typeof (v as Obj).id === "string") return (v as Obj).id as string;
  return null;
};

export function sessionSnapshot(o: Obj): SessionSnapshot | null {
  const id = str(o, "id");
  if (!id) return null;
  const metadata: Record<string, string> = {};
  if (o.metadata !== null && typeof o.metadata === "object") {
    for (const [k, v] of Object.entries(o.metadata as Obj)) if (typeof v === "string") metadata[k] = v;
  }
  return {
    id,
    payment_status: str(o, "payment_status"),
    payment_intent: ref(o, "payment_intent"),
    amount_total: int(o, "amount_total"),
    currency: str(o, "currency"),
    expires_at: int(o, "expires_at"),
    metadata,
  };
}

async function afterPaymentFacts(tx: Queryable, paymentIntent: string): Promise<Outcome> {
  const purchase = await lockPurchaseByPaymentIntent(tx, paymentIntent);
  // Not known yet (the payment's session event has not arrived): the facts wait for it.
  if (!purchase) return "recorded";
  return (await reconcile(tx, purchase)) ?? "unchanged";
}

async function chargeRefunded(tx: Queryable, charge: Obj): Promise<Outcome> {
  const chargeId = str(charge, "id");
  const paymentIntent = ref(charge, "payment_intent");
  const amountRefunded = int(charge, "amount_refunded");
  if (!chargeId || !paymentIntent || amountRefunded === null) return "ignored";
  const captured = int(charge, "amount_captured");
  const amount = captured !== null && captured > 0 ? captured : (int(charge, "amount") ?? 0);
  await recordRefundFacts(tx, { paymentIntent, chargeId, amount, amountRefunded });
  return afterPaymentFacts(tx, paymentIntent);
}

type DisputeState = "withdrawn" | "reinstated" | "lost";

function disputeStateFor(eventType: string, status: string | null): DisputeState | null {
  // Inquiries (warning_*) never move funds.
  if (status?.startsWith("warning_")) return eventType === "charge.dispute.closed" ? "reinstated" : null;
  switch (eventType) {
    case "charge.dispute.created":
    case "charge.dispute.funds_withdrawn":
      return "withdrawn";
    case "charge.dispute.funds_reinstated":
      return "reinstated";
    case "charge.dispute.closed":
      return status === "won" ? "reinstated" : status === "lost" ? "lost" : null;
    default:
      return null;
  }
}

async function chargeDisputed(tx: Queryable, eventType: string, dispute: Obj): Promise<Outcome> {
  const state = disputeStateFor(eventType, str(dispute, "status"));
  const disputeId = str(dispute, "id");
  const chargeId = ref(dispute, "charge");
  const amount = int(dispute, "amount");
  if (!state || !disputeId || !chargeId || amount === null) return "ignored";
  const paymentIntent = ref(dispute, "payment_intent") ?? (await findPaymentIntentOfCharge(tx, chargeId));
  if (!paymentIntent) return "ignored";
  await recordDisputeFacts(tx, { paymentIntent, chargeId, disputeId, amount, state });
  return afterPaymentFacts(tx, paymentIntent);
}

async function dispatch(tx: Queryable, event: StripeEventLike): Promise<Outcome> {
  const object = event.data.object;
  if (object === null || typeof object !== "object") return "ignored";
  const o = object as Obj;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const s = sessionSnapshot(o);
      return s ? fulfilSession(tx, s) : "ignored";
    }
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired": {
      const s = sessionSnapshot(o);
      if (!s) return "ignored";
      return closeSession(tx, s, event.type === "checkout.session.expired" ? "expired" : "payment_failed");
    }
    case "charge.refunded":
      return chargeRefunded(tx, o);
    case "charge.dispute.created":
    case "charge.dispute.funds_withdrawn":
    case "charge.dispute.funds_reinstated":
    case "charge.dispute.closed":
      return chargeDisputed(tx, event.type, o);
    default:
      return "ignored";
  }
}

/**
 * Applies a verified event once: the event id is recorded in the same transaction as its effects,
 * so a redelivery (even a concurrent one) answers "duplicate" and changes nothing.
 */
export async function applyStripeEvent(db: Db, event: StripeEventLike): Promise<Outcome | "duplicate"> {
  return db.transaction(async (tx) => {
    await lockStripeFulfilment(tx);
    const fresh = await tx.query(
      `INSERT INTO stripe_events (id, type, outcome, received_at) VALUES ($1, $2, 'processing', $3)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, event.type, new Date()],
    );
    if (fresh.length === 0) return "duplicate";
    const outcome = await dispatch(tx, event);
    await tx.query("UPDATE stripe_events SET outcome = $2 WHERE id = $1", [event.id, outcome]);
    return outcome;
  });
}
