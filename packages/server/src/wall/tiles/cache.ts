export interface CachedTile {
  version: number;
  etag: string;
  /**
   * The tile serialized once, as UTF-8 bytes: sent and batched as is. Bytes rather than a string, because
   * encoding a large string on every answer allocated a fresh buffer per request, and the garbage collector's work
   * on a heap that holds the whole wall cost more than half the throughput of a hot tile.
   */
  body: Buffer;
}

/**
 * Serialized tiles, least recently used first out, bounded by their bytes. An entry is valid only
 * while its tile's version is unchanged; a stale one is simply replaced.
 */
export class TileCache {
  private readonly entries = new Map<string, CachedTile>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get(key: string, version: number): CachedTile | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.version !== version) {
      this.bytes -= entry.body.byteLength;
      return undefined;
    }
    this.entries.set(key, entry); // most recently used last
    return entry;
  }

  set(key: string, entry: CachedTile): void {
    if (!this.enabled || entry.body.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, entry);
    this.bytes += entry.body.byteLength;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.byteLength;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
