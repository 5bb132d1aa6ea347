// Defaults for a new agent: a colour derived from its name and the kind's standard price.
import { createHash } from "node:crypto";
import type { OutputKind } from "../generation/provider.js";

/** Tokens per run when the agent does not set its own price (issue 3). */
export const DEFAULT_COST_TOKENS: Record<OutputKind, number> = { text: 1, image: 4, voice: 3, video: 10 };

/** Golden post-it shades: warm yellows, ambers and ochres that read well with dark text. */
export const AGENT_PALETTE = [
  "#d4a017",
  "#e6b422",
  "#f0c419",
  "#f4d35e",
  "#e9b949",
  "#daa520",
  "#f2b705",
  "#e0a526",
  "#f6c85f",
  "#c99a2e",
  "#ffcf40",
  "#eab54d",
] as const;

/** The same name always gets the same colour (case and surrounding spaces ignored). */
export function defaultAgentColor(name: string): string {
  const digest = createHash("sha256").update(name.trim().toLowerCase()).digest();
  return AGENT_PALETTE[digest.readUInt32BE(0) % AGENT_PALETTE.length]!;
}
