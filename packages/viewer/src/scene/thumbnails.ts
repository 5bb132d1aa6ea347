import { Texture } from "pixi.js";
import { Lru } from "../tiles/lru.js";

/**
 * Thumbnails as textures: a few loads at a time, the newest asked first (what the user looks at now), kept in
 * an LRU and destroyed on eviction. An evicted thumbnail still drawn by a tile is re-asked by that tile later.
 */
export class ThumbnailStore {
  private readonly cache: Lru<string, Texture>;
  private readonly waiting = new Map<string, ((texture: Texture) => void)[]>();
  private queue: string[] = [];
  private active = 0;

  constructor(
    private readonly maxLoads: number,
    capacity: number,
  ) {
    // Destroying a texture some tile still shows would blank it; tiles are evicted long before 160 thumbnails.
    this.cache = new Lru(capacity, (_url, texture) => texture.destroy(true));
  }

  request(url: string, onReady: (texture: Texture) => void): void {
    const cached = this.cache.get(url);
    if (cached) return onReady(cached);
    const list = this.waiting.get(url);
    if (list) {
      list.push(onReady);
      return;
    }
    this.waiting.set(url, [onReady]);
    this.queue.push(url);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.maxLoads && this.queue.length > 0) {
      const url = this.queue.pop()!;
      this.active++;
      const image = new Image();
      image.decoding = "async";
      image.onload = () => {
        const texture = Texture.from(image);
        this.cache.set(url, texture);
        for (const done of this.waiting.get(url) ?? []) done(texture);
        this.finish(url);
      };
      image.onerror = () => this.finish(url);
      image.src = url;
    }
  }

  private finish(url: string): void {
    this.waiting.delete(url);
    this.active--;
    this.pump();
  }
}
