// The providers one server runs jobs on: always the offline "local" generator, and RunPod when it has a key.
import type { ServerConfig } from "../../config.js";
import { LocalProvider } from "../local/index.js";
import type { GenerationProvider } from "../provider.js";
import { RunPodProvider } from "../runpod/index.js";

export type ProviderName = "local" | "runpod";

/** A job's provider cannot run here (e.g. RunPod without an API key): the job fails at once and costs nothing. */
export class ProviderNotConfigured extends Error {
  override readonly name = "ProviderNotConfigured";
}

export interface ProviderRegistryOptions {
  /** Simulated extra time per local job (tests). Default 0. */
  localDelayMs?: number;
  /** Local jobs rendering at once. Default 2. */
  localConcurrency?: number;
}

export class ProviderRegistry {
  readonly local: LocalProvider;
  readonly runpod: RunPodProvider | undefined;

  constructor(config: ServerConfig, options: ProviderRegistryOptions = {}) {
    this.local = new LocalProvider({
      // The runner reads a finished job within a poll (under a second) and then only needs it again after a
      // restart, when this in-memory provider has forgotten it anyway: keep outputs briefly, not for an hour.
      retainMs: 10_000,
      ...(options.localDelayMs !== undefined ? { delayMs: options.localDelayMs } : {}),
      ...(options.localConcurrency !== undefined ? { concurrency: options.localConcurrency } : {}),
    });
    this.runpod = config.runpod.apiKey
      ? new RunPodProvider({
          apiKey: config.runpod.apiKey,
          baseUrl: config.runpod.apiBase,
          maxOutputBytes: config.maxOutputBytes,
          allowedOutputHosts: config.runpod.outputHosts,
          // RunPod stops the job at our own deadline too (its minimum is just over 5 s).
          executionTimeoutMs: Math.max(6000, config.jobTimeoutS * 1000),
        })
      : undefined;
  }

  get(name: ProviderName): GenerationProvider {
    if (name === "local") return this.local;
    if (!this.runpod) {
      throw new ProviderNotConfigured(
        "This server has no RunPod API key, so RunPod agents cannot run here: the operator sets RUNPOD_API_KEY (and RUNPOD_API_BASE if needed).",
      );
    }
    return this.runpod;
  }

  async close(): Promise<void> {
    await this.runpod?.close();
  }
}
