import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type ApiResponse, call } from "../helpers.js";
import type { FakeStripe } from "../support/fake-stripe.js";

export const WEBHOOK_SECRET = "whsec_oto_test_secret";

/** A test server selling tokens through the fake Stripe. */
export function startPaymentsServer(fake: FakeStripe, overrides: Record<string, string> = {}): Promise<RunningServer> {
  return startTestServer({
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_BASE: fake.url,
    OTO_AUTH_RATE_LIMIT: "10000",
    ...overrides,
  });
}

// Only its offline webhook helpers are used.
const stripe = new Stripe("sk_test_helpers_only");

export interface SignedEvent {
  id: string;
  payload: string;
}

/** A Stripe event as Stripe sends it (v1 snapshot event). */
export function stripeEvent(type: string, object: unknown, id = `evt_${randomBytes(12).toString("hex")}`): SignedEvent {
  const payload = JSON.stringify(
    {
      id,
      object: "event",
      api_version: "2026-10-28.endive",
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object },
    },
    null,
    2,
  );
  return { id, payload };
}

export function signature(payload: string, secret = WEBHOOK_SECRET, timestamp?: number): string {
  return stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
}

/** Delivers the event to /v1/hooks/stripe like Stripe: raw JSON body, signed header (unless given). */
export function deliver(
  server: Pick<RunningServer, "url">,
  event: SignedEvent,
  options: { signature?: string | null; body?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
  const sig = options.signature === undefined ? signature(event.payload) : options.signature;
  if (sig !== null) headers["stripe-signature"] = sig;
  return call(server, "POST", "/v1/hooks/stripe", {
    raw: options.body ?? event.payload,
    contentType: "application/json; charset=utf-8",
    headers,
  });
}

export async function balanceOf(server: Pick<RunningServer, "url">, apiKey: string): Promise<{ available: number; held: number }> {
  const res = await call(server, "GET", "/v1/tokens/balance", { apiKey });
  if (res.status !== 200) throw new Error(`balance: ${res.status} ${res.text}`);
  return res.body;
}

export async function historyOf(server: Pick<RunningServer, "url">, apiKey: string): Promise<any[]> {
  const res = await call(server, "GET", "/v1/tokens/history?limit=100", { apiKey });
  if (res.status !== 200) throw new Error(`history: ${res.status} ${res.text}`);
  return res.body.data;
}

/** Creates a checkout for the pack through the API; answers the session id. */
export async function checkout(server: Pick<RunningServer, "url">, apiKey: string, packId = "starter"): Promise<string> {
  const res = await call(server, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: packId } });
  if (res.status !== 201) throw new Error(`checkout: ${res.status} ${res.text}`);
  return res.body.id;
}

/** Rows of the tables Stripe fulfilment writes, to prove that a refused event changed nothing. */
export async function paymentState(server: RunningServer): Promise<unknown> {
  const q = (sql: string) => server.app.db.query(sql);
  return {
    balances: await q("SELECT account_id, available, held FROM token_balances ORDER BY account_id"),
    entries: await q("SELECT count(*)::int AS n FROM ledger_entries"),
    purchases: await q("SELECT session_id, status, payment_intent, tokens_refunded, tokens_disputed FROM purchases ORDER BY session_id"),
    events: await q("SELECT id, outcome FROM stripe_events ORDER BY id"),
    payments: await q("SELECT * FROM stripe_payments ORDER BY payment_intent"),
  };
}
