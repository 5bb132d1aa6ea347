import type { ApiContext } from "../context.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../paginate.js";
import type { operations, SearchHit, SearchPage } from "../schema.js";

/** `type` (account, creation), `kind` (creations of that kind), `limit`, `cursor`. */
export type SearchParams = Omit<NonNullable<operations["search"]["parameters"]["query"]>, "q">;

export interface SearchApi {
  /**
   * One page of accounts and published creations matching `q`, best first. Any text is accepted: words, `"a phrase"`,
   * `-excluded`, `or`; the last word also matches as a prefix. Each hit carries its `location` on the wall.
   */
  search(q: string, params?: SearchParams, options?: RequestOptions): Promise<SearchPage>;
  /** Every hit, following `next_cursor` page by page. */
  searchAll(q: string, params?: Omit<SearchParams, "cursor">, options?: RequestOptions): AsyncIterableIterator<SearchHit>;
}

export function searchApi(ctx: ApiContext): SearchApi {
  const api: SearchApi = {
    search: (q, params = {}, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/search", { params: { query: { ...params, q } }, ...ctx.init(o) })),
    searchAll: (q, params = {}, o) => paginate((cursor) => api.search(q, { ...params, ...(cursor && { cursor }) }, o)),
  };
  return api;
}
