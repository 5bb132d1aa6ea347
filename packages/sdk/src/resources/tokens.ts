import type { ApiContext } from "../context.js";
import { OtoError } from "../errors.js";
import type { ListParams, RequestOptions } from "../options.js";
import { paginate } from "../paginate.js";
import type {
  CheckoutSession,
  CreateCheckoutRequest,
  LedgerEntry,
  LedgerPage,
  Purchase,
  TokenBalance,
  TokenPackList,
} from "../schema.js";
import { sleep } from "../sleep.js";

export interface WaitForCreditOptions {
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How often to ask. Default 2000. */
  intervalMs?: number;
  /** Called with the purchase after each read, e.g. to show its status. */
  onStatus?: (purchase: Purchase) => void;
}

export interface TokensApi {
  /** Tokens you can spend now (`available`) and those held by running jobs (`held`). */
  balance(options?: RequestOptions): Promise<TokenBalance>;
  /** One page of your ledger, newest first. */
  history(params?: ListParams, options?: RequestOptions): Promise<LedgerPage>;
  historyAll(params?: Pick<ListParams, "limit">, options?: RequestOptions): AsyncIterableIterator<LedgerEntry>;
  /** The packs this server sells, and whether payments are configured. No API key needed. */
  packs(options?: RequestOptions): Promise<TokenPackList>;
  /**
   * A Stripe Checkout Session for a pack: open its `url` to pay. Tokens arrive when Stripe confirms
   * the payment. OtoApiError `payments_not_configured` (503) when the server sells nothing.
   */
  checkout(body: CreateCheckoutRequest, options?: RequestOptions): Promise<CheckoutSession>;
  /** Whether a checkout session has been paid and credited. */
  getCheckout(sessionId: string, options?: RequestOptions): Promise<Purchase>;
  /**
   * Resolves with the purchase once its tokens are credited; rejects with OtoError
   * `checkout_expired` / `checkout_refunded` when it can no longer be.
   */
  waitForCredit(sessionId: string, options?: WaitForCreditOptions): Promise<Purchase>;
}

export function tokensApi(ctx: ApiContext): TokensApi {
  const api: TokensApi = {
    balance: (o) => ctx.unwrap(ctx.raw.GET("/v1/tokens/balance", ctx.init(o))),
    history: (params = {}, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/tokens/history", { params: { query: params }, ...ctx.init(o) })),
    historyAll: (params = {}, o) => paginate((cursor) => api.history({ ...params, ...(cursor && { cursor }) }, o)),
    packs: (o) => ctx.unwrap(ctx.raw.GET("/v1/tokens/packs", ctx.init(o))),
    checkout: (body, o) => ctx.unwrap(ctx.raw.POST("/v1/tokens/checkout", { body, ...ctx.init(o) })),
    getCheckout: (sessionId, o) =>
      ctx.unwrap(
        ctx.raw.GET("/v1/tokens/checkout/{session_id}", {
          params: { path: { session_id: sessionId } },
          ...ctx.init(o),
        }),
      ),
    waitForCredit: async (sessionId, o = {}) => {
      const intervalMs = o.intervalMs ?? 2000;
      for (;;) {
        const purchase = await api.getCheckout(sessionId, o.signal ? { signal: o.signal } : {});
        o.onStatus?.(purchase);
        if (purchase.status === "credited") return purchase;
        if (purchase.status === "expired" || purchase.status === "refunded") {
          throw new OtoError({
            status: 0,
            code: `checkout_${purchase.status}`,
            title: "Checkout ended",
            detail: `checkout ${sessionId} was ${purchase.status}; no tokens will arrive from it.`,
          });
        }
        await sleep(intervalMs, o.signal);
      }
    },
  };
  return api;
}
