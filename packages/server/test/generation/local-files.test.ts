// The local provider's files, end to end through its public API: each kind is a real, valid file that says it
// is a procedural placeholder, output is deterministic, parameters are clamped or refused, forks use their input.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { GeneratedFile, GenerationInputFile, GenerationRequest, OutputKind } from "../../src/generation/provider.js";
import { LocalProvider, NOTICE, TEXT_FOOTER } from "../../src/generation/local/index.js";
import { encodeWav } from "../../src/generation/local/wav.js";

const provider = new LocalProvider();
let jobCounter = 0;

function request(kind: OutputKind, prompt: string, parameters: Record<string, unknown> = {}, inputs: GenerationInputFile[] = []): GenerationRequest {
  jobCounter++;
  return { jobId: `job_files${jobCounter}`, kind, prompt, parameters, inputs, agent: { id: "agt_test", name: "Local test agent" } };
}

async function settle(req: GenerationRequest) {
  const { externalId } = await provider.submit(req);
  for (;;) {
    const status = await provider.status(externalId);
    if (status.state !== "queued" && status.state !== "running") return status;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function generate(kind: OutputKind, prompt: string, parameters: Record<string, unknown> = {}, inputs: GenerationInputFile[] = []): Promise<GeneratedFile> {
  const status = await settle(request(kind, prompt, parameters, inputs));
  if (status.state !== "succeeded") throw new Error(`expected success, got ${JSON.stringify(status)}`);
  expect(status.outputs).toHaveLength(1);
  return status.outputs[0]!;
}

function expectProvenance(file: GeneratedFile): void {
  expect(file.metadata.generator).toBe("oto-local-procedural/1");
  expect(file.metadata.notice).toBe("Procedural placeholder made offline by oTo; not AI-generated.");
  expect(file.metadata.seed).toMatch(/^[0-9a-f]{64}$/);
}

const text = (file: GeneratedFile): string => new TextDecoder().decode(file.bytes);
const input = (kind: OutputKind, mediaType: string, bytes: Uint8Array, creationId = "cre_input"): GenerationInputFile => ({ creationId, kind, mediaType, bytes });

/** An independent RIFF reader, so the WAV writer is not checked against itself. */
function parseWav(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  expect(tag(0)).toBe("RIFF");
  expect(view.getUint32(4, true)).toBe(bytes.length - 8);
  expect(tag(8)).toBe("WAVE");
  const chunks = new Map<string, Uint8Array>();
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    chunks.set(tag(at), bytes.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  const fmt = chunks.get("fmt ")!;
  const f = new DataView(fmt.buffer, fmt.byteOffset, fmt.byteLength);
  const data = chunks.get("data")!;
  const samples = new Int16Array(data.length / 2);
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < samples.length; i++) samples[i] = d.getInt16(i * 2, true);
  return {
    audioFormat: f.getUint16(0, true),
    channels: f.getUint16(2, true),
    sampleRate: f.getUint32(4, true),
    byteRate: f.getUint32(8, true),
    blockAlign: f.getUint16(12, true),
    bits: f.getUint16(14, true),
    list: new TextDecoder("latin1").decode(chunks.get("LIST") ?? new Uint8Array()),
    samples,
  };
}

/** Relative power of one frequency (Goertzel), normalised by the signal's total energy. */
function tonePower(samples: Int16Array, sampleRate: number, frequency: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const sample of samples) {
    const s0 = sample + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += sample * sample;
  }
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (energy * samples.length);
}

/** Mean luminance of the left and right halves of an image (first frame if animated). */
async function halves(bytes: Uint8Array): Promise<{ left: number; right: number }> {
  const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  let left = 0;
  let right = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const v = data[(y * info.width + x) * info.channels]!;
      if (x < info.width / 2) left += v;
      else right += v;
    }
  }
  const half = (info.width / 2) * info.height;
  return { left: left / half, right: right / half };
}

/** Left half white, right half black: a fork of this keeps a bright left side. */
async function halfWhiteImage(): Promise<Uint8Array> {
  const width = 200;
  const height = 120;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) raw.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return new Uint8Array(await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer());
}

