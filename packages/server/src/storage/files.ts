// Content-addressed file storage: every file lives at <root>/<aa>/<bb>/<sha256 of its bytes>, so identical
// content is stored once and a name never changes meaning. Writes go to a temporary file in the same folder
// tree and are renamed into place, so a reader never sees half a file, even after a crash.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ServerConfig } from "../config.js";
import { isRasterImage, processImage } from "./images.js";

export { ImageTooLargeError } from "./images.js";
import { sniffMediaType } from "./sniff.js";
import { readWavHeader } from "./wav.js";

export interface StoredFile {
  sha256: string;
  /** Sniffed from the bytes (text as "text/markdown; charset=utf-8" or "text/plain; charset=utf-8"). */
  mediaType: string;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  /** Audio length, or the sum of frame delays of an animation. */
  durationS: number | null;
  /** A WebP of at most 512 px wide (poster frame for animations), stored in the same store. */
  thumbnailSha256: string | null;
  /** Frames of an animation; 1 for a still image; null for anything else. */
  frameCount: number | null;
  /** False when the bytes matched no known format: stored as application/octet-stream, for the caller to judge. */
  recognized: boolean;
  /** The usual extension for the sniffed type ("png", "md", "bin"). */
  extension: string;
  /** True when an oversized image was scaled down or recompressed before storing. */
  compressed: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;
const TEMP_DIR = ".tmp";
const STALE_TEMP_MS = 60 * 60 * 1000;

export class FileStore {
  private closed = false;

  private constructor(
    /** The folder holding the files. */
    readonly root: string,
    /** Removed on close (memory mode's temporary folder). */
    private readonly ephemeral: boolean,
  ) {}

  /** filesDir, else <dataDir>/files, else (in-memory databases) a temporary folder removed on close. */
  static async open(config: Pick<ServerConfig, "filesDir" | "dataDir">): Promise<FileStore> {
    let store: FileStore;
    if (config.filesDir) store = new FileStore(path.resolve(config.filesDir), false);
    else if (config.dataDir !== "memory:") store = new FileStore(path.resolve(config.dataDir, "files"), false);
    else store = new FileStore(await mkdtemp(path.join(tmpdir(), "oto-files-")), true);
    await mkdir(path.join(store.root, TEMP_DIR), { recursive: true });
    await store.removeLeftoverTemps();
    return store;
  }

  /**
   * Stores a file: sniffs its type (the hint only chooses between plain text and Markdown), scales down
   * oversized images, reads dimensions and durations, and stores a WebP thumbnail or poster for images.
   * Throws ImageTooLargeError for images over MAX_IMAGE_PIXELS (nothing is stored).
   */
  async put(input: Uint8Array, hint: { filename: string; mediaType: string }): Promise<StoredFile> {
    this.assertOpen();
    const sniffed = await sniffMediaType(input, hint);
    let bytes = input;
    let width: number | null = null;
    let height: number | null = null;
    let durationS: number | null = null;
    let frameCount: number | null = null;
    let thumbnailSha256: string | null = null;
    let compressed = false;

    if (isRasterImage(sniffed.mediaType)) {
      const image = await processImage(input, sniffed.mediaType);
      if (image) {
        ({ bytes, width, height, durationS, frameCount, compressed } = image);
        thumbnailSha256 = await this.putBytes(image.thumbnail);
      }
    } else if (sniffed.mediaType === "audio/wav") {
      durationS = readWavHeader(input)?.durationS ?? null;
    }

    const sha256 = await this.putBytes(bytes);
    return {
      sha256,
      mediaType: sniffed.mediaType,
      sizeBytes: bytes.byteLength,
      width,
      height,
      durationS,
      thumbnailSha256,
      frameCount,
      recognized: sniffed.known,
      extension: sniffed.extension,
      compressed,
    };
  }

  /** Stores bytes as they are (no sniffing); answers their sha256. Identical content is written once. */
  async putBytes(bytes: Uint8Array): Promise<string> {
    this.assertOpen();
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.pathOf(sha256);
    if (await exists(target)) return sha256;
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(this.root, TEMP_DIR, `${sha256}.${randomBytes(6).toString("hex")}`);
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => {});
      throw error;
    }
    await handle.close();
    // Two writers of the same content both rename onto the same name: either result is the same file.
    await rename(temp, target);
    return sha256;
  }

  /** The whole file (e.g. inputs of a fork). Throws FileNotFoundError when it is not stored. */
  async read(sha256: string): Promise<Uint8Array> {
    this.assertOpen();
    try {
      return new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch (error) {
      throw notFound(sha256, error);
    }
  }

  /** Size of a stored file, or undefined when it is missing. */
  async size(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return undefined;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== undefined;
  }

  /** A stream of the file or of bytes start..end (inclusive), for HTTP downloads and ranges. */
  stream(sha256: string, range?: { start: number; end: number }): ReadStream {
    this.assertOpen();
    return createReadStream(this.pathOf(sha256), range ? { start: range.start, end: range.end } : {});
  }

  /** Where a file with this hash lives (whether or not it is stored). */
  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ephemeral) await rm(this.root, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the file store is closed");
  }

  /**
   * Temporary files left by a crash mid-write are incomplete by definition. Only old ones are removed:
   * another server sharing this folder may be writing the recent ones.
   */
  private async removeLeftoverTemps(): Promise<void> {
    const dir = path.join(this.root, TEMP_DIR);
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(dir)) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(file, { force: true });
    }
  }
}

export class FileNotFoundError extends Error {
  override readonly name = "FileNotFoundError";
}

function notFound(sha256: string, cause: unknown): Error {
  if ((cause as NodeJS.ErrnoException)?.code === "ENOENT") {
    return new FileNotFoundError(`file ${sha256} is not in the store`, { cause });
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
