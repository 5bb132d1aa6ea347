/** What every download answers besides its bytes. */
export interface DownloadInfo {
  /** The file's media type, sniffed by the server from its bytes (the `Content-Type`, e.g. `text/markdown; charset=utf-8`). */
  mediaType: string;
  /** The file name from `Content-Disposition` (the creation id or share token when absent). */
  filename: string;
  /** The whole file's SHA-256 (the strong `ETag`), hex; also set for a partial download. */
  sha256: string;
  /** 206 for a range, 200 for the whole file. */
  status: 200 | 206;
  /** Bytes in this response (`Content-Length`), when the server said. */
  contentLength: number | undefined;
  /** With a range: the served range and the whole file's size (`Content-Range: bytes 0-99/1234`). */
  range: { start: number; end: number; size: number } | undefined;
}

export interface DownloadedBytes extends DownloadInfo {
  bytes: Uint8Array;
}

export interface DownloadedStream extends DownloadInfo {
  /** The body as it arrives; read it to the end or cancel it to free the connection. */
  stream: ReadableStream<Uint8Array>;
}

/** `{ start, end }` (inclusive, `end` optional: to the end), `{ suffix }` (the last N bytes) or `bytes=…`. */
export type ByteRange = { start: number; end?: number } | { suffix: number } | string;

export interface DownloadOptions {
  /** Only these bytes (HTTP Range); the answer is then 206 with `range` set. */
  range?: ByteRange;
  /** `true` answers `stream` (the body as it arrives) instead of `bytes`. */
  stream?: boolean;
}

/** The Range header for a ByteRange. */
export function rangeHeader(range: ByteRange): string {
  if (typeof range === "string") return range.startsWith("bytes=") ? range : `bytes=${range}`;
  const isIndex = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0);
  if ("suffix" in range) {
    if (!isIndex(range.suffix) || range.suffix === 0) throw new TypeError("range.suffix must be an integer ≥ 1");
    return `bytes=-${range.suffix}`;
  }
  if (!isIndex(range.start) || !isIndex(range.end) || (range.end !== undefined && range.end < range.start)) {
    throw new TypeError("range must have integers 0 ≤ start ≤ end");
  }
  return `bytes=${range.start}-${range.end ?? ""}`;
}

export function downloadInfo(response: Response, fallbackName: string): DownloadInfo {
  const headers = response.headers;
  const length = headers.get("content-length");
  return {
    mediaType: headers.get("content-type")?.trim() || "application/octet-stream",
    filename: filenameFromDisposition(headers.get("content-disposition")) ?? fallbackName,
    sha256: etagHash(headers.get("etag")),
    status: response.status === 206 ? 206 : 200,
    contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : undefined,
    range: parseContentRange(headers.get("content-range")),
  };
}

/** `"9f86…"` or `W/"9f86…"` → `9f86…`. */
function etagHash(etag: string | null): string {
  return (etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");
}

function parseContentRange(header: string | null): DownloadInfo["range"] {
  const match = header && /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
}

/**
 * The file name of a Content-Disposition header (RFC 6266): `filename*=UTF-8''…` wins over
 * `filename="…"`. Only the base name is kept, so a hostile name cannot point into other folders.
 */
export function filenameFromDisposition(header: string | null): string | undefined {
  if (!header) return undefined;
  let plain: string | undefined;
  let extended: string | undefined;
  const param = /;\s*([^\s=;]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  for (let match = param.exec(header); match; match = param.exec(header)) {
    const name = (match[1] ?? "").toLowerCase();
    const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, "$1") : (match[2] ?? "").trim();
    if (name === "filename") plain = value;
    else if (name === "filename*") extended = decodeExtValue(value);
  }
  const name = extended ?? plain;
  return name === undefined ? undefined : safeBaseName(name);
}

/** RFC 8187 `charset'lang'percent-encoded`; only UTF-8 (and ISO-8859-1, as bytes) are expected. */
function decodeExtValue(value: string): string | undefined {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return undefined;
  const [, charset = "", encoded = ""] = match;
  try {
    if (charset.toLowerCase() === "utf-8") return decodeURIComponent(encoded);
    return encoded.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  } catch {
    return undefined;
  }
}

function safeBaseName(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[\\/]/).pop() ?? "").replace(/[\x00-\x1f\x7f]/g, "").trim();
  return base === "" || base === "." || base === ".." ? undefined : base;
}
