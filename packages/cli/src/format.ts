import type { Agent, AgentProvider, Creation, Generation, LedgerEntry } from "@oto/sdk";
import type { Colors } from "./io.js";
import { formatBytes } from "./io.js";

// How oTo's objects read on a terminal. Each function answers plain text; callers color it.

export function providerText(provider: AgentProvider): string {
  if (provider.type === "local") return "local (procedural placeholders, not AI)";
  return `runpod endpoint ${provider.endpoint_id}${provider.model ? `, model ${provider.model}` : ""}`;
}

export function providerShort(provider: AgentProvider): string {
  return provider.type === "local" ? "local" : `runpod:${provider.endpoint_id}`;
}

/** A small square in the agent's colour, on terminals that show 24-bit colour. */
export function swatch(hex: string, colors: Colors): string {
  if (!colors.isColorSupported) return "";
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return `\x1b[38;2;${r};${g};${b}m■\x1b[39m `;
}

/** "queued", "running 45%", "succeeded". */
export function jobState(generation: Pick<Generation, "status" | "progress">): string {
  const { status, progress } = generation;
  if (status === "running" && typeof progress === "number") return `running ${Math.round(progress * 100)}%`;
  return status.replace("_", " ");
}

export function statusStyle(colors: Colors, status: Generation["status"]): (text: string) => string {
  if (status === "succeeded") return colors.green;
  if (status === "failed" || status === "timed_out") return colors.red;
  if (status === "canceled") return colors.yellow;
  return colors.cyan;
}

/** "image/png, 12.3 kB, 512×512", "audio/wav, 88 kB, 3.0 s". */
export function fileSummary(file: Creation["file"]): string {
  const parts = [file.media_type, formatBytes(file.size_bytes)];
  if (file.width !== null && file.height !== null) parts.push(`${file.width}×${file.height}`);
  if (file.duration_s !== null) parts.push(`${file.duration_s.toFixed(1)} s`);
  return parts.join(", ");
}

export function agentNames(agents: Array<Pick<Agent, "name">>): string {
  return agents.map((agent) => agent.name).join(" + ") || "-";
}

/** "+100", "-4", "0". */
export function signed(amount: number): string {
  return amount > 0 ? `+${amount}` : String(amount);
}

export function ledgerWhat(entry: LedgerEntry): string {
  return entry.job_id && !entry.description.includes(entry.job_id)
    ? `${entry.description} (${entry.job_id})`
    : entry.description;
}

/** "1.2 s", "2 min 5 s" between two timestamps, or since the first. */
export function elapsed(fromIso: string | null, toIso: string | null = null): string {
  if (!fromIso) return "-";
  const ms = (toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "1 token", "4 tokens". */
export function tokens(count: number): string {
  return `${count} token${Math.abs(count) === 1 ? "" : "s"}`;
}
