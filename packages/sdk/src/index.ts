export type * from "./schema.js";
export { Oto, createOto } from "./client.js";
export type { ApiKeysApi, ListParams, OtoOptions, RequestOptions } from "./client.js";
export {
  OtoError,
  OtoBadRequestError,
  OtoAuthError,
  OtoInsufficientTokensError,
  OtoPermissionError,
  OtoNotFoundError,
  OtoConflictError,
  OtoPayloadTooLargeError,
  OtoRateLimitError,
  OtoApiError,
  OtoConnectionError,
  OtoTimeoutError,
  errorFromResponse,
} from "./errors.js";
export type { OtoErrorInit } from "./errors.js";
export { paginate } from "./paginate.js";
export type { Page } from "./paginate.js";
export { unwrap } from "./unwrap.js";
export type { FetchResult } from "./unwrap.js";
export { SDK_VERSION } from "./version.js";
