// Creation rows as the API shows them.
import type { Creation, Share } from "@oto/sdk/schema";
import { placementOf } from "../wall/views.js";
import type { AgentRefRow, CreationRow } from "./store.js";

/** The share link of a creation, or null; shown to its author only. */
export function toShare(row: CreationRow, baseUrl: string): Share | null {
  if (row.share_token === null || row.share_created_at === null) return null;
  const url = `${baseUrl}/v1/shared/${row.share_token}`;
  return { token: row.share_token, url, file_url: `${url}/file`, created_at: row.share_created_at.toISOString() };
}

/**
 * The API view. `agents` must hold the agents named by the row (missing ones are left out, order kept);
 * `share` is the link when the viewer is the author, else null.
 */
export function toCreation(row: CreationRow, agents: Map<string, AgentRefRow>, share: Share | null): Creation {
  return {
    id: row.id,
    author: { id: row.account_id, handle: row.author_handle, display_name: row.author_display_name },
    kind: row.kind,
    title: row.title,
    prompt: row.prompt,
    agents: row.agent_ids.flatMap((id) => {
      const agent = agents.get(id);
      return agent ? [{ id: agent.id, name: agent.name, kind: agent.kind, color: agent.color }] : [];
    }),
    sources: row.source_ids,
    job_id: row.job_id,
    file: {
      sha256: row.sha256,
      media_type: row.media_type,
      size_bytes: Number(row.size_bytes),
      filename: row.filename,
      width: row.width,
      height: row.height,
      duration_s: row.duration_s,
      has_thumbnail: row.thumbnail_sha256 !== null,
    },
    generator_notice: row.generator_notice,
    state: row.state,
    published_at: row.published_at === null ? null : row.published_at.toISOString(),
    share,
    placement: placementOf(row),
    created_at: row.created_at.toISOString(),
  };
}
