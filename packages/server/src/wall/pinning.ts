// What the wall does when agents are made and creations published or unpublished: post-its, strings and the
// 'touch' changes that tell tile caches a post-it's strings changed. Each runs inside a wall transaction.
import type { OutputKind } from "../generation/provider.js";
import type { Placement } from "./placement/index.js";
import type { WallPlacer, WallWriter } from "./placer.js";
import { FORK_STRING_COLOUR, type NewString, deleteStringsTo, insertStrings, stringTargetsFrom } from "./strings.js";

interface Owned {
  id: string;
  account_id: string;
  kind: OutputKind;
  home_index: number;
}

/**
 * Pins the agent's golden post-it (no-op when it is on the wall already). An archived agent stays pinned: the
 * creations made with it still hang from it by their strings.
 */
export async function pinAgent(w: WallWriter, agentId: string): Promise<Placement | undefined> {
  const rows = await w.tx.query<Owned>(
    `SELECT g.id, g.account_id, g.kind, a.home_index FROM agents g JOIN accounts a ON a.id = g.account_id WHERE g.id = $1`,
    [agentId],
  );
  const agent = rows[0];
  if (!agent) return undefined;
  const { placement, created } = await w.pin({
    id: agent.id,
    type: "agent",
    accountId: agent.account_id,
    homeIndex: agent.home_index,
    kind: agent.kind,
  });
  // Strings from this agent to creations already on the wall are served from now on.
  if (created) await w.touch(await stringTargetsFrom(w.tx, agent.id));
  return placement;
}

/**
 * Pins a published creation with its strings: "made with" from each of its agents (in the agent's colour as the
 * job recorded it) and "forked from" to each source. False when it is not published or already pinned.
 */
export async function pinCreation(w: WallWriter, creationId: string): Promise<boolean> {
  const rows = await w.tx.query<Owned & { state: string; source_ids: string[] }>(
    `SELECT c.id, c.account_id, c.kind, c.state, c.source_ids, a.home_index
       FROM creations c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1`,
    [creationId],
  );
  const creation = rows[0];
  if (!creation || creation.state !== "published") return false;
  const { created } = await w.pin({
    id: creation.id,
    type: "creation",
    accountId: creation.account_id,
    homeIndex: creation.home_index,
    kind: creation.kind,
  });
  if (!created) return false;

  const agents = await madeWith(w, creation.id);
  // Agents from before the wall existed (or archived before it) are pinned now, so every string has its end.
  for (const agent of agents) await pinAgent(w, agent.id);
  const sources = [...new Set(creation.source_ids)];
  const strings: NewString[] = [
    ...agents.map((a): NewString => ({ type: "made_with", fromId: a.id, toId: creation.id, colour: a.colour })),
    ...sources.map((id): NewString => ({ type: "forked_from", fromId: id, toId: creation.id, colour: FORK_STRING_COLOUR })),
  ];
  await insertStrings(w.tx, strings);
  // The other ends' tiles change: the agents and sources, and forks of this creation published while it was off.
  await w.touch([...agents.map((a) => a.id), ...sources, ...(await stringTargetsFrom(w.tx, creation.id))]);
  return true;
}

/**
 * Takes a creation off the wall: its spot is free again, the strings ending at it are deleted (strings to its
 * forks are kept; they are served again if it is published again). False when it was not pinned.
 */
export async function unpinCreation(w: WallWriter, creationId: string): Promise<boolean> {
  if (!(await w.unpin(creationId))) return false;
  const from = await deleteStringsTo(w.tx, creationId);
  await w.touch([...from, ...(await stringTargetsFrom(w.tx, creationId))]);
  return true;
}

/** The distinct agents of a creation, in order, with the colour of its "made with" string. */
async function madeWith(w: WallWriter, creationId: string): Promise<{ id: string; colour: string }[]> {
  const rows = await w.tx.query<{ id: string; colour: string }>(
    `SELECT g.id, CASE WHEN j.agent_id = g.id THEN j.agent_color ELSE g.color END AS colour
       FROM creations c
       CROSS JOIN LATERAL unnest(c.agent_ids) WITH ORDINALITY AS u(agent_id, n)
       JOIN agents g ON g.id = u.agent_id
       LEFT JOIN generation_jobs j ON j.id = c.job_id
      WHERE c.id = $1
      ORDER BY u.n`,
    [creationId],
  );
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(row.id) && seen.add(row.id));
}

/**
 * At start: pins every active agent and every published creation that has no post-it yet (made before the wall
 * existed, or by an older server). Runs under the wall lock, so several processes starting at once pin each once.
 */
export async function backfillWall(placer: WallPlacer): Promise<{ agents: number; creations: number }> {
  return placer.transaction(async (w) => {
    const agents = await w.tx.query<{ id: string }>(
      `SELECT g.id FROM agents g LEFT JOIN wall_postits p ON p.id = g.id
        WHERE p.id IS NULL AND g.archived_at IS NULL ORDER BY g.created_at, g.id`,
    );
    for (const { id } of agents) await pinAgent(w, id);
    const creations = await w.tx.query<{ id: string }>(
      `SELECT c.id FROM creations c LEFT JOIN wall_postits p ON p.id = c.id
        WHERE p.id IS NULL AND c.state = 'published' ORDER BY c.published_at, c.id`,
    );
    let pinned = 0;
    for (const { id } of creations) if (await pinCreation(w, id)) pinned++;
    return { agents: agents.length, creations: pinned };
  });
}
