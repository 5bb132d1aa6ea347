// What every local generator shares: the provenance notice, parameter reading, progress/cancel context,
// and file naming.

export const GENERATOR_ID = "oto-local-procedural/1";
export const NOTICE = "Procedural placeholder made offline by oTo; not AI-generated.";
export const SOFTWARE = "oTo local procedural generator (oto-local-procedural/1)";

/** A request the generator refuses; its message is shown to the user as is. */
export class LocalGenerationError extends Error {
  override readonly name = "LocalGenerationError";
}

/** Thrown when the job is canceled mid-way; never surfaces as a failure. */
export class GenerationCanceled extends Error {
  override readonly name = "GenerationCanceled";
}

export interface GenerationContext {
  signal: AbortSignal;
  /** 0..1 within this generator's own work. */
  progress(fraction: number): void;
}

/** Lets other jobs and HTTP requests run between chunks of CPU work, and stops at once on cancel. */
export async function checkpoint(context: GenerationContext, fraction?: number): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (context.signal.aborted) throw new GenerationCanceled("canceled");
  if (fraction !== undefined) context.progress(fraction);
}

export interface NumberRule {
  default: number;
  min: number;
  max: number;
  integer?: boolean;
}

/**
 * Reads an optional numeric parameter: absent → default, out of range → clamped, not a finite number → a readable
 * error. Numeric strings ("512") are accepted because parameters often arrive from CLI flags.
 */
export function readNumber(parameters: Record<string, unknown>, name: string, rule: NumberRule): number {
  const raw = parameters[name];
  if (raw === undefined || raw === null) return rule.default;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new LocalGenerationError(
      `parameter ${name} must be a number between ${rule.min} and ${rule.max} (got ${JSON.stringify(raw)})`,
    );
  }
  const clamped = Math.min(rule.max, Math.max(rule.min, value));
  return rule.integer ? Math.round(clamped) : clamped;
}

/** A lowercase, dash-separated file name from the prompt, e.g. "a-red-fox-at-dawn.png". */
export function fileNameFor(prompt: string, extension: string): string {
  const slug = prompt
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  // Cut long names at a word boundary where there is one.
  const short = slug.length <= 48 ? slug : slug.slice(0, 49).replace(/-[^-]*$/, "") || slug.slice(0, 48);
  return `${short || "creation"}.${extension}`;
}

export function provenance(seed: string, extra: Record<string, string | number>): Record<string, string> {
  const metadata: Record<string, string> = { generator: GENERATOR_ID, notice: NOTICE, seed };
  for (const [key, value] of Object.entries(extra)) metadata[key] = String(value);
  return metadata;
}

/** Words of the prompt worth reusing (letters and digits only, short filler words dropped). */
export function keywordsOf(text: string): string[] {
  const stop = new Set([
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "is", "are",
    "was", "be", "it", "its", "this", "that", "as", "into", "about", "me", "my", "i", "you", "your", "make",
    "write", "create", "draw", "show", "please", "some", "very", "so", "than", "then", "them", "they", "we",
    "who", "what", "which", "where", "when", "how", "why", "there", "here", "has", "have", "had", "were", "will",
    "would", "can", "could", "should", "not", "all", "any", "each", "just", "like", "over", "under", "after",
    "before", "his", "her", "their", "our", "him", "she", "he", "out", "up", "down", "one", "two", "also", "too",
  ]);
  const words = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
  const seen = new Set<string>();
  const keywords: string[] = [];
  for (const word of words) {
    const clean = word.replace(/['-]+$/g, "");
    if (clean.length < 3 || stop.has(clean) || seen.has(clean)) continue;
    seen.add(clean);
    keywords.push(clean);
  }
  return keywords;
}

/** Text carried by the request's text inputs (forks from a text creation). */
export function textOfInputs(inputs: readonly { kind: string; bytes: Uint8Array }[]): string {
  return inputs
    .filter((input) => input.kind === "text")
    .map((input) => new TextDecoder("utf-8", { fatal: false }).decode(input.bytes))
    .join("\n\n");
}
