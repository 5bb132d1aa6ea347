import type { ApiContext } from "../context.js";
import type { RequestOptions } from "../options.js";
import type { AdminGrantRequest, LedgerEntry } from "../schema.js";

export interface AdminApi {
  /**
   * Grants (or, negative, removes) tokens of an account: an `adjustment` ledger entry. Admin role
   * only (OtoPermissionError otherwise); removing never goes below zero (OtoInsufficientTokensError).
   */
  grant(body: AdminGrantRequest, options?: RequestOptions): Promise<LedgerEntry>;
}

export function adminApi(ctx: ApiContext): AdminApi {
  return {
    grant: (body, o) => ctx.unwrap(ctx.raw.POST("/v1/admin/grants", { body, ...ctx.init(o) })),
  };
}
