// The content-addressed file store on real files from the local generator: sniffing (the claimed type is not
// trusted), images (dimensions, thumbnails, shrinking oversized ones), animations (poster, frames, duration),
// WAV duration, deduplication and atomic writes.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { generateLocally } from "../../src/generation/local/index.js";
import type { GeneratedFile, OutputKind } from "../../src/generation/provider.js";
import { FileStore, ImageTooLargeError } from "../../src/storage/files.js";
import { MAX_IMAGE_SIDE } from "../../src/storage/images.js";

const noContext = { signal: new AbortController().signal, progress: () => {} };

async function local(kind: OutputKind, prompt: string, parameters: Record<string, unknown> = {}): Promise<GeneratedFile> {
  return generateLocally(
    { jobId: `job_store_${kind}`, kind, prompt, parameters, inputs: [], agent: { id: "ag_test", name: "test" } },
    noContext,
  );
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let dir: string;
let store: FileStore;
let image: GeneratedFile;
let video: GeneratedFile;
let voice: GeneratedFile;
let text: GeneratedFile;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "oto-store-test-"));
  store = await FileStore.open({ filesDir: path.join(dir, "files"), dataDir: "memory:" });
  [image, video, voice, text] = await Promise.all([
    local("image", "a lighthouse at dusk", { width: 800, height: 600 }),
    local("video", "orbits over a calm sea", { width: 160, height: 90, duration_s: 2 }),
    local("voice", "hello there", { duration_s: 1.5 }),
    local("text", "a short story about a fox"),
  ]);
}, 60_000);

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sniffing: the bytes decide, not the claim", () => {
  it("stores a PNG named notes.txt and claimed as text/plain as image/png", async () => {
    const stored = await store.put(image.bytes, { filename: "notes.txt", mediaType: "text/plain" });
    expect(stored.mediaType).toBe("image/png");
    expect(stored.extension).toBe("png");
    expect(stored.recognized).toBe(true);
    expect(stored.width).toBe(800);
    expect(stored.height).toBe(600);
    expect(stored.sizeBytes).toBe(image.bytes.byteLength);
    expect(stored.sha256).toBe(sha(image.bytes));
  });

  it("stores a WAV claimed as image/png as audio/wav with its duration from the header", async () => {
    const stored = await store.put(voice.bytes, { filename: "picture.png", mediaType: "image/png" });
    expect(stored.mediaType).toBe("audio/wav");
    expect(stored.durationS).toBeCloseTo(1.5, 3);
    expect(stored.thumbnailSha256).toBeNull();
    expect(stored.width).toBeNull();
  });

  it("recognises the local generator's Markdown whatever it is called, and plain text as plain", async () => {
    const markdown = await store.put(text.bytes, { filename: "output", mediaType: "application/octet-stream" });
    expect(markdown.mediaType).toBe("text/markdown; charset=utf-8");
    const plain = await store.put(new TextEncoder().encode("Just one sentence, nothing more.\n"), {
      filename: "x",
      mediaType: "image/png",
    });
    expect(plain.mediaType).toBe("text/plain; charset=utf-8");
    // For text (and only there) the claim picks between the two text types.
    const claimedPlain = await store.put(text.bytes, { filename: "story.txt", mediaType: "text/plain" });
    expect(claimedPlain.mediaType).toBe("text/plain; charset=utf-8");
  });

  it("never serves markup as HTML or SVG: such text is stored as plain text", async () => {
    const svg = new TextEncoder().encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const stored = await store.put(svg, { filename: "x.svg", mediaType: "image/svg+xml" });
    expect(stored.mediaType).toBe("text/plain; charset=utf-8");
    const html = await store.put(new TextEncoder().encode("<!doctype html><html><script>alert(1)</script></html>"), {
      filename: "x.html",
      mediaType: "text/html",
    });
    expect(html.mediaType).toBe("text/plain; charset=utf-8");
  });

  it("flags bytes of no known format as application/octet-stream", async () => {
    const noise = new Uint8Array(256).map((_, i) => (i * 37 + 11) % 256);
    const stored = await store.put(noise, { filename: "x.png", mediaType: "image/png" });
    expect(stored.mediaType).toBe("application/octet-stream");
    expect(stored.recognized).toBe(false);
    expect(stored.thumbnailSha256).toBeNull();
  });
});

