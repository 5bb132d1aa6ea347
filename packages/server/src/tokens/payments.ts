import { createHash } from "node:crypto";
import type { CheckoutSession } from "@oto/sdk/schema";
import Stripe from "stripe";
import type { ServerConfig, TokenPackConfig } from "../config.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { type Outcome, type SessionSnapshot, closeSession, fulfilSession, lockStripeFulfilment } from "./fulfilment.js";
import { findPack, paymentsEnabled, paymentsNotConfigured, toTokenPack } from "./packs.js";
import { type PurchaseRow, findPurchase, insertPurchase } from "./purchases.js";
import { type StripeEventLike, applyStripeEvent, sessionSnapshot } from "./stripe-events.js";

export interface PaymentsConfig {
  stripe: ServerConfig["stripe"];
  tokenPacks: TokenPackConfig[];
}

/** A Stripe client for the configured key; STRIPE_API_BASE (tests: a local server) replaces api.stripe.com. */
export function createStripeClient(secretKey: string, apiBase: string | undefined): Stripe {
  const target = apiBase ? new URL(apiBase) : undefined;
  return new Stripe(secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: "oto" },
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === "http:" ? "80" : "443"),
          protocol: target.protocol === "http:" ? "http" : "https",
        }
      : {}),
  });
}

function upstreamError(err: unknown): ApiError {
  if (err instanceof Stripe.errors.StripeError && !(err instanceof Stripe.errors.StripeConnectionError)) {
    return new ApiError(502, "upstream_error", `Stripe refused the checkout (${err.type}): ${err.message}`);
  }
  return new ApiError(502, "upstream_error", "Stripe did not answer; nothing was charged. Try again.");
}

/**
 * Token packs sold through Stripe Checkout: creating sessions, verifying webhooks and crediting
 * paid sessions exactly once (see fulfilment.ts).
 */
export class Payments {
  private readonly stripe: Stripe | undefined;
  /** For its offline webhook helpers only (no request is made with it). */
  private readonly webhooks: Stripe["webhooks"];

  constructor(
    private readonly db: Db,
    private readonly config: PaymentsConfig,
  ) {
    this.stripe = config.stripe.secretKey ? createStripeClient(config.stripe.secretKey, config.stripe.apiBase) : undefined;
    this.webhooks = (this.stripe ?? new Stripe("sk_unused")).webhooks;
  }

  get enabled(): boolean {
    return paymentsEnabled(this.config.stripe);
  }

  packs() {
    return this.config.tokenPacks.map(toTokenPack);
  }

  /**
   * Creates a Checkout Session for the pack and records the open purchase. `requestKey`
   * identifies our request (the client's Idempotency-Key, or the request id): the same one
   * gives the same session, also when the SDK retries after a network error.
   */
  async createCheckout(a: {
    accountId: string;
    packId: string;
    successUrl: string;
    cancelUrl: string;
    requestKey: string;
  }): Promise<CheckoutSession> {
    if (!this.enabled || !this.stripe) throw paymentsNotConfigured();
    const pack = findPack(this.config.tokenPacks, a.packId);
    if (!pack) {
      throw new ApiError(404, "not_found", `There is no token pack "${a.packId}"; see GET /v1/tokens/packs.`);
    }
    const metadata = { account_id: a.accountId, pack_id: pack.id, tokens: String(pack.tokens) };
    const idempotencyKey = `oto-checkout-${createHash("sha256")
      .update(JSON.stringify([a.accountId, a.requestKey, pack.id, a.successUrl, a.cancelUrl]))
      .digest("hex")}`;
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe.checkout.sessions.create(
        {
          mode: "payment",
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: pack.price.currency,
                unit_amount: pack.price.amount,
                product_data: { name: pack.name, description: `${pack.tokens} oTo tokens` },
              },
            },
          ],
          client_reference_id: a.accountId,
          metadata,
          payment_intent_data: { metadata },
          success_url: a.successUrl,
          cancel_url: a.cancelUrl,
        },
        { idempotencyKey },
      );
    } catch (err) {
      throw upstreamError(err);
    }
    if (!session.url) throw new ApiError(502, "upstream_error", "Stripe answered a checkout session without a URL.");
    await insertPurchase(this.db, {
      sessionId: session.id,
      accountId: a.accountId,
      packId: pack.id,
      tokens: pack.tokens,
      amount: pack.price.amount,
      currency: pack.price.currency,
      paymentIntent: typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null),
      expiresAt: session.expires_at ? new Date(session.expires_at * 1000) : null,
    });
    return {
      id: session.id,
      url: session.url,
      pack: toTokenPack(pack),
      expires_at: session.expires_at ? new Date(session.expires_at * 1000).toISOString() : null,
    };
  }

  /**
   * The account's purchase. While it is open, the session is re-read from Stripe and fulfilled
   * when paid (Stripe's advice: fulfil from the webhook and from the customer's return, both
   * safe to repeat). When Stripe cannot be reached, the stored state is answered.
   */
  async purchase(accountId: string, sessionId: string, log: { warn(o: object, m: string): void }): Promise<PurchaseRow | undefined> {
    const purchase = await findPurchase(this.db, accountId, sessionId);
    if (!purchase || purchase.status !== "open" || !this.stripe) return purchase;
    let snapshot: SessionSnapshot | null;
    let status: string | null;
    try {
      // A quick look: the caller is waiting, and the webhook will credit the session anyway.
      const session = await this.stripe.checkout.sessions.retrieve(sessionId, {}, { timeout: 5_000, maxNetworkRetries: 0 });
      snapshot = sessionSnapshot(session as unknown as Record<string, unknown>);
      status = session.status;
    } catch (err) {
      log.warn({ err }, "could not re-read the checkout session from Stripe");
      return purchase;
    }
    if (!snapshot || snapshot.id !== sessionId) return purchase;
    const paid = snapshot.payment_status === "paid" || snapshot.payment_status === "no_payment_required";
    if (paid || status === "expired") {
      await this.db.transaction(async (tx) => {
        await lockStripeFulfilment(tx);
        if (paid) await fulfilSession(tx, snapshot);
        else await closeSession(tx, snapshot, "expired");
      });
    }
    return findPurchase(this.db, accountId, sessionId);
  }

  /**
   * Checks the Stripe-Signature header against the raw body (HMAC-SHA256 with the webhook
   * secret, timestamp within 5 minutes). Anything else answers 400 invalid_signature.
   */
  verify(rawBody: Buffer | undefined, signature: string | undefined): StripeEventLike {
    const secret = this.config.stripe.webhookSecret;
    if (!secret) throw paymentsNotConfigured();
    if (!signature) throw new ApiError(400, "invalid_signature", "The Stripe-Signature header is missing.");
    if (!rawBody) throw new ApiError(400, "invalid_signature", "The request body could not be read for verification.");
    try {
      return this.webhooks.constructEvent(rawBody, signature, secret) as StripeEventLike;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0] : "unknown";
      throw new ApiError(400, "invalid_signature", `The Stripe-Signature does not match the body: ${reason}`);
    }
  }

  applyEvent(event: StripeEventLike): Promise<Outcome | "duplicate"> {
    return applyStripeEvent(this.db, event);
  }
}
