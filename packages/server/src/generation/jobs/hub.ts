// In-process fan-out of job changes to SSE streams and `Prefer: wait` requests.
import type { Generation } from "@oto/sdk/schema";

export type JobListener = (view: Generation) => void;

export class JobEventHub {
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;

  /** Calls `listener` with each change of the job; returns the unsubscribe function. */
  subscribe(jobId: string, listener: JobListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) {
      set = new Set();
      this.listeners.set(jobId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(jobId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(jobId);
    };
  }

  /** How many followers the job has (streams, waiting requests). */
  listenerCount(jobId: string): number {
    return this.listeners.get(jobId)?.size ?? 0;
  }

  publish(view: Generation): void {
    const set = this.listeners.get(view.id);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(view);
      } catch {
        // A broken listener (a closed stream) must not keep others from hearing the change.
      }
    }
  }

  /** Called once when the server shuts down (streams end so that close() is not held up). */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
    this.listeners.clear();
  }
}
