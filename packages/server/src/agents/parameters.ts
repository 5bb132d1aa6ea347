// Which generation parameters apply to which output kind (openapi.yaml GenerationParameters). The schema
// checks each value's type and range; this checks that every key makes sense for the agent's kind.
import type { OutputKind } from "../generation/provider.js";
import type { FieldError } from "../problems.js";

export type GenerationParameters = Partial<
  Record<"max_words" | "temperature" | "width" | "height" | "duration_s" | "fps" | "seed", number>
>;

export const PARAMETERS_BY_KIND: Record<OutputKind, readonly (keyof GenerationParameters)[]> = {
  text: ["max_words", "temperature", "seed"],
  image: ["width", "height", "seed"],
  voice: ["duration_s", "seed"],
  video: ["width", "height", "duration_s", "fps", "seed"],
};

/** One error per key that does not apply to `kind`, located at `${location}/<key>`. */
export function parameterErrors(kind: OutputKind, parameters: object | undefined, location: string): FieldError[] {
  if (!parameters) return [];
  const allowed: readonly string[] = PARAMETERS_BY_KIND[kind];
  return Object.keys(parameters)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({
      location: `${location}/${key}`,
      message: `does not apply to ${kind} agents (${kind} takes ${allowed.join(", ")})`,
    }));
}

/** The agent's defaults overridden by the request's values. */
export function effectiveParameters(
  defaults: GenerationParameters,
  requested: GenerationParameters | undefined,
): GenerationParameters {
  return { ...defaults, ...(requested ?? {}) };
}
