import type { Generation, GenerationStatus } from "./schema.js";

const ENDED: ReadonlySet<GenerationStatus> = new Set(["succeeded", "failed", "canceled", "timed_out"]);

/** True once the job will not change any more (succeeded, failed, canceled or timed out). */
export function isEnded(generation: Pick<Generation, "status">): boolean {
  return ENDED.has(generation.status);
}
