import type { Client } from "openapi-fetch";
import type { RequestOptions } from "./options.js";
import type { paths } from "./schema.js";
import type { RequestFetch } from "./transport.js";
import type { FetchResult } from "./unwrap.js";

/** The openapi-fetch options that carry one call's settings to the transport. */
export type CallInit = {
  fetch: RequestFetch;
  signal?: AbortSignal;
  headers?: Record<string, string>;
};

export interface CallExtras {
  /** More request headers (Prefer, Range, Accept). */
  headers?: Record<string, string>;
  /** Hand the successful body over unread (downloads, event streams). */
  stream?: boolean;
}

/** What the resource groups (agents, generations, …) share with the client. */
export interface ApiContext {
  readonly raw: Client<paths>;
  readonly baseUrl: string;
  unwrap<T>(pending: Promise<FetchResult<T>>): Promise<T>;
  init(options?: RequestOptions, extras?: CallExtras): CallInit;
}
