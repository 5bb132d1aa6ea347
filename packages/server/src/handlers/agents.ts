import { AgentService } from "../agents/service.js";
import { decodeCursor, pageOf } from "../store/pagination.js";
import { toAgent } from "../agents/rows.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import type { WallPlacer } from "../wall/placer.js";
import { type Handler, requireAuth } from "./types.js";

export interface AgentDeps {
  db: Db;
  /** Pins agents' golden post-its. */
  wall: WallPlacer;
}

const AGENT_ID = /^ag_[0-9a-z]{26}$/;

export function agentHandlers(deps: AgentDeps): {
  listAgents: Handler<"listAgents">;
  createAgent: Handler<"createAgent">;
  getAgent: Handler<"getAgent">;
  updateAgent: Handler<"updateAgent">;
  archiveAgent: Handler<"archiveAgent">;
} {
  // Built on first use: the contract test makes the handlers without dependencies.
  let service: AgentService | undefined;
  const agents = () => (service ??= new AgentService(deps.db, deps.wall));

  return {
    async listAgents({ auth, query }) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, AGENT_ID);
      const owner = query.owner;
      let filter;
      if (owner === "me") {
        if (!auth) {
          throw new ApiError(401, "missing_api_key", "owner=me lists your own agents: send your API key (Bearer oto_…).", {
            headers: { "www-authenticate": 'Bearer realm="oto"' },
          });
        }
        filter = { accountId: auth.account.id, includeArchived: query.include_archived ?? false };
      } else if (owner !== undefined) {
        filter = { ownerHandle: owner, includeArchived: false };
      } else {
        filter = { includeArchived: false };
      }
      const rows = await agents().list({ ...filter, ...(query.kind ? { kind: query.kind } : {}) }, limit, after);
      return { status: 200, body: pageOf(rows, limit, toAgent) };
    },

    async createAgent({ auth, body }) {
      const row = await agents().create(requireAuth(auth).account.id, body);
      return { status: 201, body: toAgent(row) };
    },

    async getAgent({ params }) {
      return { status: 200, body: toAgent(await agents().get(params.agent_id)) };
    },

    async updateAgent({ auth, params, body }) {
      const row = await agents().update(requireAuth(auth).account.id, params.agent_id, body);
      return { status: 200, body: toAgent(row) };
    },

    async archiveAgent({ auth, params }) {
      const row = await agents().archive(requireAuth(auth).account.id, params.agent_id);
      return { status: 200, body: toAgent(row) };
    },
  };
}
