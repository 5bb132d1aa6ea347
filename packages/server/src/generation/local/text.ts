// Text: a Markdown piece assembled from sentence templates, a small word bank and the prompt's own words.
// It reads like a short prose sketch and ends with a line saying plainly that it is not AI.
import type { GeneratedFile } from "../provider.js";
import { Prng } from "./seed.js";
import { fileNameFor, keywordsOf, provenance, readNumber, textOfInputs } from "./shared.js";

export const TEXT_MEDIA_TYPE = "text/markdown; charset=utf-8";
export const TEXT_FOOTER = "Generated offline by oTo's local procedural generator — a placeholder, not AI.";

export interface TextParameters {
  max_words?: number;
}

export function normalizeTextParameters(parameters: Record<string, unknown>): TextParameters {
  if (parameters.max_words === undefined || parameters.max_words === null) return {};
  return { max_words: readNumber(parameters, "max_words", { default: 200, min: 1, max: 5000, integer: true }) };
}

const ADJECTIVES = [
  "quiet", "luminous", "restless", "patient", "distant", "brittle", "gentle", "stubborn", "silver", "hidden",
  "weathered", "bright", "hollow", "careful", "sudden", "tender", "wandering", "open", "small", "endless",
  "curious", "slow", "warm", "faint", "steady", "unlikely", "ordinary", "vivid", "soft", "strange",
];
const NOUNS = [
  "light", "river", "window", "morning", "signal", "garden", "street", "shadow", "map", "engine", "letter",
  "harbour", "question", "rhythm", "machine", "field", "voice", "thread", "pattern", "lantern", "bridge", "memory",
  "season", "tide", "workshop", "horizon", "wall", "note", "surface", "echo",
];
const VERBS = [
  "drifts", "waits", "listens", "turns", "gathers", "unfolds", "hums", "settles", "returns", "shifts", "leans",
  "glows", "carries on", "answers", "lingers", "wanders", "repeats itself", "opens",
];
const ADVERBS = [
  "slowly", "quietly", "again", "for a while", "without hurry", "at the edges", "almost", "softly", "in passing",
  "all at once", "with care", "half asleep",
];
const CONNECTORS = ["Meanwhile", "Later", "Somewhere nearby", "For now", "In the end", "Even so", "At first", "Still"];

const TEMPLATES = [
  "{Adj} {k} {verb} {adv}, like a {noun} that remembers the {noun2}.",
  "{Conn}, the {k} {verb} toward the {adj} {noun}.",
  "Every {noun} here {verb} with a little {k} in it.",
  "There is a {adj} {noun} beside the {k}, and it {verb} {adv}.",
  "Nobody asks the {k} why it {verb}; the {noun} simply {verb2}.",
  "The {adj} {noun} {verb} {adv} while the {k} {verb2}.",
  "{Conn}, {k} and {k2} share the same {adj} {noun}.",
  "It is the kind of {noun} that {verb} {adv} when {k} is near.",
  "Think of {k} as a {adj} {noun}: it {verb}, it {verb2}, and then it {verb3}.",
  "A {noun} of {k} {verb} across the {adj} {noun2}.",
  "{Conn}, someone mentions {k}, and the {noun} {verb} {adv}.",
  "What stays is the {adj} {k}, a {noun} that {verb} {adv}.",
];

interface Block {
  type: "quote" | "paragraph" | "heading";
  sentences: string[];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Removes characters that would turn user text into Markdown or HTML structure. */
function plain(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()<>#|~^=]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function titleFrom(prompt: string): string {
  const firstLine = plain(prompt.split(/\r?\n/).find((line) => line.trim() !== "") ?? "");
  const words = firstLine.split(" ").filter(Boolean).slice(0, 10);
  const title = words.join(" ").replace(/[.,;:!?-]+$/, "");
  return title ? capitalize(title) : "Untitled";
}

function fillTemplate(template: string, prng: Prng, keywords: string[]): string {
  const fallback = [...NOUNS];
  const keyword = (): string => (keywords.length > 0 && prng.chance(0.85) ? prng.pick(keywords) : prng.pick(fallback));
  const k = keyword();
  let k2 = keyword();
  for (let i = 0; i < 4 && k2 === k; i++) k2 = keyword();
  const values: Record<string, string> = {
    k,
    k2,
    adj: prng.pick(ADJECTIVES),
    Adj: capitalize(prng.pick(ADJECTIVES)),
    noun: prng.pick(NOUNS),
    noun2: prng.pick(NOUNS),
    verb: prng.pick(VERBS),
    verb2: prng.pick(VERBS),
    verb3: prng.pick(VERBS),
    adv: prng.pick(ADVERBS),
    Conn: prng.pick(CONNECTORS),
  };
  const sentence = template
    .replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name)
    .replace(/\b([Aa]) (?=[aeiou])/g, "$1n ");
  return capitalize(sentence);
}

function paragraph(prng: Prng, keywords: string[], sentences: number): Block {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) out.push(fillTemplate(prng.pick(TEMPLATES), prng, keywords));
  return { type: "paragraph", sentences: out };
}