describe("local provider: text", () => {
  it("writes Markdown with a title from the prompt and the not-AI footer", async () => {
    const file = await generate("text", "A lighthouse keeper who collects storms");
    expect(file.mediaType).toBe("text/markdown; charset=utf-8");
    expect(file.filename).toBe("a-lighthouse-keeper-who-collects-storms.md");
    expectProvenance(file);
    const markdown = text(file);
    expect(markdown.startsWith("# A lighthouse keeper who collects storms\n")).toBe(true);
    expect(markdown).toContain(TEXT_FOOTER);
    expect(TEXT_FOOTER).toBe("Generated offline by oTo's local procedural generator — a placeholder, not AI.");
    expect(markdown).toMatch(/lighthouse|keeper|storms/);
    expect(Number(file.metadata.words)).toBeGreaterThan(60);
  });

  it("respects max_words for the body and clamps it", async () => {
    for (const max of [1, 12, 40]) {
      const markdown = text(await generate("text", "Rain over the old harbour", { max_words: max }));
      const body = markdown.split("\n\n").slice(1, -2).join(" ");
      const words = body.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
      expect(words.length).toBeLessThanOrEqual(max);
      expect(words.length).toBeGreaterThan(0);
    }
    const clamped = await generate("text", "Rain over the old harbour", { max_words: 0 });
    expect(Number(clamped.metadata.words)).toBe(1);
  });

  it("keeps prompt text from becoming Markdown or HTML structure", async () => {
    const markdown = text(await generate("text", "<img src=x onerror=alert(1)> **bold** [link](http://x)"));
    expect(markdown).not.toMatch(/<img|\*\*bold|\]\(/);
  });

  it("builds on a forked text: quotes it and picks up its words", async () => {
    const original = new TextEncoder().encode("# Tides\n\nThe cormorant waits on the breakwater while the ferry hums.\n");
    const markdown = text(await generate("text", "Continue with the harbour cat", {}, [input("text", "text/markdown", original)]));
    expect(markdown).toContain("> The cormorant waits on the breakwater while the ferry hums.");
    expect(markdown).toContain("Building on that earlier piece");
  });
});

describe("local provider: image", () => {
  it("renders a PNG of the default size with the notice in EXIF and XMP", async () => {
    const file = await generate("image", "a red fox at dawn");
    expect(file.mediaType).toBe("image/png");
    expect(file.filename).toBe("a-red-fox-at-dawn.png");
    expectProvenance(file);
    const meta = await sharp(file.bytes).metadata();
    expect(meta.format).toBe("png");
    expect([meta.width, meta.height]).toEqual([768, 768]);
    expect(meta.exif?.toString("latin1")).toContain(NOTICE);
    expect(meta.exif?.toString("latin1")).toContain("oTo local procedural generator");
    expect(meta.xmp?.toString("utf8")).toContain(NOTICE);
    // Not a flat fill: a procedural picture has many distinct tones.
    const stats = await sharp(file.bytes).stats();
    expect(stats.channels.slice(0, 3).every((channel) => channel.stdev > 8)).toBe(true);
  });

  it("honours width/height, clamps them to 64..2048 and refuses non-numbers", async () => {
    const small = await sharp((await generate("image", "tiles", { width: 320, height: 200 })).bytes).metadata();
    expect([small.width, small.height]).toEqual([320, 200]);
    const clamped = await sharp((await generate("image", "tiles", { width: 3, height: 99_999 })).bytes).metadata();
    expect([clamped.width, clamped.height]).toEqual([64, 2048]);
    const fromStrings = await sharp((await generate("image", "tiles", { width: "100", height: "90" })).bytes).metadata();
    expect([fromStrings.width, fromStrings.height]).toEqual([100, 90]);
    const refused = await settle(request("image", "tiles", { width: "huge" }));
    expect(refused).toEqual({ state: "failed", error: 'parameter width must be a number between 64 and 2048 (got "huge")', retryable: false });
  });

  it("takes its colours from colour words in the prompt", async () => {
    const means = async (prompt: string) => {
      const stats = await sharp((await generate("image", prompt, { width: 128, height: 128 })).bytes).stats();
      const [r, g, b] = stats.channels.map((channel) => channel.mean) as [number, number, number];
      return { r, g, b };
    };
    for (const prompt of ["a red fox", "crimson fire at night", "a red kite over hills"]) {
      const { r, g, b } = await means(prompt);
      expect(r, prompt).toBeGreaterThan(Math.max(g, b));
    }
    for (const prompt of ["a blue whale", "the deep ocean", "blue hour in the city"]) {
      const { r, g, b } = await means(prompt);
      expect(b, prompt).toBeGreaterThan(Math.max(r, g));
    }
    for (const prompt of ["a green forest", "moss on stones", "green tea"]) {
      const { r, g, b } = await means(prompt);
      expect(g, prompt).toBeGreaterThan(Math.max(r, b));
    }
  });

  it("derives a fork from its input image", async () => {
    const source = await halfWhiteImage();
    const fork = await generate("image", "the same, but stormy", { width: 200, height: 120 }, [input("image", "image/png", source, "cre_src")]);
    expect(fork.metadata.forked_from).toBe("cre_src");
    const { left, right } = await halves(fork.bytes);
    expect(left - right).toBeGreaterThan(60);
  });

  it("fails readably when a forked image cannot be decoded", async () => {
    const status = await settle(request("image", "x", {}, [input("image", "image/png", new TextEncoder().encode("not a png"), "cre_bad")]));
    expect(status.state).toBe("failed");
    expect(status.state === "failed" && status.error).toMatch(/^input creation cre_bad \(image\/png\) could not be read as an image/);
  });
});

