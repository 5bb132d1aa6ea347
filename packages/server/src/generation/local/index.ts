// The "local" provider: an offline procedural generator, the default so oTo runs without a GPU. It is never
// presented as AI: every file carries a notice saying it is a procedural placeholder. Output depends only on
// (kind, prompt, parameters, inputs), so re-running a job (e.g. after a restart, when status() says "expired")
// yields byte-identical files.
import type {
  GeneratedFile,
  GenerationProvider,
  GenerationRequest,
  ProviderStatus,
  SubmitOptions,
} from "../provider.js";
import { generateImage, normalizeImageParameters } from "./image.js";
import { requestSeed } from "./seed.js";
import { GenerationCanceled, LocalGenerationError, type GenerationContext } from "./shared.js";
import { generateText, normalizeTextParameters } from "./text.js";
import { generateVideo, normalizeVideoParameters } from "./video.js";
import { generateVoice, normalizeVoiceParameters } from "./voice.js";

export { GENERATOR_ID, NOTICE } from "./shared.js";
export { TEXT_FOOTER } from "./text.js";

export interface LocalProviderOptions {
  /** Simulated extra duration per job, spread over its run so progress and cancel can be observed. Default 0. */
  delayMs?: number;
  /** Jobs rendering at once; the rest wait as "queued". Default 2. */
  concurrency?: number;
  /** How long finished jobs stay readable before status() answers "expired". Default one hour. */
  retainMs?: number;
}

interface Job {
  state: ProviderStatus;
  controller: AbortController;
  finishedAt?: number;
}

const PREFIX = "local_";

/** Runs one request to its file, entirely in this process. */
export async function generateLocally(request: GenerationRequest, context: GenerationContext): Promise<GeneratedFile> {
  const { kind, prompt, inputs } = request;
  const seedOf = (parameters: object): string =>
    requestSeed({ kind, prompt, parameters: parameters as Record<string, number>, inputs });
  switch (kind) {
    case "text": {
      const parameters = normalizeTextParameters(request.parameters);
      return generateText({ prompt, parameters, inputs, seed: seedOf(parameters) });
    }
    case "image": {
      const parameters = normalizeImageParameters(request.parameters);
      return generateImage({ prompt, parameters, inputs, seed: seedOf(parameters) }, context);
    }
    case "voice": {
      const parameters = normalizeVoiceParameters(request.parameters);
      return generateVoice({ prompt, parameters, inputs, seed: seedOf(parameters) }, context);
    }
    case "video": {
      const parameters = normalizeVideoParameters(request.parameters);
      return generateVideo({ prompt, parameters, inputs, seed: seedOf(parameters) }, context);
    }
    default:
      throw new LocalGenerationError(`the local generator cannot make output of kind ${JSON.stringify(kind)}`);
  }
}

export class LocalProvider implements GenerationProvider {
  readonly name = "local" as const;
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly delayMs: number;
  private readonly concurrency: number;
  private readonly retainMs: number;

  constructor(options: LocalProviderOptions = {}) {
    this.delayMs = Math.max(0, options.delayMs ?? 0);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
    this.retainMs = Math.max(0, options.retainMs ?? 60 * 60 * 1000);
  }

  async submit(request: GenerationRequest, options: SubmitOptions = {}): Promise<{ externalId: string }> {
    options.signal?.throwIfAborted();
    this.forgetOldJobs();
    const externalId = `${PREFIX}${request.jobId}`;
    const existing = this.jobs.get(externalId);
    // Submitting the same oTo job twice (a retried request) must not run it twice.
    if (existing && existing.state.state !== "canceled") return { externalId };

    const job: Job = { state: { state: "queued", progress: 0 }, controller: new AbortController() };
    this.jobs.set(externalId, job);
    void this.run(job, request);
    return { externalId };
  }

  async status(externalId: string): Promise<ProviderStatus> {
    this.forgetOldJobs();
    const job = this.jobs.get(externalId);
    return job ? job.state : { state: "expired" };
  }

  async cancel(externalId: string): Promise<void> {
    const job = this.jobs.get(externalId);
    if (!job || (job.state.state !== "queued" && job.state.state !== "running")) return;
    job.controller.abort();
    this.finish(job, { state: "canceled" });
  }

  private async run(job: Job, request: GenerationRequest): Promise<void> {
    const signal = job.controller.signal;
    await this.acquireSlot();
    try {
      if (signal.aborted) return;
      job.state = { state: "running", progress: 0, message: "generating offline (procedural placeholder)" };
      const delayShare = this.delayMs > 0 ? 0.5 : 0;
      const setProgress = (fraction: number): void => {
        if (job.state.state === "running") job.state = { ...job.state, progress: Math.min(1, Math.max(0, fraction)) };
      };
      await this.simulateDelay(signal, (fraction) => setProgress(fraction * delayShare));
      const output = await generateLocally(request, {
        signal,
        progress: (fraction) => setProgress(delayShare + fraction * (1 - delayShare)),
      });
      if (signal.aborted) return;
      this.finish(job, { state: "succeeded", outputs: [output] });
    } catch (error) {
      if (signal.aborted || error instanceof GenerationCanceled) return;
      const message =
        error instanceof LocalGenerationError
          ? error.message
          : `local generator error: ${error instanceof Error ? error.message : String(error)}`;
      this.finish(job, { state: "failed", error: message, retryable: false });
    } finally {
      this.releaseSlot();
    }
  }

  private finish(job: Job, state: ProviderStatus): void {
    job.state = state;
    job.finishedAt = Date.now();
  }

  private async simulateDelay(signal: AbortSignal, progress: (fraction: number) => void): Promise<void> {
    if (this.delayMs === 0) return;
    const steps = 10;
    for (let step = 1; step <= steps; step++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.delayMs / steps);
        signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (signal.aborted) throw new GenerationCanceled("canceled");
      progress(step / steps);
    }
  }

  private async acquireSlot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiting job, or frees it. */
  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private forgetOldJobs(): void {
    const cutoff = Date.now() - this.retainMs;
    for (const [id, job] of this.jobs) {
      if (job.finishedAt !== undefined && job.finishedAt < cutoff) this.jobs.delete(id);
    }
  }
}
