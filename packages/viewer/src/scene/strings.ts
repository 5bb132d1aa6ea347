import type { WallPostIt, WallString } from "@oto/sdk/schema";
import { Container, Graphics } from "pixi.js";
import type { Kind } from "../budgets.js";
import { type Point, distanceToPolyline, pinPoint, stringCurve } from "../geometry.js";

export interface DrawnString {
  string: WallString;
  points: number[];
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

function hex(value: string): number {
  const n = Number.parseInt(value.slice(1, 7), 16);
  return Number.isFinite(n) ? n : 0x886644;
}

/**
 * The strings of the items tiles on screen: one Graphics per tile (each string drawn once, by the first
 * shown tile that carries it), rebuilt when the camera rests, with a width constant on screen.
 */
export class StringsLayer {
  readonly container = new Container();
  readonly overlay = new Graphics();
  private drawn: DrawnString[] = [];

  constructor() {
    this.container.label = "strings";
  }

  rebuild(
    tiles: { key: string; strings: WallString[] }[],
    postits: ReadonlyMap<string, WallPostIt>,
    size: number,
    k: number,
    kinds: ReadonlySet<Kind>,
    highlight: ReadonlySet<string> | null,
  ): void {
    for (const child of this.container.removeChildren()) child.destroy();
    this.drawn = [];
    const seen = new Set<string>();
    const width = 2.2 / k;
    const keep = (id: string) => {
      const p = postits.get(id);
      return !p || kinds.has(p.kind);
    };
    const end = (e: WallString["from"]): Point => pinPoint(e.x, e.y, size, postits.get(e.id)?.rotation ?? 0);
    for (const tile of tiles) {
      const g = new Graphics();
      let count = 0;
      for (const s of tile.strings) {
        if (seen.has(s.id)) continue;
        seen.add(s.id);
        if (!keep(s.from.id) || !keep(s.to.id)) continue;
        const points = stringCurve(end(s.from), end(s.to), 14);
        const lit = highlight ? highlight.has(s.from.id) && highlight.has(s.to.id) : false;
        const dim = highlight !== null && !lit;
        // "Made with" strings are the agent's coloured thread; "forked from" a finer pencil-brown one, so long
        // forks across the wall do not drown the notes.
        const made = s.type === "made_with";
        const w = (made ? width : width * 0.7) * (lit ? 1.8 : 1);
        const alpha = dim ? 0.12 : lit ? 1 : made ? 0.9 : 0.5;
        // A faint shadow under the string gives it depth off the paper.
        g.poly(points.map((v, i) => v + (i % 2 === 0 ? 2 : 5) / Math.max(k, 0.35)), false).stroke({
          width: w * 1.2,
          color: 0x3a2a10,
          alpha: alpha * 0.12,
          cap: "round",
          join: "round",
        });
        g.poly(points, false).stroke({ width: w, color: lit ? 0xd9a531 : hex(s.colour), alpha, cap: "round", join: "round" });
        let minX = Infinity;
        let minY = Infinity;
        let maxX = -Infinity;
        let maxY = -Infinity;
        for (let i = 0; i < points.length; i += 2) {
          minX = Math.min(minX, points[i]!);
          maxX = Math.max(maxX, points[i]!);
          minY = Math.min(minY, points[i + 1]!);
          maxY = Math.max(maxY, points[i + 1]!);
        }
        this.drawn.push({ string: s, points, minX, minY, maxX, maxY });
        count++;
      }
      if (count > 0) this.container.addChild(g);
      else g.destroy();
    }
  }

  /** The string nearest a wall point within `radius` wall units. */
  pick(p: Point, radius: number): WallString | undefined {
    let best: WallString | undefined;
    let bestDistance = radius;
    for (const d of this.drawn) {
      if (p.x < d.minX - radius || p.x > d.maxX + radius || p.y < d.minY - radius || p.y > d.maxY + radius) continue;
      const distance = distanceToPolyline(p, d.points);
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = d.string;
      }
    }
    return best;
  }

  /** A visible point on a drawn string (its middle), for tests and keyboard users. */
  midpoint(id: string): Point | undefined {
    const d = this.drawn.find((x) => x.string.id === id);
    if (!d) return undefined;
    const i = Math.floor(d.points.length / 4) * 2;
    return { x: d.points[i]!, y: d.points[i + 1]! };
  }

  get strings(): readonly DrawnString[] {
    return this.drawn;
  }
}