describe("local provider: voice", () => {
  it("writes a 16-bit mono 22050 Hz WAV of the requested length with an INFO comment", async () => {
    const file = await generate("voice", "Hello there, would you like to hear a story?", { duration_s: 2.5 });
    expect(file.mediaType).toBe("audio/wav");
    expect(file.filename).toBe("hello-there-would-you-like-to-hear-a-story.wav");
    expectProvenance(file);
    const wav = parseWav(file.bytes);
    expect(wav).toMatchObject({ audioFormat: 1, channels: 1, sampleRate: 22050, byteRate: 44100, blockAlign: 2, bits: 16 });
    expect(Math.abs(wav.samples.length / 22050 - 2.5) / 2.5).toBeLessThan(0.01);
    expect(wav.list.startsWith("INFO")).toBe(true);
    expect(wav.list).toContain("ICMT");
    expect(wav.list).toContain("Procedural placeholder made offline by oTo; not AI-generated.");
    const rms = Math.sqrt(wav.samples.reduce((sum, s) => sum + s * s, 0) / wav.samples.length);
    expect(rms).toBeGreaterThan(1000);
    // Syllables with pauses between them, not a continuous tone.
    const quiet = wav.samples.filter((s) => Math.abs(s) < 200).length / wav.samples.length;
    expect(quiet).toBeGreaterThan(0.05);
  });

  it("defaults to 4 s and clamps duration_s to 1..30", async () => {
    const duration = async (parameters: Record<string, unknown>) => parseWav((await generate("voice", "la la", parameters)).bytes).samples.length / 22050;
    expect(await duration({})).toBeCloseTo(4, 2);
    expect(await duration({ duration_s: 0 })).toBeCloseTo(1, 2);
    expect(await duration({ duration_s: 500 })).toBeCloseTo(30, 2);
    const refused = await settle(request("voice", "la", { duration_s: true }));
    expect(refused.state === "failed" && refused.error).toBe("parameter duration_s must be a number between 1 and 30 (got true)");
  });

  it("lays a forked voice under the new one", async () => {
    const tone = new Int16Array(22050 * 3);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 22050));
    const source = encodeWav(tone, 22050, { title: "tone", comment: "test tone", software: "test" });
    const plain = parseWav((await generate("voice", "one more verse", { duration_s: 3 })).bytes);
    const forkFile = await generate("voice", "one more verse", { duration_s: 3 }, [input("voice", "audio/wav", source, "cre_tone")]);
    expect(forkFile.metadata.forked_from).toBe("cre_tone");
    const fork = parseWav(forkFile.bytes);
    expect(tonePower(fork.samples, 22050, 440)).toBeGreaterThan(10 * tonePower(plain.samples, 22050, 440));
  });
});

