// Sends a stored file over HTTP: real media type, Content-Disposition, strong ETag (the sha256),
// If-None-Match → 304, and one byte range → 206 (so audio and video can seek), unsatisfiable → 416.
import contentDisposition from "content-disposition";
import type { FastifyReply, FastifyRequest } from "fastify";
import parseRange from "range-parser";
import { ApiError } from "../problems.js";
import type { FileStore } from "../storage/files.js";
import type { RawBody } from "../handlers/types.js";

export interface FileToSend {
  sha256: string;
  mediaType: string;
  /** Name offered to save under (Content-Disposition); none for thumbnails. */
  filename?: string;
  disposition?: "attachment" | "inline";
  /** Published files may be cached by anyone; drafts and share links only by the browser, revalidated. */
  cache: "public" | "private";
  /** Range support (files); thumbnails are sent whole. */
  ranges: boolean;
}

export type FileResult =
  | { status: 200; body: RawBody }
  | { status: 206; body: RawBody }
  | { status: 304; body: undefined };

// Types a browser may show inline without risk; anything else is always offered as a download.
const INLINE_SAFE = /^(image\/(png|jpeg|gif|webp|avif)|audio\/|video\/|text\/(plain|markdown)\b)/;

// RFC 9110 §14.1.2: "bytes=" then comma-separated first-last, first- or -suffix specs.
const BYTE_RANGES = /^bytes=\s*(?:\d+-\d*|-\d+)(?:\s*,\s*(?:\d+-\d*|-\d+))*\s*$/;

const CACHE_CONTROL = {
  public: "public, max-age=3600",
  // Revalidated on every use (cheap: 304), so an unpublished draft or a revoked link stops at once.
  private: "private, no-cache",
} as const;

export async function sendStoredFile(
  request: FastifyRequest,
  reply: FastifyReply,
  files: FileStore,
  file: FileToSend,
): Promise<FileResult> {
  const size = await files.size(file.sha256);
  if (size === undefined) throw new Error(`stored file ${file.sha256} is missing from ${files.root}`);
  const etag = `"${file.sha256}"`;

  const validators = { etag, "cache-control": CACHE_CONTROL[file.cache] };
  if (matchesIfNoneMatch(request.headers["if-none-match"], etag)) {
    reply.headers(validators);
    return { status: 304, body: undefined };
  }

  const range = file.ranges ? requestedRange(request, etag, size) : undefined; // throws 416
  reply.headers(validators);
  reply.header("content-type", file.mediaType);
  if (file.ranges) reply.header("accept-ranges", "bytes");
  if (file.filename !== undefined) {
    const type = file.disposition === "inline" && INLINE_SAFE.test(file.mediaType) ? "inline" : "attachment";
    reply.header("content-disposition", contentDisposition(file.filename, { type, fallback: asciiFallback(file.filename) }));
  }
  if (range) {
    reply.header("content-range", `bytes ${range.start}-${range.end}/${size}`);
    reply.header("content-length", range.end - range.start + 1);
    return { status: 206, body: files.stream(file.sha256, range) };
  }
  reply.header("content-length", size);
  return { status: 200, body: size === 0 ? new Uint8Array(0) : files.stream(file.sha256) };
}

/** If-None-Match with this entity tag (weak comparison, as RFC 9110 asks for this header), or "*". */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const tags = header.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  return tags.includes(etag);
}

/**
 * The one byte range to send, or undefined for the whole file: no Range header, a Range of another unit or
 * not parseable, several ranges, or an If-Range that no longer matches (RFC 9110 lets a server ignore those).
 * A range that lies wholly outside the file is refused with 416 and `Content-Range: bytes *\/size`.
 */
function requestedRange(request: FastifyRequest, etag: string, size: number): { start: number; end: number } | undefined {
  const header = request.headers.range;
  if (!header) return undefined;
  const ifRange = request.headers["if-range"];
  if (ifRange !== undefined && String(ifRange).trim() !== etag) return undefined;
  // Only well-formed byte ranges are considered (range-parser reads some garbage as "unsatisfiable").
  if (!BYTE_RANGES.test(header)) return undefined;
  const parsed = parseRange(size, header, { combine: true });
  if (parsed === -1) {
    throw new ApiError(
      416,
      "range_not_satisfiable",
      `The file has ${size} bytes; the range ${JSON.stringify(header)} lies outside it.`,
      { headers: { "content-range": `bytes */${size}` } },
    );
  }
  if (parsed === -2 || parsed.type !== "bytes" || parsed.length !== 1) return undefined;
  return parsed[0];
}

/** The plain-ASCII name for clients that ignore filename* (accents dropped, other characters as "_"). */
function asciiFallback(filename: string): string {
  return filename
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]/g, "_");
}
