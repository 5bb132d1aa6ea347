import type { TokenPack } from "@oto/sdk/schema";
import type { ServerConfig, TokenPackConfig } from "../config.js";
import { ApiError } from "../problems.js";

export function toTokenPack(p: TokenPackConfig): TokenPack {
  return { id: p.id, name: p.name, tokens: p.tokens, price: { amount: p.price.amount, currency: p.price.currency } };
}

export function findPack(packs: TokenPackConfig[], id: string): TokenPackConfig | undefined {
  return packs.find((p) => p.id === id);
}

/** Selling needs both keys: one to create sessions, one to trust the webhook that credits them. */
export function paymentsEnabled(stripe: ServerConfig["stripe"]): boolean {
  return Boolean(stripe.secretKey && stripe.webhookSecret);
}

export function paymentsNotConfigured(): ApiError {
  return new ApiError(
    503,
    "payments_not_configured",
    'This server sells no tokens: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and point a Stripe webhook at /v1/hooks/stripe), or ask an operator for "oto admin grant".',
  );
}