/** The part of a forked text worth quoting: its prose, without headings, rules or our own footer. */
function quotableWords(source: string): string[] {
  const lines = source
    .split(/\r?\n/)
    .filter((line) => !line.startsWith("#") && !line.includes(TEXT_FOOTER) && !/^\s*(-{3,}|\*{3,})\s*$/.test(line));
  return plain(lines.join(" ").replace(/^>\s?/gm, "")).split(" ").filter(Boolean);
}

function forkBlocks(source: string, prng: Prng, promptKeywords: string[]): Block[] {
  const words = quotableWords(source);
  if (words.length === 0) return [];
  const excerpt = words.slice(0, 40).join(" ") + (words.length > 40 ? " …" : "");
  const title = source.split(/\r?\n/).find((line) => line.startsWith("# ")) ?? "";
  const bankWords = new Set([...ADJECTIVES, ...VERBS, ...ADVERBS, ...CONNECTORS].flatMap((w) => w.toLowerCase().split(" ")));
  const sourceKeywords = keywordsOf(`${title} ${words.join(" ")}`).filter((word) => !bankWords.has(word));
  const from = sourceKeywords.length > 0 ? prng.pick(sourceKeywords) : "the earlier piece";
  const to = promptKeywords.length > 0 ? prng.pick(promptKeywords) : prng.pick(NOUNS);
  return [
    { type: "quote", sentences: [excerpt] },
    {
      type: "paragraph",
      sentences: [
        `Building on that earlier piece: where it spoke of ${from}, this one turns to ${to}.`,
        ...paragraph(prng, [...sourceKeywords.slice(0, 6), ...promptKeywords], prng.int(2, 3)).sentences,
      ],
    },
  ];
}

const countWords = (text: string): number => (text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []).length;

/** Cuts the body to at most `maxWords` words, ending a cut sentence with an ellipsis. */
function limitWords(blocks: Block[], maxWords: number | undefined): Block[] {
  if (maxWords === undefined) return blocks;
  let remaining = maxWords;
  const out: Block[] = [];
  for (const block of blocks) {
    if (remaining <= 0) break;
    const kept: string[] = [];
    for (const sentence of block.sentences) {
      const words = countWords(sentence);
      if (words <= remaining) {
        kept.push(sentence);
        remaining -= words;
        continue;
      }
      if (block.type === "heading") break;
      const tokens = sentence.split(" ");
      const cut: string[] = [];
      let used = 0;
      for (const token of tokens) {
        const tokenWords = countWords(token);
        if (used + tokenWords > remaining) break;
        cut.push(token);
        used += tokenWords;
      }
      if (used > 0) kept.push(`${cut.join(" ").replace(/[.,;:!?]+$/, "")}…`);
      remaining = 0;
      break;
    }
    if (kept.length > 0) out.push({ type: block.type, sentences: kept });
  }
  return out;
}

function render(block: Block): string {
  const text = block.sentences.join(" ");
  if (block.type === "quote") return `> ${text}`;
  if (block.type === "heading") return `## ${text}`;
  return text;
}

export interface TextRequest {
  prompt: string;
  parameters: TextParameters;
  inputs: { kind: string; mediaType: string; bytes: Uint8Array }[];
  seed: string;
}

export function generateText(request: TextRequest): GeneratedFile {
  const prng = new Prng(request.seed);
  const promptKeywords = keywordsOf(request.prompt);
  const forkedText = textOfInputs(request.inputs);
  const otherInputs = request.inputs.filter((input) => input.kind !== "text").map((input) => input.kind);

  const blocks: Block[] = [];
  if (forkedText.trim() !== "") blocks.push(...forkBlocks(forkedText, prng, promptKeywords));
  const first = paragraph(prng, promptKeywords, prng.int(3, 5));
  if (otherInputs.length > 0) {
    first.sentences.unshift(`This piece starts from an earlier ${otherInputs.join(" and ")} creation.`);
  }
  blocks.push(first);
  const heading = `The ${prng.pick(ADJECTIVES)} ${promptKeywords.length > 0 ? prng.pick(promptKeywords) : prng.pick(NOUNS)}`;
  blocks.push({ type: "heading", sentences: [capitalize(heading)] });
  const more = prng.int(2, 3);
  for (let i = 0; i < more; i++) blocks.push(paragraph(prng, promptKeywords, prng.int(3, 5)));

  const body = limitWords(blocks, request.parameters.max_words);
  const words = body.reduce((sum, block) => sum + countWords(block.sentences.join(" ")), 0);
  const markdown = [`# ${titleFrom(request.prompt)}`, ...body.map(render), "---", `_${TEXT_FOOTER}_`].join("\n\n") + "\n";

  return {
    bytes: new TextEncoder().encode(markdown),
    mediaType: TEXT_MEDIA_TYPE,
    filename: fileNameFor(request.prompt, "md"),
    metadata: provenance(request.seed, { words }),
  };
}
