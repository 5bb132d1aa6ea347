// oTo's per-kind output contract for RunPod workers (docs/generation-outputs.md). This module only reads
// the shape of a COMPLETED job's `output` and says which files it describes; fetching the bytes is
// output-fetch.ts's job. The kind is recognised from the shape because /status does not echo the input.
import { z } from "zod";
import type { OutputKind } from "../provider.js";

export type OutputSource =
  | { type: "inline"; text: string }
  | { type: "base64"; data: string }
  | { type: "url"; url: string };

export interface OutputPart {
  kind: OutputKind;
  filename: string;
  mediaType: string;
  source: OutputSource;
  metadata: Record<string, string>;
}

export type ContractResult = { ok: true; parts: OutputPart[] } | { ok: false; error: string };

const EXTENSIONS: Record<string, { kinds: readonly OutputKind[]; mediaType: string }> = {
  md: { kinds: ["text"], mediaType: "text/markdown" },
  txt: { kinds: ["text"], mediaType: "text/plain" },
  png: { kinds: ["image"], mediaType: "image/png" },
  jpg: { kinds: ["image"], mediaType: "image/jpeg" },
  jpeg: { kinds: ["image"], mediaType: "image/jpeg" },
  gif: { kinds: ["image"], mediaType: "image/gif" },
  webp: { kinds: ["image", "video"], mediaType: "image/webp" },
  wav: { kinds: ["voice"], mediaType: "audio/wav" },
  mp3: { kinds: ["voice"], mediaType: "audio/mpeg" },
  ogg: { kinds: ["voice"], mediaType: "audio/ogg" },
  mp4: { kinds: ["video"], mediaType: "video/mp4" },
  webm: { kinds: ["video"], mediaType: "video/webm" },
};

const VOICE_FORMATS = ["wav", "mp3", "ogg"] as const;
const VIDEO_FORMATS = ["mp4", "webm", "webp"] as const;

const textSchema = z.object({
  text: z.string(),
  format: z.enum(["markdown", "plain"]).optional(),
});

const vllmSchema = z
  .array(
    z.object({
      choices: z
        .array(z.object({ tokens: z.array(z.string()).optional(), text: z.string().optional() }))
        .min(1),
      usage: z.object({ input: z.number().optional(), output: z.number().optional() }).optional(),
    }),
  )
  .min(1);

const imageSchema = z.object({
  images: z
    .array(
      z.object({
        filename: z.string().min(1),
        type: z.enum(["base64", "url", "s3_url"]),
        data: z.string().min(1),
      }),
    )
    .min(1),
  errors: z.array(z.unknown()).optional(),
});

const voiceSchema = z.union([
  z.object({
    audio: z.string().min(1),
    format: z.enum(VOICE_FORMATS).optional(),
    sample_rate: z.number().int().positive().optional(),
  }),
  z.object({
    audio_base64: z.string().min(1),
    format: z.enum(VOICE_FORMATS).optional(),
    sample_rate: z.number().int().positive().optional(),
  }),
]);

const videoSchema = z.object({ video: z.string().min(1), format: z.enum(VIDEO_FORMATS).optional() });
const animateDiffSchema = z.object({ filename: z.string().min(1), data: z.string().min(1) });

export function interpretRunpodOutput(output: unknown): ContractResult {
  if (output === undefined || output === null) return violation("any", "the job completed without an output");
  if (typeof output === "string") {
    return ok([textPart(output, "plain", "output.txt", {})]);
  }
  if (Array.isArray(output)) return fromVllm(output);
  if (typeof output !== "object") return violation("any", `output is a ${typeof output}, not an object`);

  const keys = Object.keys(output);
  if ("images" in output) return fromImages(output);
  if ("text" in output) return fromText(output);
  if ("audio" in output || "audio_base64" in output) return fromVoice(output);
  if ("video" in output) return fromVideo(output);
  if ("filename" in output && "data" in output) return fromAnimateDiff(output);
  return violation(
    "any",
    `no known output key (expected text, images, audio, audio_base64, video or filename+data; got ${keys.join(", ") || "an empty object"})`,
  );
}

function fromText(output: object): ContractResult {
  const parsed = textSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("text", parsed.error);
  const format = parsed.data.format ?? "markdown";
  return ok([textPart(parsed.data.text, format, format === "markdown" ? "output.md" : "output.txt", { format })]);
}

function fromVllm(output: unknown[]): ContractResult {
  const parsed = vllmSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("text (vLLM batches)", parsed.error);
  const texts: string[] = [];
  for (const batch of parsed.data) {
    batch.choices.forEach((choice, index) => {
      texts[index] = (texts[index] ?? "") + (choice.tokens?.join("") ?? choice.text ?? "");
    });
  }
  const usage = parsed.data.at(-1)?.usage;
  const metadata: Record<string, string> = { format: "plain", output_shape: "vllm" };
  if (usage?.input !== undefined) metadata.usage_input_tokens = String(usage.input);
  if (usage?.output !== undefined) metadata.usage_output_tokens = String(usage.output);
  return ok(
    texts.map((text, index) =>
      textPart(text, "plain", index === 0 ? "output.txt" : `output-${index + 1}.txt`, { ...metadata }),
    ),
  );
}