describe("local provider: video", () => {
  it("writes a looping animated WebP of 3 s at 12 fps, 480x270 by default", async () => {
    const file = await generate("video", "orange fish in a blue sea");
    expect(file.mediaType).toBe("image/webp");
    expect(file.filename).toBe("orange-fish-in-a-blue-sea.webp");
    expectProvenance(file);
    expect(file.metadata).toMatchObject({ frames: "36", fps: "12", duration_s: "3", width: "480", height: "270" });
    const meta = await sharp(file.bytes, { animated: true }).metadata();
    expect(meta.format).toBe("webp");
    expect(meta.pages).toBe(36);
    expect(meta.loop).toBe(0);
    expect([meta.width, meta.pageHeight]).toEqual([480, 270]);
    expect(meta.delay?.reduce((sum, d) => sum + d, 0)).toBe(3000);
    expect(meta.exif?.toString("latin1")).toContain(NOTICE);
    const frame = async (page: number) => sharp(file.bytes, { page }).raw().toBuffer();
    const [first, later] = await Promise.all([frame(0), frame(9)]);
    expect(first.equals(later)).toBe(false);
  });

  it("clamps size and duration, and refuses non-numbers", async () => {
    const file = await generate("video", "dots", { width: 1, height: 1, duration_s: 0.2 });
    const meta = await sharp(file.bytes, { animated: true }).metadata();
    expect([meta.width, meta.pageHeight, meta.pages]).toEqual([64, 64, 12]);
    const long = await generate("video", "dots", { width: 5000, height: 5000, duration_s: 60 });
    const longMeta = await sharp(long.bytes, { animated: true }).metadata();
    expect([longMeta.width, longMeta.pageHeight, longMeta.pages]).toEqual([640, 360, 120]);
    expect(longMeta.delay?.reduce((sum, d) => sum + d, 0)).toBe(10_000);
    const refused = await settle(request("video", "dots", { duration_s: "forever" }));
    expect(refused.state === "failed" && refused.error).toBe('parameter duration_s must be a number between 1 and 10 (got "forever")');
  });

  it("animates a forked image", async () => {
    const source = await halfWhiteImage();
    const file = await generate("video", "the picture, moving", { width: 200, height: 120, duration_s: 1 }, [input("image", "image/png", source, "cre_pic")]);
    expect(file.metadata.forked_from).toBe("cre_pic");
    const { left, right } = await halves(file.bytes);
    expect(left - right).toBeGreaterThan(60);
  });
});

describe("local provider: determinism", () => {
  const cases: [OutputKind, Record<string, unknown>][] = [
    ["text", {}],
    ["image", { width: 256, height: 192 }],
    ["voice", { duration_s: 1.5 }],
    ["video", { width: 160, height: 90, duration_s: 1 }],
  ];
  for (const [kind, parameters] of cases) {
    it(`${kind}: same request → identical bytes; another prompt → different bytes`, async () => {
      const a = await generate(kind, "a quiet moth circling a lamp", parameters);
      const b = await generate(kind, "a quiet moth circling a lamp", { ...parameters });
      const c = await generate(kind, "a loud crow on a wire", parameters);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(a.metadata).toEqual(b.metadata);
      expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes))).toBe(false);
      expect(a.metadata.seed).not.toBe(c.metadata.seed);
    });
  }

  it("defaults and unknown parameters do not change the output", async () => {
    const implicit = await generate("image", "moth", {});
    const explicit = await generate("image", "moth", { width: 768, height: 768, style_hint: "ignored" });
    expect(Buffer.from(implicit.bytes).equals(Buffer.from(explicit.bytes))).toBe(true);
  });

  it("an empty or symbol-only prompt still makes every kind", async () => {
    for (const prompt of ["", "🌊✨"]) {
      const markdown = text(await generate("text", prompt));
      expect(markdown.startsWith(prompt === "" ? "# Untitled\n" : "# 🌊✨\n")).toBe(true);
      expect((await generate("image", prompt, { width: 64, height: 64 })).filename).toBe("creation.png");
      const voice = parseWav((await generate("voice", prompt, { duration_s: 1 })).bytes);
      expect(voice.samples.some((s) => Math.abs(s) > 1000)).toBe(true);
      expect((await generate("video", prompt, { width: 64, height: 64, duration_s: 1 })).filename).toBe("creation.webp");
    }
  });

  it("names files after the prompt, cut at a word boundary", async () => {
    const file = await generate("text", "A lighthouse keeper who collects storms at sunset over the bay", { max_words: 5 });
    expect(file.filename).toBe("a-lighthouse-keeper-who-collects-storms-at.md");
  });

  it("inputs are part of the request", async () => {
    const source = await halfWhiteImage();
    const plain = await generate("image", "moth", { width: 128, height: 128 });
    const forked = await generate("image", "moth", { width: 128, height: 128 }, [input("image", "image/png", source)]);
    expect(plain.metadata.seed).not.toBe(forked.metadata.seed);
  });
});

