import { InvalidArgumentError } from "commander";
import type { GenerationParameters, OutputKind } from "@oto/sdk";
import { UsageError } from "./errors.js";

// Option parsers shared by the commands. commander turns an InvalidArgumentError into
// "option '--x <v>' argument 'y' is invalid. <message>" and exit 2.

export const OUTPUT_KINDS = ["text", "image", "voice", "video"] as const satisfies readonly OutputKind[];

/** What a run of each kind costs when the agent does not say (openapi.yaml, createAgent). */
export const STANDARD_COST: Record<OutputKind, number> = { text: 1, image: 4, voice: 3, video: 10 };

/** The keys of GenerationParameters; the compile-time check below keeps the list complete. */
export const PARAMETER_KEYS = [
  "max_words",
  "temperature",
  "width",
  "height",
  "duration_s",
  "fps",
  "seed",
] as const satisfies ReadonlyArray<keyof GenerationParameters>;
type MissingKey = Exclude<keyof GenerationParameters, (typeof PARAMETER_KEYS)[number]>;
const everyKeyListed: [MissingKey] extends [never] ? true : never = true;
void everyKeyListed;

/** Which parameter keys apply to which kind (GenerationParameters in openapi.yaml). */
export const PARAMETERS_BY_KIND: Record<OutputKind, ReadonlyArray<(typeof PARAMETER_KEYS)[number]>> = {
  text: ["max_words", "temperature", "seed"],
  image: ["width", "height", "seed"],
  voice: ["duration_s", "seed"],
  video: ["width", "height", "duration_s", "fps", "seed"],
};

export function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidArgumentError("It must be a whole number from 1 to 100.");
  }
  return limit;
}

export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`It must be a whole number from ${min} to ${max}.`);
    }
    return number;
  };
}

/** Repeatable `key=value` options (--var, --param), gathered in order; a later key wins. */
export function keyValue(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError('It must look like key=value, e.g. "width=512".');
  return [...previous, [value.slice(0, at).trim(), value.slice(at + 1)]];
}

/** Repeatable plain options (--from), gathered in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--param` pairs → GenerationParameters: known keys only, numeric values. */
export function parseParameters(pairs: Array<[string, string]>): GenerationParameters {
  const parameters: Record<string, number> = {};
  for (const [key, raw] of pairs) {
    if (!(PARAMETER_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`unknown parameter "${key}" in --param.`, `Parameters: ${PARAMETER_KEYS.join(", ")}.`);
    }
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value)) {
      throw new UsageError(`--param ${key} must be a number (got "${raw}").`);
    }
    parameters[key] = value;
  }
  return parameters as GenerationParameters;
}

/** `--var` pairs → the template's variables. */
export function parseVariables(pairs: Array<[string, string]>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (!/^[a-z_][a-z0-9_]{0,31}$/.test(key)) {
      throw new UsageError(`--var ${key}: names are lowercase letters, digits and _, starting with a letter or _.`);
    }
    variables[key] = value;
  }
  return variables;
}

export function parseKind(value: string): OutputKind {
  const kind = value.toLowerCase();
  if (!(OUTPUT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(`It must be one of ${OUTPUT_KINDS.join(", ")}.`);
  }
  return kind as OutputKind;
}

/** "#D4A017" or "d4a017" → "#d4a017". */
export function parseColor(value: string): string {
  const color = `#${value.trim().replace(/^#/, "").toLowerCase()}`;
  if (!/^#[0-9a-f]{6}$/.test(color)) throw new InvalidArgumentError('It must be a hex colour like "#d4a017".');
  return color;
}

const ID_PATTERNS = {
  agent: /^ag_[0-9a-z]{26}$/,
  job: /^job_[0-9a-z]{26}$/,
  creation: /^cr_[0-9a-z]{26}$/,
} as const;
const ID_PREFIXES = { agent: "ag_", job: "job_", creation: "cr_" } as const;
const ID_LISTS = { agent: "oto agents list --mine", job: "oto jobs list", creation: "oto creations list" } as const;

export const isId = (kind: keyof typeof ID_PATTERNS, value: string): boolean => ID_PATTERNS[kind].test(value);

/** The id, or a usage error saying what ids of this kind look like. */
export function checkId(kind: keyof typeof ID_PATTERNS, value: string): string {
  if (isId(kind, value)) return value;
  throw new UsageError(
    `"${value}" is not a ${kind} id: ids look like ${ID_PREFIXES[kind]} followed by 26 characters.`,
    `See them with "${ID_LISTS[kind]}".`,
  );
}