function fromImages(output: object): ContractResult {
  const parsed = imageSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("image", parsed.error);
  const parts: OutputPart[] = [];
  for (const [index, image] of parsed.data.images.entries()) {
    const filename = safeFilename(image.filename, `image-${index + 1}.png`);
    const type = typeForFilename(filename, "image");
    if (!type) {
      return violation("image", `images[${index}].filename "${image.filename}" is not a png, jpg, webp or gif file`);
    }
    parts.push({
      kind: "image",
      filename,
      mediaType: type,
      source: image.type === "base64" ? { type: "base64", data: image.data } : { type: "url", url: image.data },
      metadata: {},
    });
  }
  if (parsed.data.errors && parsed.data.errors.length > 0) {
    const warnings = JSON.stringify(parsed.data.errors).slice(0, 500);
    for (const part of parts) part.metadata.worker_warnings = warnings;
  }
  return ok(parts);
}

function fromVoice(output: object): ContractResult {
  const parsed = voiceSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("voice", parsed.error);
  const data = "audio" in parsed.data ? parsed.data.audio : parsed.data.audio_base64;
  const source = sourceOf(data);
  if ("audio_base64" in parsed.data && source.type === "url") {
    return violation("voice", "audio_base64 holds a URL; put URLs in `audio`");
  }
  const format = parsed.data.format ?? formatFromUrl(source, VOICE_FORMATS) ?? "wav";
  const metadata: Record<string, string> = { format };
  if (parsed.data.sample_rate !== undefined) metadata.sample_rate = String(parsed.data.sample_rate);
  return ok([{ kind: "voice", filename: `voice.${format}`, mediaType: mediaTypeOf(format), source, metadata }]);
}

function fromVideo(output: object): ContractResult {
  const parsed = videoSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("video", parsed.error);
  const source = sourceOf(parsed.data.video);
  const format = parsed.data.format ?? formatFromUrl(source, VIDEO_FORMATS) ?? "mp4";
  return ok([{ kind: "video", filename: `video.${format}`, mediaType: mediaTypeOf(format), source, metadata: { format } }]);
}

function fromAnimateDiff(output: object): ContractResult {
  const parsed = animateDiffSchema.safeParse(output);
  if (!parsed.success) return schemaViolation("video (AnimateDiff)", parsed.error);
  const filename = safeFilename(parsed.data.filename, "video.mp4");
  const extension = extensionOf(filename);
  if (!extension || !(VIDEO_FORMATS as readonly string[]).includes(extension)) {
    return violation("video (AnimateDiff)", `filename "${parsed.data.filename}" is not an mp4, webm or webp file`);
  }
  return ok([
    {
      kind: "video",
      filename,
      mediaType: mediaTypeOf(extension),
      source: sourceOf(parsed.data.data),
      metadata: { format: extension, output_shape: "animatediff" },
    },
  ]);
}

function textPart(text: string, format: "markdown" | "plain", filename: string, metadata: Record<string, string>): OutputPart {
  return {
    kind: "text",
    filename,
    mediaType: format === "markdown" ? "text/markdown" : "text/plain",
    source: { type: "inline", text },
    metadata,
  };
}

/** A string field holds either a URL (http/https) or base64, optionally as a data: URI. */
function sourceOf(value: string): OutputSource {
  return /^https?:\/\//i.test(value.trim()) ? { type: "url", url: value.trim() } : { type: "base64", data: value };
}

function formatFromUrl<T extends string>(source: OutputSource, formats: readonly T[]): T | undefined {
  if (source.type !== "url") return undefined;
  try {
    const extension = extensionOf(new URL(source.url).pathname);
    return formats.find((format) => format === extension);
  } catch {
    return undefined;
  }
}

function typeForFilename(filename: string, kind: OutputKind): string | undefined {
  const entry = EXTENSIONS[extensionOf(filename) ?? ""];
  return entry && entry.kinds.includes(kind) ? entry.mediaType : undefined;
}

function mediaTypeOf(extension: string): string {
  return EXTENSIONS[extension]?.mediaType ?? "application/octet-stream";
}

function extensionOf(name: string): string | undefined {
  const match = /\.([A-Za-z0-9]+)$/.exec(name);
  return match?.[1]?.toLowerCase();
}

/** Keeps the last path segment and a conservative character set: the name ends up in Content-Disposition. */
export function safeFilename(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "").slice(-100);
  return cleaned === "" || !/\.[A-Za-z0-9]+$/.test(cleaned) ? fallback : cleaned;
}

function ok(parts: OutputPart[]): ContractResult {
  return { ok: true, parts };
}

function violation(kind: string, detail: string): ContractResult {
  return {
    ok: false,
    error: `RunPod worker output does not match oTo's ${kind} output contract (docs/generation-outputs.md): ${detail}`,
  };
}

function schemaViolation(kind: string, error: z.ZodError): ContractResult {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return violation(kind, `${where}${issue?.message ?? "invalid shape"}`);
}
