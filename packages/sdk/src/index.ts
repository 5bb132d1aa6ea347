export type * from "./schema.js";
export { Oto, createOto } from "./client.js";
export type { ApiKeysApi, ListParams, OtoOptions, RequestOptions } from "./client.js";
export type { AgentsApi, ListAgentsParams } from "./resources/agents.js";
export { isEnded } from "./status.js";
export type {
  CreateGenerationOptions,
  EventsOptions,
  GenerationsApi,
  ListGenerationsParams,
} from "./resources/generations.js";
export type {
  CreationsApi,
  Download,
  DownloadCallOptions,
  ListCreationsParams,
  SharedApi,
  CreationTreeParams,
} from "./resources/creations.js";
export type { LineageApi } from "./resources/lineage.js";
export type { TokensApi, WaitForCreditOptions } from "./resources/tokens.js";
export type { AdminApi } from "./resources/admin.js";
export type { SearchApi, SearchParams } from "./resources/search.js";
export type { LocateTarget, TileKey, TileOptions, WallApi } from "./resources/wall.js";
export type { GenerateAndWaitOptions, WaitOptions } from "./wait.js";
export { filenameFromDisposition } from "./download.js";
export type { ByteRange, DownloadedBytes, DownloadedStream, DownloadInfo, DownloadOptions } from "./download.js";
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
  OtoGenerationFailedError,
  errorFromResponse,
} from "./errors.js";
export type { OtoErrorInit } from "./errors.js";
export { paginate } from "./paginate.js";
export type { Page } from "./paginate.js";
export { unwrap } from "./unwrap.js";
export type { FetchResult } from "./unwrap.js";
export { SDK_VERSION } from "./version.js";
