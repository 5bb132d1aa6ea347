/**
 * "The wall changed": raised by the code that pins and unpins post-its after its transaction commits, heard by the
 * in-memory tile index, which then catches up from the `wall_changes` table. In-process only: other processes on the
 * same database find the changes by reading that table.
 */
export class WallSignal {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }
}
