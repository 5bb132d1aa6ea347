// Prompt templates: `{{prompt}}` is the user's prompt, any other `{{name}}` comes from a generation's variables.
import type { FieldError } from "../problems.js";

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]{0,31})\s*\}\}/g;

/** The distinct variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export function templateErrors(template: string, location: string): FieldError[] {
  if (!templateVariables(template).includes("prompt")) {
    return [{ location, message: "must contain {{prompt}}, where the user's prompt goes" }];
  }
  return [];
}

/** Fills the template; errors name each variable the request did not give. */
export function renderTemplate(
  template: string,
  prompt: string,
  variables: Record<string, string>,
): { ok: true; text: string } | { ok: false; errors: FieldError[] } {
  const missing = templateVariables(template).filter((name) => name !== "prompt" && variables[name] === undefined);
  if (missing.length > 0) {
    return {
      ok: false,
      errors: missing.map((name) => ({
        location: `body/variables/${name}`,
        message: `is required: the agent's template uses {{${name}}}`,
      })),
    };
  }
  // A function replacement, so "$&" and friends in user text stay literal.
  const text = template.replace(PLACEHOLDER, (_whole, name: string) => (name === "prompt" ? prompt : variables[name]!));
  return { ok: true, text };
}
