import type { FastifyRequest } from "fastify";
import type { AuthContext } from "../auth.js";
import { baseUrlFor } from "../creations/share.js";
import { agentRefs } from "../creations/store.js";
import type { Db } from "../db/types.js";
import type { GenerationSystem } from "../generation/jobs/index.js";
import { publishedKeys } from "../lineage/keyStore.js";
import { ensureRecord } from "../lineage/records.js";
import { type SummaryRow, findSummary, isVisible } from "../lineage/store.js";
import { lineageOf, treeOf } from "../lineage/tree.js";
import { toLineage, toTree } from "../lineage/views.js";
import { ApiError } from "../problems.js";
import { generationHandlers } from "./generations.js";
import type { Handler, HandlerInput } from "./types.js";

export interface LineageDeps {
  db: Db;
  generation: GenerationSystem;
  /** config.publicUrl: the base of thumbnail URLs (else the request's own scheme and host). */
  publicUrl: string | undefined;
}

// The same answer whether the creation does not exist or is someone else's draft: existence never leaks.
function notFound(id: string): ApiError {
  return new ApiError(404, "not_found", `No creation ${id}.`);
}

export function lineageHandlers(deps: LineageDeps): {
  forkCreation: Handler<"forkCreation">;
  getCreationLineage: Handler<"getCreationLineage">;
  getCreationTree: Handler<"getCreationTree">;
  getCreationRecord: Handler<"getCreationRecord">;
  getLineageKeys: Handler<"getLineageKeys">;
} {
  const { db } = deps;
  // A fork is createGeneration with the creation as its one input: same checks, hold, Prefer: wait and Location.
  const generations = generationHandlers({
    get generation() {
      return deps.generation; // read on use, as generationHandlers does
    },
  });

  async function visible(id: string, auth: AuthContext | undefined): Promise<SummaryRow> {
    const row = await findSummary(db, id);
    if (!row || !isVisible(row, auth?.account.id ?? null)) throw notFound(id);
    return row;
  }

  const base = (request: FastifyRequest) => baseUrlFor(request, deps.publicUrl);

  return {
    async forkCreation(input) {
      const { auth, params, body } = input;
      // Checked before the agent, so a creation the caller cannot see is a 404 whatever the body says.
      await visible(params.creation_id, auth);
      return generations.createGeneration({
        ...input,
        body: { ...body, inputs: [params.creation_id] },
      } as unknown as HandlerInput<"createGeneration">);
    },

    async getCreationLineage({ auth, params, request }) {
      const viewerId = auth?.account.id ?? null;
      const leaf = await visible(params.creation_id, auth);
      const steps = await lineageOf(db, leaf, viewerId);
      const agents = await agentRefs(db, steps.flatMap((step) => step.row?.agent_ids ?? []));
      return { status: 200, body: toLineage(leaf.id, steps, agents, base(request)) };
    },

    async getCreationTree({ auth, params, query, request }) {
      const root = await visible(params.creation_id, auth);
      const tree = await treeOf(db, root, auth?.account.id ?? null, { depth: query.depth ?? 20, limit: query.limit ?? 500 });
      const agents = await agentRefs(db, tree.rows.flatMap((row) => row.agent_ids));
      return { status: 200, body: toTree(tree, agents, base(request)) };
    },

    async getCreationRecord({ auth, params }) {
      await visible(params.creation_id, auth);
      // Creations made before records existed are signed on this first read.
      const stored = await ensureRecord(db, params.creation_id);
      if (!stored) throw notFound(params.creation_id);
      return { status: 200, body: stored.record };
    },

    async getLineageKeys({ reply }) {
      reply.header("cache-control", "public, max-age=300");
      return { status: 200, body: await publishedKeys(db) };
    },
  };
}
