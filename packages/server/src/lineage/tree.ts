// Lineage (oldest ancestor → creation) and descendant trees, as rows; views.ts turns them into API shapes.
import type { Queryable } from "../db/types.js";
import { type SummaryRow, ancestorChain, childrenOf, hasChildren, isVisible } from "./store.js";

/** A lineage longer than this is cut at its oldest end (no real chain comes near it). */
export const MAX_LINEAGE_STEPS = 1000;

export interface LineageStepRow {
  id: string;
  /** Undefined when the ancestor is not visible to the viewer (or no longer exists). */
  row: SummaryRow | undefined;
}

/** The steps from the first ancestor to `leaf` (last), ancestors the viewer may not see left without rows. */
export async function lineageOf(q: Queryable, leaf: SummaryRow, viewerId: string | null): Promise<LineageStepRow[]> {
  const links = await ancestorChain(q, leaf.id, MAX_LINEAGE_STEPS);
  const steps: LineageStepRow[] = [];
  const seen = new Set<string>();
  for (const link of links) {
    if (seen.has(link.id)) break; // a loop in corrupted data: stop at the first repeat
    seen.add(link.id);
    steps.push({ id: link.id, row: link.row && isVisible(link.row, viewerId) ? link.row : undefined });
  }
  return steps.reverse();
}

export interface TreeNodeRow {
  row: SummaryRow;
  children: TreeNodeRow[];
}

export interface TreeRows {
  root: TreeNodeRow;
  count: number;
  truncated: boolean;
  /** Every row in the tree (for reading their agents in one query). */
  rows: SummaryRow[];
}

/**
 * The creations forked from `root`, level by level (one indexed query per level), up to `depth` levels and
 * `limit` creations counting the root. A creation with several sources hangs under the first one in the tree.
 * Creations the viewer may not see are left out, and so is what was forked from them.
 */
export async function treeOf(
  q: Queryable,
  root: SummaryRow,
  viewerId: string | null,
  options: { depth: number; limit: number },
): Promise<TreeRows> {
  const rootNode: TreeNodeRow = { row: root, children: [] };
  const nodes = new Map<string, TreeNodeRow>([[root.id, rootNode]]);
  const rows: SummaryRow[] = [root];
  let frontier = [root.id];
  let truncated = false;

  for (let level = 1; level <= options.depth && frontier.length > 0; level++) {
    const room = options.limit - rows.length;
    if (room <= 0) break;
    const found = (await childrenOf(q, frontier, viewerId, room + 1)).filter((row) => !nodes.has(row.id));
    if (found.length > room) {
      truncated = true;
      found.length = room;
    }
    const inFrontier = new Set(frontier);
    for (const row of found) {
      const parentId = row.source_ids.find((id) => inFrontier.has(id));
      const node: TreeNodeRow = { row, children: [] };
      nodes.get(parentId!)!.children.push(node);
      nodes.set(row.id, node);
      rows.push(row);
    }
    frontier = found.map((row) => row.id);
  }
  // Stopped by depth or limit with creations left below the last level.
  if (!truncated && frontier.length > 0) truncated = await hasChildren(q, frontier, viewerId, [...nodes.keys()]);
  return { root: rootNode, count: rows.length, truncated, rows };
}
