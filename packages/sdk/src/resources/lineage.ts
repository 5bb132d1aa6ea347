import type { ApiContext } from "../context.js";
import type { RequestOptions } from "../options.js";
import type { Jwks } from "../schema.js";

export interface LineageApi {
  /**
   * The public Ed25519 keys (a JWKS) that sign lineage records, retired ones included so old records still
   * verify. Check a record against them yourself (`oto verify` does): do not take the server's word for it.
   */
  keys(options?: RequestOptions): Promise<Jwks>;
}

export function lineageApi(ctx: ApiContext): LineageApi {
  return {
    keys: (o) => ctx.unwrap(ctx.raw.GET("/v1/lineage/keys", ctx.init(o))),
  };
}
