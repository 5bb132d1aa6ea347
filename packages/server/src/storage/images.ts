// Images and animations (animated WebP/GIF is oTo's "video"): dimensions, frame timing, shrinking of oversized
// files in their own format, and a WebP thumbnail (the first frame: a poster for animations).
import sharp from "sharp";

/** Longest side kept as is; larger images are scaled down to fit. */
export const MAX_IMAGE_SIDE = 4096;
/** Files larger than this are recompressed (and scaled down further if needed). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Images (all frames together) larger than this are refused rather than decoded (decompression bombs). */
export const MAX_IMAGE_PIXELS = 120_000_000;
export const THUMBNAIL_WIDTH = 512;
/** Very tall images would make tall thumbnails; their height is capped too. */
const THUMBNAIL_MAX_HEIGHT = 2048;

type Format = "png" | "jpeg" | "webp" | "gif" | "avif" | "tiff";

const FORMATS: Record<string, Format> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
  "image/tiff": "tiff",
};

export interface ImageFacts {
  /** The bytes to store: the input, or a smaller re-encoding of it in the same format. */
  bytes: Uint8Array;
  width: number;
  height: number;
  /** Frames of an animation (1 for a still image). */
  frameCount: number;
  /** Sum of the frame delays, for animations; null for still images. */
  durationS: number | null;
  /** WebP, at most THUMBNAIL_WIDTH wide (the first frame of an animation). */
  thumbnail: Uint8Array;
  compressed: boolean;
}

/** An image too large to decode safely; the message can be shown to the user. */
export class ImageTooLargeError extends Error {
  override readonly name = "ImageTooLargeError";
}

/** Whether this media type is a raster format handled here. */
export function isRasterImage(mediaType: string): boolean {
  return mediaType in FORMATS;
}

/**
 * Reads, shrinks if oversized, and thumbnails an image. Answers undefined when the bytes do not decode
 * (a file whose signature looks right but whose body is broken is still stored, without thumbnail).
 */
export async function processImage(input: Uint8Array, mediaType: string): Promise<ImageFacts | undefined> {
  const format = FORMATS[mediaType];
  if (!format) return undefined;
  let meta: sharp.Metadata;
  try {
    // Only the header is read here, so sharp's own pixel limit is lifted: ours below gives the clearer error.
    meta = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
  } catch {
    return undefined;
  }
  if (!meta.width || !meta.height) return undefined;
  if (meta.width * meta.height > MAX_IMAGE_PIXELS) {
    throw new ImageTooLargeError(
      `The image is ${meta.width}×${meta.height} pixels; images over ${MAX_IMAGE_PIXELS / 1_000_000} megapixels are refused.`,
    );
  }

  let bytes = input;
  let compressed = false;
  const frameHeight = meta.pageHeight ?? meta.height;
  if (Math.max(meta.width, frameHeight) > MAX_IMAGE_SIDE || input.byteLength > MAX_IMAGE_BYTES) {
    const smaller = await shrink(input, format, meta.width, frameHeight);
    if (smaller) {
      bytes = smaller;
      compressed = true;
      meta = await sharp(bytes, { animated: true }).metadata();
    }
  }

  const frameCount = meta.pages ?? 1;
  const delays = meta.delay ?? [];
  const durationS = frameCount > 1 ? Math.round(delays.slice(0, frameCount).reduce((sum, d) => sum + d, 0)) / 1000 : null;
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.pageHeight ?? meta.height };
  // Animated files report the whole strip's height; a frame is pageHeight tall (orientation does not apply).
  const width = frameCount > 1 ? meta.width : oriented.width;
  const height = frameCount > 1 ? (meta.pageHeight ?? meta.height) : oriented.height;

  const thumbnail = await sharp(bytes, { page: 0, pages: 1 })
    .rotate()
    .resize({ width: THUMBNAIL_WIDTH, height: THUMBNAIL_MAX_HEIGHT, fit: "inside", withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();

  return { bytes, width, height, frameCount, durationS, thumbnail: asUint8(thumbnail), compressed };
}

/**
 * The image re-encoded in its own format, fitting MAX_IMAGE_SIDE and, if possible, MAX_IMAGE_BYTES: first at
 * good quality, then at lower quality, then smaller. Metadata (provenance notices in EXIF/XMP) is kept.
 * Undefined if no attempt came out smaller than the input.
 */
async function shrink(input: Uint8Array, format: Format, width: number, height: number): Promise<Uint8Array | undefined> {
  let side = Math.min(MAX_IMAGE_SIDE, Math.max(width, height));
  let best: Uint8Array | undefined;
  for (let attempt = 0; attempt < 6; attempt++) {
    const effort = Math.min(attempt, 2); // 0: good quality, 1-2: lower quality; then also smaller
    const output = await encode(input, format, side, effort);
    if (!best || output.byteLength < best.byteLength) best = output;
    if (output.byteLength <= MAX_IMAGE_BYTES) break;
    if (attempt >= 2) side = Math.max(256, Math.round(side * 0.75));
  }
  const fitsSide = Math.max(width, height) > MAX_IMAGE_SIDE;
  return best && (fitsSide || best.byteLength < input.byteLength) ? best : undefined;
}

async function encode(input: Uint8Array, format: Format, side: number, effort: number): Promise<Uint8Array> {
  const quality = [85, 70, 55][effort]!;
  let pipeline = sharp(input, { animated: true })
    .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true })
    .keepMetadata();
  switch (format) {
    case "png":
      pipeline = pipeline.png({ compressionLevel: 9, adaptiveFiltering: true, ...(effort > 0 ? { palette: true, quality } : {}) });
      break;
    case "jpeg":
      pipeline = pipeline.jpeg({ quality, mozjpeg: true });
      break;
    case "webp":
      pipeline = pipeline.webp({ quality });
      break;
    case "gif":
      pipeline = pipeline.gif({ effort: 10, ...(effort > 0 ? { colours: effort > 1 ? 64 : 128 } : {}) });
      break;
    case "avif":
      pipeline = pipeline.avif({ quality: quality - 25 });
      break;
    case "tiff":
      pipeline = pipeline.tiff({ compression: effort > 0 ? "jpeg" : "lzw", quality });
      break;
  }
  return asUint8(await pipeline.toBuffer());
}

function asUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
