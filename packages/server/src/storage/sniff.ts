// What a file really is, read from its bytes. Names and media types claimed by providers or clients are
// never trusted: the only use of the hint is choosing between text/plain and text/markdown for UTF-8 text,
// which no byte signature can tell apart.
import { fileTypeFromBuffer } from "file-type";

export const OCTET_STREAM = "application/octet-stream";
export const TEXT_PLAIN = "text/plain; charset=utf-8";
export const TEXT_MARKDOWN = "text/markdown; charset=utf-8";

export interface Sniffed {
  /** e.g. "image/png", "text/markdown; charset=utf-8", or application/octet-stream when unknown. */
  mediaType: string;
  /** Usual file extension without the dot ("png", "md", "bin"). */
  extension: string;
  /** False when the bytes matched no known format. */
  known: boolean;
}

export interface SniffHint {
  filename?: string;
  mediaType?: string;
}

/**
 * Binary formats by signature (file-type); otherwise valid UTF-8 without control characters is text.
 * Text is only ever served as text/plain or text/markdown (never HTML or SVG, which a browser would run).
 */
export async function sniffMediaType(bytes: Uint8Array, hint: SniffHint = {}): Promise<Sniffed> {
  const detected = await fileTypeFromBuffer(bytes);
  // file-type reads XML-ish documents (SVG, HTML as XML) as application/xml or image/svg+xml: text is text.
  if (detected && !isScriptableText(detected.mime)) {
    return { mediaType: detected.mime, extension: detected.ext, known: true };
  }
  if (isUtf8Text(bytes)) {
    return looksLikeMarkdownClaim(hint) ?? markdownOrPlain(bytes);
  }
  return { mediaType: OCTET_STREAM, extension: "bin", known: false };
}

function isScriptableText(mime: string): boolean {
  return mime === "application/xml" || mime === "image/svg+xml" || mime === "text/html";
}

/** Valid UTF-8 (an optional BOM allowed) with no control characters other than tab, newlines and form feed. */
export function isUtf8Text(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}

function looksLikeMarkdownClaim(hint: SniffHint): Sniffed | undefined {
  const type = hint.mediaType?.split(";")[0]?.trim().toLowerCase();
  const ext = hint.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (type === "text/markdown" || type === "text/x-markdown" || ext === "md" || ext === "markdown") {
    return { mediaType: TEXT_MARKDOWN, extension: "md", known: true };
  }
  if (type === "text/plain" || ext === "txt") return { mediaType: TEXT_PLAIN, extension: "txt", known: true };
  return undefined;
}

// Constructs that are rare in plain prose but common in Markdown, with how strongly each one suggests it.
const MARKDOWN_SIGNS: [RegExp, number][] = [
  [/^#{1,6}\s+\S/m, 2], // ATX heading
  [/^\s{0,3}(?:```|~~~)/m, 2], // fenced code
  [/\[[^\]\n]+\]\([^)\s]+\)/, 2], // link
  [/^\s{0,3}(?:[-*+]|\d+\.)\s+\S/m, 1], // list item
  [/^\s{0,3}>\s?\S/m, 1], // block quote
  [/^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$/m, 1], // thematic break
  [/(?:\*\*|__)[^*_\n]+(?:\*\*|__)|(?:^|\s)[*_][^*_\s][^*_\n]*[*_](?=\s|[.,;:!?]|$)/m, 1], // emphasis
  [/^\S.*\n(?:=+|-+)\s*$/m, 1], // setext heading
];

/** Markdown when its signs add up to 2 (a heading or a link alone; or two weaker signs together). */
export function markdownOrPlain(bytes: Uint8Array): Sniffed {
  const text = new TextDecoder("utf-8").decode(bytes.subarray(0, 64 * 1024));
  const score = MARKDOWN_SIGNS.reduce((sum, [pattern, weight]) => sum + (pattern.test(text) ? weight : 0), 0);
  return score >= 2
    ? { mediaType: TEXT_MARKDOWN, extension: "md", known: true }
    : { mediaType: TEXT_PLAIN, extension: "txt", known: true };
}
