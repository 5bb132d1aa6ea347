import type { WallPostIt, WallString } from "@oto/sdk/schema";
import { Container, Graphics } from "pixi.js";
import { BUDGETS, type Kind } from "../budgets.js";
import { type Point, distanceToPolyline, pinPoint, stringCurve } from "../geometry.js";

export interface DrawnString {
  string: WallString;
  points: number[];
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * How strings are drawn at a given on-screen post-it size (level of detail, like sigma.js's edge thresholds):
 * "pretty" sagging threads with round joins and a shadow at close zoom; "plain" thin lines of a few segments,
 * no shadow, no round joins; "featured" only the highlighted tree's strings and the selected post-it's.
 */
export type StringMode = "pretty" | "plain" | "featured";

export function stringMode(px: number): StringMode {
  if (px >= BUDGETS.stringsPrettyFromPx) return "pretty";
  if (px >= BUDGETS.stringsAllFromPx) return "plain";
  return "featured";
}

/** What drawing the strings depends on, besides the tiles. */
export interface StringsContext {
  postits: ReadonlyMap<string, WallPostIt>;
  size: number;
  k: number;
  kinds: ReadonlySet<Kind>;
  highlight: ReadonlySet<string> | null;
  selected: string | null;
  mode: StringMode;
  /**
   * No multisampling (software GL): a line under about 1.5 px breaks into dashes, so thinner ones are drawn
   * 1.5 px wide and fainter in proportion (the same ink on screen).
   */
  aliased: boolean;
  /** The items tile a string belongs to (the tile of its `from` post-it): it is drawn with that tile. */
  homeOf(s: WallString): string;
}

interface Part {
  g: Graphics | null;
  drawn: DrawnString[];
}

const ORPHANS = "\u0000orphans";
const ALIASED_MIN_PX = 1.5;

function hex(value: string): number {
  const n = Number.parseInt(value.slice(1, 7), 16);
  return Number.isFinite(n) ? n : 0x886644;
}

const homes = new WeakMap<WallString, string>();
function homeOf(s: WallString, ctx: StringsContext): string {
  let home = homes.get(s);
  if (home === undefined) {
    home = ctx.homeOf(s);
    homes.set(s, home);
  }
  return home;
}

const idsOf = new WeakMap<readonly WallString[], Set<string>>();
function ids(strings: readonly WallString[]): Set<string> {
  let set = idsOf.get(strings);
  if (!set) {
    set = new Set(strings.map((s) => s.id));
    idsOf.set(strings, set);
  }
  return set;
}

/**
 * The strings of the items tiles on screen. Each string is drawn once, with its home tile (the tile of its
 * `from` pin) when that tile is shown, else in a small "orphans" Graphics for strings whose home is off screen.
 * A tile arriving or leaving builds or drops only its own Graphics (plus the orphans); a zoom step, a filter or a
 * highlight redraws all. Strings of the highlighted tree and of the selected post-it are drawn apart, on top, so
 * they stay when the others are hidden (small post-its, or a moving camera at small scale).
 */
export class StringsLayer {
  readonly container = new Container();
  /** The ordinary strings: one Graphics per tile, plus the orphans. Hidden while the camera moves at small scale. */
  readonly normal = new Container();
  private readonly featured = new Graphics();
  private featuredDrawn: DrawnString[] = [];
  private readonly parts = new Map<string, Part>();
  private last: StringsContext | null = null;

  constructor() {
    this.container.label = "strings";
    this.normal.label = "strings: all";
    this.featured.label = "strings: featured";
    this.container.addChild(this.normal, this.featured);
  }

  /** Redraws everything (zoom step, filter, highlight, level of detail changed). */
  rebuild(tiles: { key: string; strings: WallString[] }[], ctx: StringsContext): void {
    for (const part of this.parts.values()) part.g?.destroy();
    this.parts.clear();
    this.last = null;
    this.sync(tiles, ctx);
  }

  /**
   * Brings the layer up to date with the shown tiles: builds the tiles not drawn yet, drops those gone, redraws
   * the orphans and the featured strings, and the tiles holding strings of a post-it whose selection changed.
   * Work in proportion to what changed, except for a cheap pass over the shown strings' ids.
   */
  sync(tiles: { key: string; strings: WallString[] }[], ctx: StringsContext): void {
    const prev = this.last;
    const shown = new Map(tiles.map((t) => [t.key, t.strings]));
    let changed = prev === null;
    for (const [key, part] of this.parts) {
      if (key === ORPHANS || shown.has(key)) continue;
      part.g?.destroy();
      this.parts.delete(key);
      changed = true;
    }
    // Tiles holding strings of the post-it that was or is selected: their strings move to or from the featured set.
    const dirty = new Set<string>();
    if (prev && prev.selected !== ctx.selected) {
      changed = true;
      const touched = new Set([prev.selected, ctx.selected].filter((x): x is string => x !== null));
      for (const strings of shown.values()) {
        for (const s of strings) if (touched.has(s.from.id) || touched.has(s.to.id)) dirty.add(homeOf(s, ctx));
      }
    }
    const draws = ctx.mode !== "featured";
    const orphans: WallString[] = [];
    const featured: WallString[] = [];
    const seen = new Set<string>();
    const build = new Map<string, WallString[]>();
    for (const [key, strings] of shown) {
      const fresh = draws && (!this.parts.has(key) || dirty.has(key));
      if (fresh) build.set(key, []);
      for (const s of strings) {
        if (seen.has(s.id)) continue;
        if (!this.keep(s, ctx)) {
          seen.add(s.id);
          continue;
        }
        const home = homeOf(s, ctx);
        const homeHolds = shown.has(home) && ids(shown.get(home)!).has(s.id);
        if (homeHolds && home !== key) continue; // drawn with its home tile, which is shown
        seen.add(s.id);
        if (this.isFeatured(s, ctx)) featured.push(s);
        else if (!draws) continue;
        else if (!homeHolds) orphans.push(s);
        else if (fresh) build.get(key)!.push(s);
      }
    }
    for (const [key, strings] of build) {
      this.parts.get(key)?.g?.destroy();
      this.parts.set(key, this.draw(strings, ctx, false));
      changed = true;
    }
    if (changed || build.size > 0) {
      this.parts.get(ORPHANS)?.g?.destroy();
      this.parts.set(ORPHANS, this.draw(orphans, ctx, false));
      this.featured.clear();
      this.featuredDrawn = this.paint(this.featured, featured, ctx, true);
    }
    this.normal.removeChildren();
    for (const part of this.parts.values()) if (part.g) this.normal.addChild(part.g);
    this.last = ctx;
  }

  private keep(s: WallString, ctx: StringsContext): boolean {
    const ok = (id: string) => {
      const p = ctx.postits.get(id);
      return !p || ctx.kinds.has(p.kind);
    };
    return ok(s.from.id) && ok(s.to.id);
  }

  private isFeatured(s: WallString, ctx: StringsContext): boolean {
    if (ctx.highlight && ctx.highlight.has(s.from.id) && ctx.highlight.has(s.to.id)) return true;
    return ctx.selected !== null && (s.from.id === ctx.selected || s.to.id === ctx.selected);
  }

  private draw(strings: WallString[], ctx: StringsContext, featured: boolean): Part {
    if (strings.length === 0) return { g: null, drawn: [] };
    const g = new Graphics();
    return { g, drawn: this.paint(g, strings, ctx, featured) };
  }

  private paint(g: Graphics, strings: WallString[], ctx: StringsContext, featured: boolean): DrawnString[] {
    const { k, size, highlight, postits } = ctx;
    const pretty = ctx.mode === "pretty";
    const end = (e: WallString["from"]): Point => pinPoint(e.x, e.y, size, postits.get(e.id)?.rotation ?? 0);
    const width = (pretty ? 2.2 : BUDGETS.stringsPlainPx) / k;
    const out: DrawnString[] = [];
    for (const s of strings) {
      const points = stringCurve(end(s.from), end(s.to), pretty ? 14 : BUDGETS.stringsPlainSegments);
      const lit = featured && highlight !== null && highlight.has(s.from.id) && highlight.has(s.to.id);
      const dim = highlight !== null && !lit;
      // "Made with" strings are the agent's coloured thread; "forked from" a finer pencil-brown one, so long
      // forks across the wall do not drown the notes.
      const made = s.type === "made_with";
      let w = (made ? width : width * 0.7) * (lit ? 1.8 : 1);
      let alpha = dim ? 0.12 : lit ? 1 : made ? 0.9 : 0.5;
      if (ctx.aliased && w * k < ALIASED_MIN_PX) {
        alpha *= (w * k) / ALIASED_MIN_PX;
        w = ALIASED_MIN_PX / k;
      }
      const color = lit ? 0xd9a531 : hex(s.colour);
      if (pretty) {
        // A faint shadow under the string gives it depth off the paper.
        g.poly(points.map((v, i) => v + (i % 2 === 0 ? 2 : 5) / Math.max(k, 0.35)), false).stroke({
          width: w * 1.2,
          color: 0x3a2a10,
          alpha: alpha * 0.12,
          cap: "round",
          join: "round",
        });
        g.poly(points, false).stroke({ width: w, color, alpha, cap: "round", join: "round" });
      } else {
        // Small on screen: a thin line, no shadow, no round caps or joins (far fewer triangles to rasterise).
        g.poly(points, false).stroke({ width: w, color, alpha, cap: "butt", join: "bevel" });
      }
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
      out.push({ string: s, points, minX, minY, maxX, maxY });
    }
    return out;
  }

  /** The string nearest a wall point within `radius` wall units (only strings drawn and visible count). */
  pick(p: Point, radius: number): WallString | undefined {
    let best: WallString | undefined;
    let bestDistance = radius;
    for (const d of this.strings) {
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
    const d = this.strings.find((x) => x.string.id === id);
    if (!d) return undefined;
    const i = Math.floor(d.points.length / 4) * 2;
    return { x: d.points[i]!, y: d.points[i + 1]! };
  }

  /** Strings drawn and visible now. */
  get strings(): readonly DrawnString[] {
    const out: DrawnString[] = [];
    if (this.normal.visible) for (const part of this.parts.values()) out.push(...part.drawn);
    out.push(...this.featuredDrawn);
    return out;
  }
}