describe("images and animations", () => {
  it("makes a WebP thumbnail at most 512 px wide, kept in the same store", async () => {
    const stored = await store.put(image.bytes, { filename: "a.png", mediaType: "image/png" });
    expect(stored.thumbnailSha256).toMatch(/^[0-9a-f]{64}$/);
    const thumbnail = await store.read(stored.thumbnailSha256!);
    const meta = await sharp(thumbnail).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.width).toBe(512);
    expect(meta.height).toBe(384);
    expect(sha(thumbnail)).toBe(stored.thumbnailSha256);
  });

  it("reads an animated WebP's frames and duration and makes a poster of its first frame", async () => {
    const stored = await store.put(video.bytes, { filename: "clip.webp", mediaType: "video/webm" });
    expect(stored.mediaType).toBe("image/webp");
    expect(stored.width).toBe(160);
    expect(stored.height).toBe(90);
    expect(stored.frameCount).toBe(24);
    expect(stored.durationS).toBeCloseTo(2, 1);
    const poster = await store.read(stored.thumbnailSha256!);
    const meta = await sharp(poster, { animated: true }).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.pages ?? 1).toBe(1);
    expect([meta.width, meta.height]).toEqual([160, 90]);
    // The poster is the first frame: compare it with the first frame decoded independently.
    const first = await sharp(video.bytes, { page: 0 }).resize(16, 9).removeAlpha().raw().toBuffer();
    const posterPixels = await sharp(poster).resize(16, 9).removeAlpha().raw().toBuffer();
    expect(posterPixels.length).toBe(first.length);
    const difference = first.reduce((sum, value, i) => sum + Math.abs(value - posterPixels[i]!), 0) / first.length;
    expect(difference).toBeLessThan(8);
  });

  it("scales an oversized image down in its own format and keeps its provenance metadata", async () => {
    const huge = await sharp(image.bytes).resize(5000, 3750).keepMetadata().png().toBuffer();
    const stored = await store.put(huge, { filename: "huge.png", mediaType: "image/png" });
    expect(stored.compressed).toBe(true);
    expect(stored.mediaType).toBe("image/png");
    expect(stored.width).toBe(MAX_IMAGE_SIDE);
    expect(stored.height).toBe(3072);
    const bytes = await store.read(stored.sha256);
    expect(stored.sizeBytes).toBe(bytes.byteLength);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", MAX_IMAGE_SIDE, 3072]);
    expect(meta.exif?.toString("latin1") ?? "").toContain("not AI");
  }, 60_000);

  it("refuses an image too large to decode safely (a decompression bomb) and stores nothing", async () => {
    // A PNG whose header claims 20000×20000 pixels: tiny on disk, 1.6 GB once decoded.
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(20_000, 0);
    header.writeUInt32BE(20_000, 4);
    header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", header),
      chunk("IDAT", deflateSync(Buffer.alloc(1024))),
      chunk("IEND", Buffer.alloc(0)),
    ]);
    await expect(store.put(bomb, { filename: "bomb.png", mediaType: "image/png" })).rejects.toThrow(ImageTooLargeError);
    expect(await store.has(sha(bomb))).toBe(false);
  });

  it("leaves images within the limits byte for byte as they are", async () => {
    const stored = await store.put(image.bytes, { filename: "a.png", mediaType: "image/png" });
    expect(stored.compressed).toBe(false);
    expect(Buffer.from(await store.read(stored.sha256)).equals(Buffer.from(image.bytes))).toBe(true);
  });
});

describe("content addressing", () => {
  it("stores identical content once, under <aa>/<bb>/<sha256>", async () => {
    const a = await store.put(voice.bytes, { filename: "one.wav", mediaType: "audio/wav" });
    const before = statSync(store.pathOf(a.sha256)).mtimeMs;
    const b = await store.put(voice.bytes, { filename: "two.wav", mediaType: "audio/x-wav" });
    expect(b.sha256).toBe(a.sha256);
    expect(store.pathOf(a.sha256)).toBe(path.join(store.root, a.sha256.slice(0, 2), a.sha256.slice(2, 4), a.sha256));
    expect(statSync(store.pathOf(a.sha256)).mtimeMs).toBe(before);
    expect(readdirSync(path.dirname(store.pathOf(a.sha256)))).toEqual([a.sha256]);
  });

  it("writes atomically: concurrent writers of the same bytes leave one whole file and no temporaries", async () => {
    const bytes = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 7) % 251);
    const hashes = await Promise.all(Array.from({ length: 8 }, () => store.putBytes(bytes)));
    expect(new Set(hashes)).toEqual(new Set([sha(bytes)]));
    const read = await store.read(sha(bytes));
    expect(sha(read)).toBe(sha(bytes));
    expect(readdirSync(path.join(store.root, ".tmp"))).toEqual([]);
  });

  it("removes stale temporaries of a crashed write on open, and never shows them as files", async () => {
    const root = path.join(dir, "crashed");
    const first = await FileStore.open({ filesDir: root, dataDir: "memory:" });
    await first.close();
    const stale = path.join(root, ".tmp", "deadbeef.partial");
    writeFileSync(stale, "half a file");
    utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const fresh = path.join(root, ".tmp", "cafe.partial");
    writeFileSync(fresh, "another server is writing this");
    const reopened = await FileStore.open({ filesDir: root, dataDir: "memory:" });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    await reopened.close();
  });

  it("refuses names that are not sha256 digests (no path traversal)", async () => {
    await expect(store.read("../../etc/passwd")).rejects.toThrow(/not a sha256/);
    await expect(store.read("0".repeat(64))).rejects.toThrow(/not in the store/);
  });
});

describe("where files live", () => {
  it("uses <dataDir>/files for a data folder, and a temporary folder removed on close in memory mode", async () => {
    const dataDir = path.join(dir, "data");
    const onDisk = await FileStore.open(loadConfig({ OTO_DATA_DIR: dataDir }));
    expect(onDisk.root).toBe(path.join(dataDir, "files"));
    await onDisk.close();
    expect(existsSync(onDisk.root)).toBe(true);

    const inMemory = await FileStore.open(loadConfig({ OTO_DATA_DIR: "memory:" }));
    const stored = await inMemory.put(voice.bytes, { filename: "a.wav", mediaType: "audio/wav" });
    expect(existsSync(inMemory.pathOf(stored.sha256))).toBe(true);
    await inMemory.close();
    expect(existsSync(inMemory.root)).toBe(false);
  });
});
