import { UsageError } from "./errors.js";
import { type Io, isCI } from "./io.js";

export interface PromptGate {
  io: Io;
  env: NodeJS.ProcessEnv;
  json: boolean;
  input: boolean;
}

/**
 * Why oto may not prompt in this run, or undefined when it may: prompts need a TTY on stdin and
 * stdout, no CI, and neither --json nor --no-input.
 */
export function promptBlocker(gate: PromptGate): string | undefined {
  if (!gate.input) return "--no-input was given";
  if (gate.json) return "--json was given";
  if (isCI(gate.env)) return "CI is set";
  if (!gate.io.isTTY.stdin) return "stdin is not a terminal";
  if (!gate.io.isTTY.stdout) return "stdout is not a terminal";
  return undefined;
}

export const canPrompt = (gate: PromptGate): boolean => promptBlocker(gate) === undefined;

/** The error for input that is missing and cannot be asked for. */
export function missingInput(flag: string, gate: PromptGate, example?: string): UsageError {
  const reason = promptBlocker(gate) ?? "prompts are off";
  const verb = flag.includes(" and ") ? "are" : "is";
  return new UsageError(
    `${flag} ${verb} required when oto cannot prompt (${reason}).`,
    example && `Example: ${example}`,
  );
}

/** Prompts on the run's own streams; @inquirer/prompts loads only when a prompt is shown. */
export class Prompter {
  constructor(private readonly io: Io) {}

  private get context() {
    return { input: this.io.stdin, output: this.io.stdout };
  }

  async text(message: string, options: { default?: string; validate?: (value: string) => true | string } = {}) {
    const { input } = await import("@inquirer/prompts");
    return input({ message, default: options.default, validate: options.validate }, this.context);
  }

  /** Masked input: the typed characters are shown as "*" and never echoed. */
  async secret(message: string, validate?: (value: string) => true | string) {
    const { password } = await import("@inquirer/prompts");
    return password({ message, mask: "*", validate }, this.context);
  }

  /** One of `choices`, picked with the arrow keys; answers its value. */
  async select<T extends string>(
    message: string,
    choices: Array<{ name: string; value: T; description?: string }>,
    defaultValue?: T,
  ): Promise<T> {
    const { select } = await import("@inquirer/prompts");
    return select<T>({ message, choices, ...(defaultValue !== undefined && { default: defaultValue }) }, this.context);
  }

  async confirm(message: string, defaultAnswer = false) {
    const { confirm } = await import("@inquirer/prompts");
    return confirm({ message, default: defaultAnswer }, this.context);
  }
}
