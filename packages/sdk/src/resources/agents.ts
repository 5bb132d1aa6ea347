import type { ApiContext } from "../context.js";
import type { RequestOptions } from "../options.js";
import { paginate } from "../paginate.js";
import type { Agent, AgentPage, CreateAgentRequest, operations, UpdateAgentRequest } from "../schema.js";

/** `owner` (`me` or a handle), `kind`, `include_archived` (with `owner: "me"`), `limit`, `cursor`. */
export type ListAgentsParams = NonNullable<operations["listAgents"]["parameters"]["query"]>;

export interface AgentsApi {
  /** Creates an agent owned by the current account (provider `local`, template `{{prompt}}` unless given). */
  create(body: CreateAgentRequest, options?: RequestOptions): Promise<Agent>;
  /** One page of agents, newest first: `owner: "me"` yours, `owner: "<handle>"` theirs, else every active one. */
  list(params?: ListAgentsParams, options?: RequestOptions): Promise<AgentPage>;
  /** Every agent matching `params`, following `next_cursor` page by page. */
  listAll(params?: Omit<ListAgentsParams, "cursor">, options?: RequestOptions): AsyncIterableIterator<Agent>;
  /** Any agent, archived ones included. */
  get(agentId: string, options?: RequestOptions): Promise<Agent>;
  /** Changes the given fields of one of your agents (the kind never changes). */
  update(agentId: string, body: UpdateAgentRequest, options?: RequestOptions): Promise<Agent>;
  /** Stops the agent from accepting runs; archiving an archived agent answers it unchanged. */
  archive(agentId: string, options?: RequestOptions): Promise<Agent>;
}

export function agentsApi(ctx: ApiContext): AgentsApi {
  const path = (agentId: string) => ({ path: { agent_id: agentId } });
  const api: AgentsApi = {
    create: (body, o) => ctx.unwrap(ctx.raw.POST("/v1/agents", { body, ...ctx.init(o) })),
    list: (params = {}, o) => ctx.unwrap(ctx.raw.GET("/v1/agents", { params: { query: params }, ...ctx.init(o) })),
    listAll: (params = {}, o) => paginate((cursor) => api.list({ ...params, ...(cursor && { cursor }) }, o)),
    get: (agentId, o) => ctx.unwrap(ctx.raw.GET("/v1/agents/{agent_id}", { params: path(agentId), ...ctx.init(o) })),
    update: (agentId, body, o) =>
      ctx.unwrap(ctx.raw.PATCH("/v1/agents/{agent_id}", { params: path(agentId), body, ...ctx.init(o) })),
    archive: (agentId, o) =>
      ctx.unwrap(ctx.raw.POST("/v1/agents/{agent_id}/archive", { params: path(agentId), ...ctx.init(o) })),
  };
  return api;
}
