import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { DownloadedStream } from "@oto/sdk";
import { CliError, UsageError } from "./errors.js";
import { displayPath } from "./io.js";
import type { Session } from "./session.js";

// Saving a downloaded file: to a new file (never over an existing one without --force), into a
// folder under the server's file name, or to stdout. The bytes are hashed on the way and checked
// against the server's SHA-256, and a file appears only once it is complete.

export interface SavedFile {
  /** Where it was written; null for stdout. */
  path: string | null;
  filename: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
}

export interface SaveTarget {
  /** A file, a folder, "-" for stdout, or undefined for the server's file name in the current folder. */
  out?: string;
  force?: boolean;
}

/**
 * Checks a target before anything is downloaded or spent: "-" must not be combined with --json,
 * an existing file needs --force, and the folder must exist.
 */
export async function checkTarget(s: Session, target: SaveTarget): Promise<void> {
  if (target.out === "-") {
    if (s.globals.json) throw new UsageError("--out - writes the file to stdout, which --json needs for itself.");
    return;
  }
  if (target.out === undefined) return;
  const path = resolve(target.out);
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) return;
  if (info && !target.force) throw exists(s, path);
  const folder = await stat(dirname(path)).catch(() => undefined);
  if (!folder?.isDirectory())
    throw new CliError(`cannot write ${target.out}: the folder ${dirname(target.out)} does not exist.`);
}

function exists(s: Session, path: string): CliError {
  return new CliError(
    `${displayPath(path, s.env)} already exists.`,
    1,
    "Add --force to overwrite it, or pick another name with --out.",
  );
}

/** Writes the download to its target; the stream is always read to its end or canceled. */
export async function saveDownload(s: Session, file: DownloadedStream, target: SaveTarget): Promise<SavedFile> {
  const summary = { filename: file.filename, media_type: file.mediaType };
  if (target.out === "-") {
    if (s.ctx.io.isTTY.stdout && !file.mediaType.startsWith("text/")) {
      await file.stream.cancel().catch(() => {});
      throw new UsageError(
        `refusing to write ${file.mediaType} bytes to the terminal.`,
        "Use --out FILE, or redirect stdout to a file.",
      );
    }
    const { size, sha256 } = await copy(file, s.ctx.io.stdout, false);
    return { path: null, ...summary, size_bytes: size, sha256 };
  }

  let path = resolve(target.out ?? file.filename);
  if ((await stat(path).catch(() => undefined))?.isDirectory()) path = join(path, file.filename);
  if (!target.force && (await stat(path).catch(() => undefined))) {
    await file.stream.cancel().catch(() => {});
    throw exists(s, path);
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.part`);
  try {
    const { size, sha256 } = await copy(file, createWriteStream(temp, { flags: "wx", mode: 0o644 }), true);
    if (target.force) await rename(temp, path);
    else {
      // link() fails if the name was taken meanwhile: never clobber a file without --force.
      await link(temp, path).catch((err: NodeJS.ErrnoException) => {
        throw err.code === "EEXIST" ? exists(s, path) : err;
      });
      await rm(temp, { force: true });
    }
    return { path, ...summary, size_bytes: size, sha256 };
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new CliError(`cannot write ${displayPath(path, s.env)}: ${(err as Error).message}`);
    throw err;
  }
}

/**
 * Pipes the body into `sink` (ended after, unless it is stdout), hashing it; a whole file must match
 * the server's SHA-256.
 */
async function copy(
  file: DownloadedStream,
  sink: NodeJS.WritableStream,
  end: boolean,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const source = Readable.fromWeb(file.stream as WebReadableStream<Uint8Array>);
  if (end) await pipeline(source, meter, sink);
  else {
    for await (const chunk of source.pipe(meter)) {
      if (!sink.write(chunk as Buffer)) await new Promise((resolve) => sink.once("drain", resolve));
    }
  }
  const sha256 = hash.digest("hex");
  if (file.status === 200 && /^[0-9a-f]{64}$/.test(file.sha256) && file.sha256 !== sha256) {
    throw new CliError(`the downloaded file does not match the server's SHA-256 (${file.sha256}); nothing was kept.`);
  }
  return { size, sha256 };
}
