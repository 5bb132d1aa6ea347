// Shared steps of the wall pinning tests: agents, drafts and publishes through the real HTTP API.
import { expect } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { DEFAULT_LAYOUT } from "../../src/wall/placement/index.js";
import { seedCreation } from "../creations/support.js";
import { call } from "../helpers.js";

export const SLOT = DEFAULT_LAYOUT.slotSize;

export interface XY {
  x: number;
  y: number;
}

export async function makeAgent(
  server: RunningServer,
  apiKey: string,
  options: { kind?: string; color?: string; name?: string } = {},
): Promise<any> {
  const res = await call(server, "POST", "/v1/agents", {
    apiKey,
    json: { name: options.name ?? "wall agent", kind: options.kind ?? "text", ...(options.color ? { color: options.color } : {}) },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** A draft text creation of the account (agents and sources as given). */
export async function draft(
  server: RunningServer,
  accountId: string,
  options: { agentIds?: string[]; sourceIds?: string[]; prompt?: string } = {},
): Promise<string> {
  const seeded = await seedCreation(server, accountId, "text", options.prompt ?? "a note for the wall", options);
  return seeded.id;
}

export async function publish(server: RunningServer, apiKey: string, id: string): Promise<any> {
  const res = await call(server, "POST", `/v1/creations/${id}/publish`, { apiKey });
  expect(res.status, res.text).toBe(200);
  expect(res.body.state).toBe("published");
  return res.body;
}

export async function unpublish(server: RunningServer, apiKey: string, id: string): Promise<any> {
  const res = await call(server, "POST", `/v1/creations/${id}/unpublish`, { apiKey });
  expect(res.status, res.text).toBe(200);
  expect(res.body.state).toBe("draft");
  return res.body;
}

export async function homeOf(server: RunningServer, apiKey: string): Promise<{ index: number; x: number; y: number }> {
  const res = await call(server, "GET", "/v1/me", { apiKey });
  expect(res.status).toBe(200);
  return res.body.home;
}

/** Ring (Chebyshev distance in slots) of a post-it around a home. */
export function ringAround(home: XY, p: XY): number {
  return Math.max(Math.abs(p.x - home.x), Math.abs(p.y - home.y)) / SLOT;
}

export const key = (p: XY) => `${p.x},${p.y}`;

/** Every post-it row, and a check that the process's placement state holds exactly them. */
export async function wallRows(server: RunningServer): Promise<{ id: string; type: string; x: number; y: number }[]> {
  const rows = await server.app.db.query<{ id: string; type: string; x: number; y: number }>(
    "SELECT id, type, x, y FROM wall_postits ORDER BY seq",
  );
  expect(new Set(rows.map(key)).size).toBe(rows.length);
  for (const row of rows) expect(server.app.wall.idAt(row.x, row.y), `state at ${key(row)}`).toBe(row.id);
  expect(server.app.wall.size).toBe(rows.length);
  return rows;
}

export async function changesFor(server: RunningServer, id: string): Promise<string[]> {
  const rows = await server.app.db.query<{ op: string }>("SELECT op FROM wall_changes WHERE postit_id = $1 ORDER BY seq", [id]);
  return rows.map((r) => r.op);
}
