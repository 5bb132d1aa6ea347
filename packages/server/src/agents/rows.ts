import type { Agent } from "@oto/sdk/schema";
import type { OutputKind } from "../generation/provider.js";
import { type PlacementColumns, placementColumns, placementOf } from "../wall/views.js";
import type { GenerationParameters } from "./parameters.js";

export type AgentProviderConfig = { type: "local" } | { type: "runpod"; endpoint_id: string; model?: string };

/** An agents row joined with its owner and its golden post-it (if pinned). */
export interface AgentRow extends PlacementColumns {
  id: string;
  account_id: string;
  owner_handle: string;
  owner_display_name: string;
  name: string;
  description: string;
  kind: OutputKind;
  provider: AgentProviderConfig;
  prompt_template: string;
  default_parameters: GenerationParameters;
  color: string;
  cost_tokens: number;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const AGENT_SELECT = `SELECT g.id, g.account_id, a.handle AS owner_handle, a.display_name AS owner_display_name,
       g.name, g.description, g.kind, g.provider, g.prompt_template, g.default_parameters, g.color,
       g.cost_tokens, g.archived_at, g.created_at, g.updated_at, ${placementColumns("w")}
  FROM agents g JOIN accounts a ON a.id = g.account_id LEFT JOIN wall_postits w ON w.id = g.id`;

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    owner: { id: row.account_id, handle: row.owner_handle, display_name: row.owner_display_name },
    name: row.name,
    description: row.description,
    kind: row.kind,
    provider: row.provider,
    prompt_template: row.prompt_template,
    default_parameters: row.default_parameters,
    color: row.color,
    cost_tokens: row.cost_tokens,
    archived_at: row.archived_at === null ? null : row.archived_at.toISOString(),
    placement: placementOf(row),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
