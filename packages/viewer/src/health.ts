import type { Health } from "@oto/sdk/schema";

export type ServerStatus =
  | { state: "up"; health: Health }
  | { state: "down"; reason: string };

/** Reads GET /v1/health; the default base "" means the server that serves this page. */
export async function fetchServerStatus(baseUrl = ""): Promise<ServerStatus> {
  try {
    const response = await fetch(`${baseUrl}/v1/health`, { headers: { accept: "application/json" } });
    if (!response.ok) return { state: "down", reason: `HTTP ${response.status}` };
    return { state: "up", health: (await response.json()) as Health };
  } catch {
    return { state: "down", reason: "unreachable" };
  }
}

export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function describeStatus(status: ServerStatus): string {
  if (status.state === "down") return `server ${status.reason}`;
  const { health } = status;
  return `server ${health.status} · v${health.version} · up ${formatUptime(health.uptime_s)}`;
}
