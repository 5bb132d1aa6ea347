// SQL over the agents table.
import type { Queryable } from "../db/types.js";
import { sortableId } from "../ids.js";
import type { OutputKind } from "../generation/provider.js";
import type { GenerationParameters } from "./parameters.js";
import { AGENT_SELECT, type AgentProviderConfig, type AgentRow } from "./rows.js";

export const newAgentId = () => `ag_${sortableId()}`;

export interface NewAgent {
  accountId: string;
  name: string;
  description: string;
  kind: OutputKind;
  provider: AgentProviderConfig;
  promptTemplate: string;
  defaultParameters: GenerationParameters;
  color: string;
  costTokens: number;
}

export async function insertAgent(db: Queryable, agent: NewAgent): Promise<AgentRow> {
  const id = newAgentId();
  const now = new Date();
  await db.query(
    `INSERT INTO agents (id, account_id, name, description, kind, provider, prompt_template, default_parameters,
                         color, cost_tokens, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, $11, $11)`,
    [
      id,
      agent.accountId,
      agent.name,
      agent.description,
      agent.kind,
      JSON.stringify(agent.provider),
      agent.promptTemplate,
      JSON.stringify(agent.defaultParameters),
      agent.color,
      agent.costTokens,
      now,
    ],
  );
  const row = await findAgent(db, id);
  if (!row) throw new Error(`agent ${id} vanished right after its insert`);
  return row;
}

export async function findAgent(db: Queryable, id: string): Promise<AgentRow | undefined> {
  const rows = await db.query<AgentRow>(`${AGENT_SELECT} WHERE g.id = $1`, [id]);
  return rows[0];
}

export interface AgentFilter {
  /** Only this account's agents. */
  accountId?: string;
  /** Only agents whose owner has this handle (any case). */
  ownerHandle?: string;
  kind?: OutputKind;
  includeArchived: boolean;
}

export interface AgentCursor {
  createdAt: Date;
  id: string;
}

/** Newest first, after the cursor; fetches limit + 1 to know whether more follow. */
export async function listAgents(
  db: Queryable,
  filter: AgentFilter,
  limit: number,
  after: AgentCursor | undefined,
): Promise<AgentRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.accountId !== undefined) where.push(`g.account_id = ${param(filter.accountId)}`);
  if (filter.ownerHandle !== undefined) where.push(`a.handle_lower = ${param(filter.ownerHandle.toLowerCase())}`);
  if (filter.kind !== undefined) where.push(`g.kind = ${param(filter.kind)}`);
  if (!filter.includeArchived) where.push("g.archived_at IS NULL");
  if (after) where.push(`(g.created_at, g.id) < (${param(after.createdAt)}::timestamptz, ${param(after.id)}::text)`);
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return db.query<AgentRow>(
    `${AGENT_SELECT} ${clause} ORDER BY g.created_at DESC, g.id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
}

export interface AgentChanges {
  name?: string;
  description?: string;
  provider?: AgentProviderConfig;
  promptTemplate?: string;
  defaultParameters?: GenerationParameters;
  color?: string;
  costTokens?: number;
}

/** Applies the changes if the agent is the account's and not archived; undefined otherwise. */
export async function updateAgent(
  db: Queryable,
  id: string,
  accountId: string,
  changes: AgentChanges,
): Promise<AgentRow | undefined> {
  const sets: string[] = [];
  const params: unknown[] = [id, accountId];
  const set = (column: string, value: unknown, cast = "") => {
    params.push(value);
    sets.push(`${column} = $${params.length}${cast}`);
  };
  if (changes.name !== undefined) set("name", changes.name);
  if (changes.description !== undefined) set("description", changes.description);
  if (changes.provider !== undefined) set("provider", JSON.stringify(changes.provider), "::jsonb");
  if (changes.promptTemplate !== undefined) set("prompt_template", changes.promptTemplate);
  if (changes.defaultParameters !== undefined) set("default_parameters", JSON.stringify(changes.defaultParameters), "::jsonb");
  if (changes.color !== undefined) set("color", changes.color);
  if (changes.costTokens !== undefined) set("cost_tokens", changes.costTokens);
  set("updated_at", new Date());
  const rows = await db.query<{ id: string }>(
    `UPDATE agents SET ${sets.join(", ")}
      WHERE id = $1 AND account_id = $2 AND archived_at IS NULL
      RETURNING id`,
    params,
  );
  return rows[0] ? findAgent(db, id) : undefined;
}

/** Archives the account's agent (keeping the first archive time); undefined when it is not theirs. */
export async function archiveAgent(db: Queryable, id: string, accountId: string): Promise<AgentRow | undefined> {
  const now = new Date();
  const rows = await db.query<{ id: string }>(
    `UPDATE agents SET archived_at = COALESCE(archived_at, $3),
                       updated_at = CASE WHEN archived_at IS NULL THEN $3 ELSE updated_at END
      WHERE id = $1 AND account_id = $2
      RETURNING id`,
    [id, accountId, now],
  );
  return rows[0] ? findAgent(db, id) : undefined;
}
