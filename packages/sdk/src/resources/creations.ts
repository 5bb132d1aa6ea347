import type { ApiContext } from "../context.js";
import {
  type DownloadedBytes,
  type DownloadedStream,
  type DownloadOptions,
  downloadInfo,
  rangeHeader,
} from "../download.js";
import { OtoApiError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../paginate.js";
import type {
  Creation,
  CreationPage,
  CreationTree,
  ForkRequest,
  Generation,
  Lineage,
  LineageRecord,
  operations,
  Share,
} from "../schema.js";
import type { FetchResult } from "../unwrap.js";

/** `state` (draft, published), `kind`, `limit`, `cursor`. */
export type ListCreationsParams = NonNullable<operations["listCreations"]["parameters"]["query"]>;

/** `depth` (1–50, default 20) and `limit` (1–2000 creations, default 500). */
export type CreationTreeParams = NonNullable<operations["getCreationTree"]["parameters"]["query"]>;

/** Download options: `range`, `stream`, plus `signal`, `timeoutMs`, `maxRetries`. */
export type DownloadCallOptions = DownloadOptions & RequestOptions;

/** `bytes` (the whole body in memory) unless `stream: true` asked for a stream. */
export interface Download {
  (id: string, options: DownloadCallOptions & { stream: true }): Promise<DownloadedStream>;
  (id: string, options?: DownloadCallOptions & { stream?: false }): Promise<DownloadedBytes>;
  (id: string, options?: DownloadCallOptions): Promise<DownloadedBytes | DownloadedStream>;
}

export interface CreationsApi {
  /** One page of your creations (drafts and published), newest first. */
  list(params?: ListCreationsParams, options?: RequestOptions): Promise<CreationPage>;
  listAll(params?: Omit<ListCreationsParams, "cursor">, options?: RequestOptions): AsyncIterableIterator<Creation>;
  /** A published creation, or one of your drafts (404 for anyone else's draft). */
  get(creationId: string, options?: RequestOptions): Promise<Creation>;
  /**
   * The creation's file, with its sniffed media type, file name and SHA-256. A whole file in `bytes`
   * is checked against the server's hash (OtoApiError `integrity_error` when they differ).
   */
  download: Download;
  /** The WebP thumbnail (image) or poster frame (video); 404 for text and voice. */
  thumbnail(creationId: string, options?: RequestOptions): Promise<DownloadedBytes>;
  /** Makes one of your creations public. */
  publish(creationId: string, options?: RequestOptions): Promise<Creation>;
  /** Turns one of your published creations back into a draft. */
  unpublish(creationId: string, options?: RequestOptions): Promise<Creation>;
  /** An unlisted link anyone can open without an account; sharing again answers the same link. */
  share(creationId: string, options?: RequestOptions): Promise<Share>;
  /** The link stops working at once. */
  revokeShare(creationId: string, options?: RequestOptions): Promise<Creation>;
  /**
   * Runs an agent with this creation as its input (a published creation, or one of your drafts): the same
   * as `generations.create` with `inputs: [creationId]` (same checks, same errors). Resolves to the queued
   * job; follow it with `generations.wait(job.id)`.
   */
  fork(creationId: string, body: ForkRequest, options?: RequestOptions): Promise<Generation>;
  /** The chain from the first ancestor to this creation, with each step's agents and prompt. */
  lineage(creationId: string, options?: RequestOptions): Promise<Lineage>;
  /** Everything forked from this creation that you may see, as a tree (`truncated` when cut short). */
  tree(creationId: string, params?: CreationTreeParams, options?: RequestOptions): Promise<CreationTree>;
  /** The creation's signed lineage record; verify it against `lineage.keys()`. */
  record(creationId: string, options?: RequestOptions): Promise<LineageRecord>;
}

export interface SharedApi {
  /** The creation behind a share token (`s_…`); no API key needed. */
  get(shareToken: string, options?: RequestOptions): Promise<Creation>;
  /** Its file, as `creations.download`. */
  download: Download;
}

export function creationsApi(ctx: ApiContext): CreationsApi {
  const path = (creationId: string) => ({ path: { creation_id: creationId } });
  const api: CreationsApi = {
    list: (params = {}, o) => ctx.unwrap(ctx.raw.GET("/v1/creations", { params: { query: params }, ...ctx.init(o) })),
    listAll: (params = {}, o) => paginate((cursor) => api.list({ ...params, ...(cursor && { cursor }) }, o)),
    get: (creationId, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/creations/{creation_id}", { params: path(creationId), ...ctx.init(o) })),
    download: ((creationId: string, o: DownloadCallOptions = {}) =>
      fetchFile(ctx, creationId, o, (init) =>
        ctx.raw.GET("/v1/creations/{creation_id}/file", {
          params: path(creationId),
          parseAs: o.stream ? "stream" : "arrayBuffer",
          ...init,
        }),
      )) as Download,
    thumbnail: (creationId, o = {}) =>
      fetchFile(
        ctx,
        `${creationId}.webp`,
        o,
        (init) =>
          ctx.raw.GET("/v1/creations/{creation_id}/thumbnail", {
            params: path(creationId),
            parseAs: "arrayBuffer",
            ...init,
          }),
        false,
      ) as Promise<DownloadedBytes>,
    publish: (creationId, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/creations/{creation_id}/publish", { params: path(creationId), ...ctx.init(o) })),
    unpublish: (creationId, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/creations/{creation_id}/unpublish", { params: path(creationId), ...ctx.init(o) })),
    share: (creationId, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/creations/{creation_id}/share", { params: path(creationId), ...ctx.init(o) })),
    revokeShare: (creationId, o) =>
      ctx.unwrap(ctx.raw.DELETE("/v1/creations/{creation_id}/share", { params: path(creationId), ...ctx.init(o) })),
    fork: (creationId, body, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/creations/{creation_id}/fork", { params: path(creationId), body, ...ctx.init(o) })),
    lineage: (creationId, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/creations/{creation_id}/lineage", { params: path(creationId), ...ctx.init(o) })),
    tree: (creationId, params = {}, o) =>
      ctx.unwrap(
        ctx.raw.GET("/v1/creations/{creation_id}/tree", { params: { ...path(creationId), query: params }, ...ctx.init(o) }),
      ),
    record: (creationId, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/creations/{creation_id}/record", { params: path(creationId), ...ctx.init(o) })),
  };
  return api;
}

export function sharedApi(ctx: ApiContext): SharedApi {
  const path = (shareToken: string) => ({ path: { share_token: shareToken } });
  return {
    get: (shareToken, o) =>
      ctx.unwrap(ctx.raw.GET("/v1/shared/{share_token}", { params: path(shareToken), ...ctx.init(o) })),
    download: ((shareToken: string, o: DownloadCallOptions = {}) =>
      fetchFile(ctx, shareToken, o, (init) =>
        ctx.raw.GET("/v1/shared/{share_token}/file", {
          params: path(shareToken),
          parseAs: o.stream ? "stream" : "arrayBuffer",
          ...init,
        }),
      )) as Download,
  };
}

type Body = ArrayBuffer | ReadableStream<Uint8Array> | null | undefined;

/** A binary GET: no JSON parsing, Range when asked, the body handed over unread when streaming. */
async function fetchFile(
  ctx: ApiContext,
  fallbackName: string,
  options: DownloadCallOptions,
  get: (init: ReturnType<ApiContext["init"]>) => Promise<FetchResult<unknown>>,
  verify = true,
): Promise<DownloadedBytes | DownloadedStream> {
  const { range, stream, ...requestOptions } = options;
  const headers: Record<string, string> = { Accept: "*/*" };
  if (range !== undefined) headers["Range"] = rangeHeader(range);
  const result = await get(ctx.init(requestOptions, { headers, stream: Boolean(stream) }));
  const body = (await ctx.unwrap(Promise.resolve(result))) as Body;
  const info = downloadInfo(result.response, fallbackName);

  if (stream) {
    const empty = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    return { ...info, stream: (body as ReadableStream<Uint8Array> | null | undefined) ?? empty };
  }
  const bytes: Uint8Array<ArrayBuffer> = new Uint8Array((body as ArrayBuffer | null | undefined) ?? new ArrayBuffer(0));
  if (verify && info.status === 200) {
    const actual = await sha256Hex(bytes);
    if (/^[0-9a-f]{64}$/.test(info.sha256) && info.sha256 !== actual) {
      throw new OtoApiError({
        status: 0,
        code: "integrity_error",
        title: "Integrity error",
        detail: `the file from ${ctx.baseUrl} does not match its hash (ETag ${info.sha256}, got ${actual})`,
      });
    }
    info.sha256 = actual;
  }
  return { ...info, bytes };
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
