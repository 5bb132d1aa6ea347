// Agents: the checks the schema cannot express, defaults, and who may change what.
import type { RequestBody } from "../handlers/types.js";
import type { Db, Queryable } from "../db/types.js";
import type { WallPlacer } from "../wall/placer.js";
import { pinAgent } from "../wall/pinning.js";
import { ApiError, type FieldError } from "../problems.js";
import { validationDetail } from "../validation.js";
import { DEFAULT_COST_TOKENS, defaultAgentColor } from "./defaults.js";
import { parameterErrors } from "./parameters.js";
import type { AgentRow } from "./rows.js";
import {
  type AgentChanges,
  type AgentCursor,
  type AgentFilter,
  archiveAgent,
  findAgent,
  insertAgent,
  listAgents,
  updateAgent,
} from "./store.js";
import { templateErrors } from "./template.js";

export function invalid(errors: FieldError[]): ApiError {
  return new ApiError(400, "validation_failed", validationDetail(errors), { errors });
}

export class AgentService {
  constructor(
    private readonly db: Db,
    private readonly wall: WallPlacer,
  ) {}

  async create(accountId: string, body: RequestBody<"createAgent">): Promise<AgentRow> {
    const promptTemplate = body.prompt_template ?? "{{prompt}}";
    const errors = [
      ...(body.name.trim() === "" ? [{ location: "body/name", message: "must not be blank" }] : []),
      ...templateErrors(promptTemplate, "body/prompt_template"),
      ...parameterErrors(body.kind, body.default_parameters, "body/default_parameters"),
    ];
    if (errors.length > 0) throw invalid(errors);
    // The golden post-it is pinned in the same transaction: an agent is never made without its place on the wall.
    return this.wall.transaction(async (w) => {
      const row = await insertAgent(w.tx, {
        accountId,
        name: body.name,
        description: body.description ?? "",
        kind: body.kind,
        provider: body.provider ?? { type: "local" },
        promptTemplate,
        defaultParameters: body.default_parameters ?? {},
        color: body.color ?? defaultAgentColor(body.name),
        costTokens: body.cost_tokens ?? DEFAULT_COST_TOKENS[body.kind],
      });
      const placement = await pinAgent(w, row.id);
      if (!placement) throw new Error(`agent ${row.id} vanished before it was pinned`);
      return { ...row, wall_x: placement.x, wall_y: placement.y, wall_rotation: placement.rotation, wall_colour: placement.colour };
    });
  }

  async get(agentId: string): Promise<AgentRow> {
    const row = await findAgent(this.db, agentId);
    if (!row) throw notFound(agentId);
    return row;
  }

  list(filter: AgentFilter, limit: number, after: AgentCursor | undefined): Promise<AgentRow[]> {
    return listAgents(this.db, filter, limit, after);
  }

  async update(accountId: string, agentId: string, body: RequestBody<"updateAgent">): Promise<AgentRow> {
    const current = await this.ownAgent(accountId, agentId, "change");
    if (current.archived_at !== null) throw archived(agentId);
    const errors = [
      ...(body.name !== undefined && body.name.trim() === "" ? [{ location: "body/name", message: "must not be blank" }] : []),
      ...(body.prompt_template === undefined ? [] : templateErrors(body.prompt_template, "body/prompt_template")),
      ...parameterErrors(current.kind, body.default_parameters, "body/default_parameters"),
    ];
    if (errors.length > 0) throw invalid(errors);
    const changes: AgentChanges = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.description !== undefined) changes.description = body.description;
    if (body.provider !== undefined) changes.provider = body.provider;
    if (body.prompt_template !== undefined) changes.promptTemplate = body.prompt_template;
    if (body.default_parameters !== undefined) changes.defaultParameters = body.default_parameters;
    if (body.color !== undefined) changes.color = body.color;
    if (body.cost_tokens !== undefined) changes.costTokens = body.cost_tokens;
    const updated = await this.touchingPostIt(agentId, (tx) => updateAgent(tx, agentId, accountId, changes));
    // Archived between the read and the update.
    if (!updated) throw archived(agentId);
    return updated;
  }

  /** Archiving keeps the golden post-it on the wall: the creations made with the agent still hang from it. */
  async archive(accountId: string, agentId: string): Promise<AgentRow> {
    await this.ownAgent(accountId, agentId, "archive");
    const row = await this.touchingPostIt(agentId, (tx) => archiveAgent(tx, agentId, accountId));
    if (!row) throw notFound(agentId);
    return row;
  }

  /** Runs a change of the agent and, when it happened, marks its post-it's tile as changed (name, state). */
  private touchingPostIt(agentId: string, change: (tx: Queryable) => Promise<AgentRow | undefined>): Promise<AgentRow | undefined> {
    return this.wall.transaction(async (w) => {
      const row = await change(w.tx);
      if (row) await w.touch([agentId]);
      return row;
    });
  }

  private async ownAgent(accountId: string, agentId: string, action: string): Promise<AgentRow> {
    const row = await findAgent(this.db, agentId);
    if (!row) throw notFound(agentId);
    if (row.account_id !== accountId) {
      throw new ApiError(403, "forbidden", `Only the agent's owner can ${action} it.`);
    }
    return row;
  }
}

export function notFound(agentId: string): ApiError {
  return new ApiError(404, "not_found", `No agent ${agentId}.`);
}

export function archived(agentId: string): ApiError {
  return new ApiError(409, "invalid_state", `Agent ${agentId} is archived; archived agents cannot be changed or run.`);
}
