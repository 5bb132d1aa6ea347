import type { FastifyRequest } from "fastify";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { decodeCursor, pageOf } from "../store/pagination.js";
import { getBalance, listEntries, toLedgerEntry } from "../tokens/ledger.js";
import { Payments, type PaymentsConfig } from "../tokens/payments.js";
import { toPurchase } from "../tokens/purchases.js";
import { type Handler, requireAuth } from "./types.js";

export interface TokenDeps extends PaymentsConfig {
  db: Db;
  /** The server's address as clients reach it (default: the address of the request). */
  publicUrl?: string | undefined;
}

const LEDGER_ENTRY_ID = /^le_[0-9a-z]{26}$/;

function baseUrl(publicUrl: string | undefined, request: FastifyRequest): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

export function tokenHandlers(deps: TokenDeps): {
  getTokenBalance: Handler<"getTokenBalance">;
  listTokenHistory: Handler<"listTokenHistory">;
  listTokenPacks: Handler<"listTokenPacks">;
  createCheckout: Handler<"createCheckout">;
  getCheckout: Handler<"getCheckout">;
  stripeWebhook: Handler<"stripeWebhook">;
} {
  const { db } = deps;
  // Made on first use, so that building the handlers touches none of their dependencies.
  let made: Payments | undefined;
  const payments = () => (made ??= new Payments(db, deps));
  return {
    async getTokenBalance({ auth }) {
      return { status: 200, body: await getBalance(db, requireAuth(auth).account.id) };
    },

    async listTokenHistory({ auth, query }) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, LEDGER_ENTRY_ID);
      const rows = await listEntries(db, requireAuth(auth).account.id, limit, after);
      return { status: 200, body: pageOf(rows, limit, toLedgerEntry) };
    },

    async listTokenPacks() {
      return { status: 200, body: { payments_enabled: payments().enabled, data: payments().packs() } };
    },

    async createCheckout({ auth, body, request }) {
      const account = requireAuth(auth).account;
      const base = baseUrl(deps.publicUrl, request);
      const clientKey = request.headers["idempotency-key"];
      const session = await payments().createCheckout({
        accountId: account.id,
        packId: body.pack_id,
        successUrl: body.success_url ?? `${base}/?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: body.cancel_url ?? `${base}/?checkout=canceled`,
        requestKey: typeof clientKey === "string" ? `key:${clientKey}` : `request:${request.id}`,
      });
      return { status: 201, body: session };
    },

    async getCheckout({ auth, params, request }) {
      const purchase = await payments().purchase(requireAuth(auth).account.id, params.session_id, request.log);
      if (!purchase) throw new ApiError(404, "not_found", `No checkout session ${params.session_id} on this account.`);
      return { status: 200, body: toPurchase(purchase) };
    },

    async stripeWebhook({ request }) {
      const signature = request.headers["stripe-signature"];
      const event = payments().verify(request.rawBody, typeof signature === "string" ? signature : undefined);
      const outcome = await payments().applyEvent(event);
      request.log.info({ stripe_event: event.id, type: event.type, outcome }, "stripe event");
      return { status: 200, body: { received: true, outcome } };
    },
  };
}
