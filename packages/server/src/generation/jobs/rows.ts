import type { Generation, GenerationStatus } from "@oto/sdk/schema";
import type { GenerationParameters } from "../../agents/parameters.js";
import type { AgentProviderConfig } from "../../agents/rows.js";
import type { OutputKind } from "../provider.js";

export type { GenerationStatus };

/** An input creation as the job saw it when it was made. */
export interface JobInput {
  id: string;
  kind: OutputKind;
  sha256: string;
  media_type: string;
}

export interface JobRow {
  id: string;
  account_id: string;
  agent_id: string;
  agent_name: string;
  agent_kind: OutputKind;
  agent_color: string;
  agent_provider: AgentProviderConfig;
  prompt_template: string;
  prompt: string;
  variables: Record<string, string>;
  rendered_prompt: string;
  parameters: GenerationParameters;
  inputs: JobInput[];
  provider: "local" | "runpod";
  status: GenerationStatus;
  progress: number | null;
  error_code: string | null;
  error_message: string | null;
  quoted: number;
  held: number;
  charged: number;
  external_id: string | null;
  attempts: number;
  creation_id: string | null;
  lease_owner: string | null;
  lease_until: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  deadline_at: Date;
  updated_at: Date;
}

export const JOB_COLUMNS = `id, account_id, agent_id, agent_name, agent_kind, agent_color, agent_provider, prompt_template,
  prompt, variables, rendered_prompt, parameters, inputs, provider, status, progress, error_code, error_message,
  quoted, held, charged, external_id, attempts, creation_id, lease_owner, lease_until, created_at, started_at,
  finished_at, deadline_at, updated_at`;

export const UNFINISHED: readonly GenerationStatus[] = ["queued", "running"];
export type EndedStatus = Exclude<GenerationStatus, "queued" | "running">;

export function isEnded(status: GenerationStatus): status is EndedStatus {
  return status !== "queued" && status !== "running";
}

const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

export function toGeneration(row: JobRow): Generation {
  return {
    id: row.id,
    status: row.status,
    agent: { id: row.agent_id, name: row.agent_name, kind: row.agent_kind, color: row.agent_color },
    provider: row.provider,
    prompt: row.prompt,
    parameters: row.parameters,
    inputs: row.inputs.map((input) => input.id),
    progress: row.progress,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? row.error_code },
    cost: { quoted: row.quoted, held: row.held, charged: row.charged },
    creation_id: row.creation_id,
    created_at: row.created_at.toISOString(),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
  };
}
