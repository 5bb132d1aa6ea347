// The one interface every generation provider implements (issue 3). A provider turns an agent run into
// output files; the job service above it owns states, money and storage.

export type OutputKind = "text" | "image" | "voice" | "video";

export interface GenerationInputFile {
  creationId: string;
  kind: OutputKind;
  mediaType: string;
  bytes: Uint8Array;
}

export interface GenerationRequest {
  /** oTo's job id (`job_…`); providers use it for logs and webhook URLs, never as a secret. */
  jobId: string;
  kind: OutputKind;
  /** The agent's template already filled with the user's prompt. */
  prompt: string;
  /** Validated per kind by the caller (e.g. width/height for images, duration_s for voice and video). */
  parameters: Record<string, unknown>;
  /** Creations this run starts from (forks), in order. */
  inputs: GenerationInputFile[];
  agent: { id: string; name: string; model?: string; endpointId?: string };
}

export interface GeneratedFile {
  bytes: Uint8Array;
  /** Claimed by the provider; the storage layer sniffs the real type from the bytes. */
  mediaType: string;
  filename: string;
  /** Free-form provenance, e.g. { generator: "oto-local-procedural/1", notice: "procedural placeholder, not AI" }. */
  metadata: Record<string, string>;
}

export type ProviderStatus =
  | { state: "queued" | "running"; progress?: number; message?: string }
  | { state: "succeeded"; outputs: GeneratedFile[] }
  | { state: "failed"; error: string; retryable?: boolean }
  | { state: "canceled" }
  | { state: "timed_out" }
  /** The provider no longer knows the job (e.g. RunPod result expired, or the process restarted). */
  | { state: "expired" };

export interface SubmitOptions {
  /** Where the provider may POST completion notices (RunPod webhook), if the server is reachable. */
  webhookUrl?: string;
  signal?: AbortSignal;
}

export interface GenerationProvider {
  readonly name: "local" | "runpod";
  /** Starts the job; resolves once the provider has accepted it. */
  submit(request: GenerationRequest, options?: SubmitOptions): Promise<{ externalId: string }>;
  /** Current state; on success the outputs are already fetched, size-checked and in memory. */
  status(externalId: string, signal?: AbortSignal): Promise<ProviderStatus>;
  /** Best effort; a job that already finished stays finished. */
  cancel(externalId: string): Promise<void>;
}
