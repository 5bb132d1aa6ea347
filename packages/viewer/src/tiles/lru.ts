/** A least-recently-used map; `onEvict` frees what an entry holds (GPU textures, containers). */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(
    public capacity: number,
    private readonly onEvict: (key: K, value: V) => void = () => {},
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      if (old !== value) this.onEvict(key, old);
    }
    this.map.set(key, value);
    this.trim();
  }

  /** Drops the oldest entries beyond capacity, never those in `keep`. */
  trim(keep?: Set<K>): void {
    if (this.map.size <= this.capacity) return;
    for (const [key, value] of this.map) {
      if (this.map.size <= this.capacity) break;
      if (keep?.has(key)) continue;
      this.map.delete(key);
      this.onEvict(key, value);
    }
  }

  delete(key: K): void {
    const value = this.map.get(key);
    if (value === undefined) return;
    this.map.delete(key);
    this.onEvict(key, value);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  clear(): void {
    for (const [key, value] of this.map) this.onEvict(key, value);
    this.map.clear();
  }
}
