// Lineage and tree rows as the API shows them.
import type { AgentRef, CreationSummary, CreationTree, CreationTreeNode, Lineage } from "@oto/sdk/schema";
import type { AgentRefRow } from "../creations/store.js";
import type { SummaryRow } from "./store.js";
import type { LineageStepRow, TreeNodeRow, TreeRows } from "./tree.js";
import { thumbnailUrl } from "../creations/share.js";

export function toSummary(row: SummaryRow, baseUrl: string): CreationSummary {
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    author: { id: row.account_id, handle: row.author_handle, display_name: row.author_display_name },
    state: row.state,
    thumbnail_url: row.thumbnail_sha256 === null ? null : thumbnailUrl(baseUrl, row.id),
    published_at: row.published_at === null ? null : row.published_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

function agentsOf(row: SummaryRow, agents: Map<string, AgentRefRow>): AgentRef[] {
  return row.agent_ids.flatMap((id) => {
    const agent = agents.get(id);
    return agent ? [{ id: agent.id, name: agent.name, kind: agent.kind, color: agent.color }] : [];
  });
}

export function toLineage(
  creationId: string,
  steps: LineageStepRow[],
  agents: Map<string, AgentRefRow>,
  baseUrl: string,
): Lineage {
  return {
    creation_id: creationId,
    steps: steps.map(({ id, row }) =>
      row
        ? { creation_id: id, hidden: false, creation: toSummary(row, baseUrl), agents: agentsOf(row, agents), prompt: row.prompt }
        : { creation_id: id, hidden: true, creation: null, agents: [], prompt: null },
    ),
  };
}

function toNode(node: TreeNodeRow, agents: Map<string, AgentRefRow>, baseUrl: string): CreationTreeNode {
  return {
    creation: toSummary(node.row, baseUrl),
    agents: agentsOf(node.row, agents),
    children: node.children.map((child) => toNode(child, agents, baseUrl)),
  };
}

export function toTree(tree: TreeRows, agents: Map<string, AgentRefRow>, baseUrl: string): CreationTree {
  return { root: toNode(tree.root, agents, baseUrl), count: tree.count, truncated: tree.truncated };
}