const chromium = "/usr/bin/chromium";

describe.skipIf(!existsSync(chromium))("local provider: files play in headless Chromium", () => {
  it("decodes the WAV and animates the WebP", async () => {
    const wav = await generate("voice", "hello browser", { duration_s: 2 });
    const webp = await generate("video", "hello browser", { duration_s: 1 });
    const page = `<!doctype html><script>
      (async () => {
        const result = {};
        try {
          const buffer = await new OfflineAudioContext(1, 1, 22050).decodeAudioData(await (await fetch("/a.wav")).arrayBuffer());
          result.audio = { duration: buffer.duration, sampleRate: buffer.sampleRate };
        } catch (error) { result.audio = String(error); }
        try {
          const decoder = new ImageDecoder({ data: await (await fetch("/v.webp")).arrayBuffer(), type: "image/webp" });
          await decoder.tracks.ready;
          result.video = { frames: decoder.tracks.selectedTrack.frameCount, animated: decoder.tracks.selectedTrack.animated };
        } catch (error) { result.video = String(error); }
        try {
          const img = new Image(); img.src = "/v.webp"; await img.decode();
          result.img = [img.naturalWidth, img.naturalHeight];
        } catch (error) { result.img = String(error); }
        await fetch("/result", { method: "POST", body: JSON.stringify(result) });
      })();
    </script>`;
    const profile = mkdtempSync(join(tmpdir(), "oto-chromium-"));
    let browser: ReturnType<typeof spawn> | undefined;
    const server = createServer();
    try {
      const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
        server.on("request", (req, res) => {
          if (req.url === "/result") {
            let body = "";
            req.on("data", (chunk: Buffer) => (body += chunk.toString()));
            req.on("end", () => { res.end(); resolve(JSON.parse(body) as Record<string, unknown>); });
            return;
          }
          const files: Record<string, [string, Uint8Array | string]> = {
            "/": ["text/html", page],
            "/a.wav": [wav.mediaType, wav.bytes],
            "/v.webp": [webp.mediaType, webp.bytes],
          };
          const file = files[req.url ?? ""];
          if (!file) { res.statusCode = 404; res.end(); return; }
          res.setHeader("content-type", file[0]);
          res.end(file[1]);
        });
        server.listen(0, "127.0.0.1", () => {
          const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
          browser = spawn(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`, url], { stdio: "ignore", detached: true });
          browser.on("error", reject);
        });
        setTimeout(() => reject(new Error("Chromium did not report within 25 s")), 25_000).unref();
      });
      expect(result.audio).toEqual({ duration: 2, sampleRate: 22050 });
      expect(result.video).toEqual({ frames: 12, animated: true });
      expect(result.img).toEqual([480, 270]);
    } finally {
      // The launcher is a shell script; end its whole process group, which this test created.
      if (browser?.pid) { try { process.kill(-browser.pid, "SIGTERM"); } catch { /* already gone */ } }
      server.close();
      await new Promise((resolve) => setTimeout(resolve, 500));
      rmSync(profile, { recursive: true, force: true });
    }
  }, 40_000);
});
