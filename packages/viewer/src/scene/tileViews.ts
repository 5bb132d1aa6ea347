import type { WallAggregateTile, WallItemsTile, WallPostIt } from "@oto/sdk/schema";
import { BitmapText, Container, Graphics, Sprite, type Texture } from "pixi.js";
import type { Kind } from "../budgets.js";
import type { LodTier } from "../lod.js";
import { BODY_PX, FRAMES } from "./art.js";
import type { ArtTextures } from "./textures.js";

export const HAND_FONT = "oto-hand";
const RAD = Math.PI / 180;
const INK = 0x2f2a24;

function colour(hex: string | null | undefined, fallback = 0xffffff): number {
  if (!hex) return fallback;
  const n = Number.parseInt(hex.slice(1, 7), 16);
  return Number.isFinite(n) ? n : fallback;
}

/** Puts a sprite at offset (dx, dy) from a post-it's centre, turned with it. */
function place(node: Container, p: WallPostIt, dx: number, dy: number, extraDeg = 0): void {
  const r = p.rotation * RAD;
  node.position.set(p.x + dx * Math.cos(r) - dy * Math.sin(r), p.y + dx * Math.sin(r) + dy * Math.cos(r));
  node.rotation = r + extraDeg * RAD;
}

function sprite(texture: Texture, parent: Container, scale: number, anchorX = 0.5, anchorY = 0.5): Sprite {
  const s = new Sprite(texture);
  s.anchor.set(anchorX, anchorY);
  s.scale.set(scale);
  parent.addChild(s);
  return s;
}

export interface PostItEntry {
  postit: WallPostIt;
  body: Sprite;
  shadow: Sprite;
  pin: Sprite;
  icon: Sprite;
  tape?: Sprite;
  title?: BitmapText;
  thumb?: Sprite;
  shown: boolean;
}

/** What a tile needs from the scene to draw thumbnails. */
export interface ThumbnailSource {
  request(url: string, onReady: (texture: Texture) => void): void;
}

/**
 * One items tile: a Container of layers (shadows under bodies under marks) so sprites from the one atlas
 * batch together. Titles and thumbnails are made only when the level of detail first asks for them.
 */
export class ItemsTileView {
  readonly container = new Container();
  readonly entries: PostItEntry[] = [];
  private readonly layers = {
    shadows: new Container(),
    bodies: new Container(),
    thumbs: new Container(),
    marks: new Container(),
    titles: new Container(),
    pins: new Container(),
  };
  private tier: LodTier | -1 = -1;

  constructor(
    readonly tile: WallItemsTile,
    private readonly art: ArtTextures,
    private readonly thumbnails: ThumbnailSource,
  ) {
    this.container.label = `tile ${tile.key}`;
    for (const layer of Object.values(this.layers)) this.container.addChild(layer);
    const bodyScale = (p: WallPostIt) => p.size / BODY_PX;
    const pinScale = (p: WallPostIt) => (p.size * 0.11) / 52;
    for (const p of tile.postits) {
      const agent = p.type === "agent";
      const shadow = sprite(art.shadow, this.layers.shadows, bodyScale(p));
      place(shadow, p, p.size * 0.02, p.size * 0.035);
      shadow.alpha = 0.75;
      const body = sprite(agent ? art.agent : art.note, this.layers.bodies, bodyScale(p));
      if (!agent) body.tint = colour(p.colour, 0xfff59d);
      place(body, p, 0, 0);
      let tape: Sprite | undefined;
      if (agent) {
        tape = sprite(art.tape, this.layers.marks, (p.size * 0.5) / FRAMES.tape.w);
        tape.tint = colour(p.string_colour, 0xd4a017);
        place(tape, p, 0, -p.size * 0.42, -3);
      }
      const icon = sprite(art.icons[p.kind], this.layers.marks, 1);
      icon.alpha = 0.8;
      const pinFrame = FRAMES.pin;
      const pin = sprite(art.pin, this.layers.pins, pinScale(p), (pinFrame.w / 2 - 6) / pinFrame.w, (pinFrame.h / 2 - 8) / pinFrame.h);
      place(pin, p, 0, -p.size / 2 + p.size * 0.09);
      this.entries.push({ postit: p, body, shadow, pin, icon, tape, shown: true });
    }
  }

  get currentTier(): LodTier | -1 {
    return this.tier;
  }

  /** Shows what the tier asks for; O(post-its in this tile), run only when the camera rests. */
  setTier(tier: LodTier): void {
    if (tier === this.tier) return;
    this.tier = tier;
    this.layers.shadows.visible = tier >= 1;
    this.layers.pins.visible = tier >= 1;
    this.layers.marks.visible = tier >= 1;
    this.layers.titles.visible = tier >= 2;
    this.layers.thumbs.visible = tier >= 3;
    for (const entry of this.entries) {
      const p = entry.postit;
      if (tier === 1) {
        entry.icon.scale.set((p.size * 0.42) / 128);
        place(entry.icon, p, 0, p.size * 0.04);
      } else {
        entry.icon.scale.set((p.size * 0.17) / 128);
        place(entry.icon, p, p.size * 0.33, p.size * 0.34);
      }
      if (tier >= 2 && !entry.title) this.makeTitle(entry);
      if (entry.title) this.layoutTitle(entry, tier);
      if (tier >= 3 && p.thumbnail_url && !entry.thumb) this.requestThumb(entry, p.thumbnail_url);
    }
  }

  private makeTitle(entry: PostItEntry): void {
    const p = entry.postit;
    const text = p.title.length > 64 ? `${p.title.slice(0, 62).trimEnd()}…` : p.title;
    const title = new BitmapText({
      text,
      style: {
        fontFamily: HAND_FONT,
        fontSize: p.size * 0.13,
        fill: INK,
        align: "center",
        wordWrap: true,
        wordWrapWidth: p.size * 0.84,
        breakWords: true,
      },
    });
    title.anchor.set(0.5, 0);
    title.alpha = entry.body.alpha;
    title.visible = entry.shown;
    entry.title = title;
    this.layers.titles.addChild(title);
  }

  private layoutTitle(entry: PostItEntry, tier: LodTier): void {
    const p = entry.postit;
    const title = entry.title!;
    const withThumb = tier >= 3 && !!entry.thumb;
    // Above a thumbnail only one short line fits.
    const full = p.title.length > 64 ? `${p.title.slice(0, 62).trimEnd()}…` : p.title;
    const text = withThumb && full.length > 24 ? `${full.slice(0, 22).trimEnd()}…` : full;
    if (title.text !== text) title.text = text;
    title.scale.set(withThumb ? 0.85 : 1);
    place(title, p, 0, withThumb ? -p.size * 0.37 : -p.size * 0.3);
  }

  private requestThumb(entry: PostItEntry, url: string): void {
    this.thumbnails.request(url, (texture) => {
      if (this.container.destroyed || entry.thumb) return;
      const p = entry.postit;
      const boxW = p.size * 0.84;
      const boxH = p.size * 0.52;
      const scale = Math.min(boxW / texture.width, boxH / texture.height);
      const thumb = sprite(texture, this.layers.thumbs, scale);
      place(thumb, p, 0, p.size * 0.12);
      thumb.alpha = entry.body.alpha;
      thumb.visible = entry.shown;
      entry.thumb = thumb;
      if (this.tier !== -1) this.layoutTitle(entry, this.tier);
      this.onChange?.();
    });
  }

  /** Called when something arrives asynchronously (a thumbnail) and the frame must be redrawn. */
  onChange?: () => void;

  /** Filter by kind and dim what is outside a highlighted tree (reducer style: no rebuild). */
  applyStyle(kinds: ReadonlySet<Kind>, highlight: ReadonlySet<string> | null): void {
    for (const entry of this.entries) {
      const shown = kinds.has(entry.postit.kind);
      const alpha = highlight && !highlight.has(entry.postit.id) ? 0.28 : 1;
      entry.shown = shown;
      for (const node of [entry.body, entry.shadow, entry.pin, entry.icon, entry.tape, entry.title, entry.thumb]) {
        if (!node) continue;
        node.visible = shown;
        node.alpha = node === entry.shadow ? 0.75 * alpha : node === entry.icon ? 0.8 * alpha : alpha;
      }
    }
  }

  destroy(): void {
    this.container.destroy({ children: true });
  }
}

/**
 * A coarse tile: pencil dots sized by density per cell, and the tile's highlights (golden agents as hubs,
 * the most-forked creations as small notes) kept at a constant size on screen.
 */
export class AggregateTileView {
  readonly container = new Container();
  private readonly dots = new Graphics();
  private readonly marks = new Container();
  readonly highlights: { h: WallAggregateTile["highlights"][number]; sprite: Sprite }[] = [];

  constructor(
    readonly tile: WallAggregateTile,
    private readonly art: ArtTextures,
  ) {
    this.container.label = `tile ${tile.key}`;
    this.container.addChild(this.dots, this.marks);
    for (const h of tile.highlights) {
      const agent = h.type === "agent";
      const s = sprite(agent ? art.hub : art.note, this.marks, 1);
      if (!agent) s.tint = colour(h.colour, 0xfff59d);
      s.position.set(h.x, h.y);
      this.highlights.push({ h, sprite: s });
    }
  }

  cellSide(): number {
    return (this.tile.bounds.max_x - this.tile.bounds.min_x) / this.tile.grid;
  }

  applyStyle(kinds: ReadonlySet<Kind>): void {
    const g = this.dots;
    g.clear();
    const side = this.cellSide();
    for (const cell of this.tile.cells) {
      let n = 0;
      for (const kind of kinds) n += cell.kinds[kind];
      if (n === 0) continue;
      const cx = this.tile.bounds.min_x + (cell.cx + 0.5) * side;
      const cy = this.tile.bounds.min_y + (cell.cy + 0.5) * side;
      const r = side * (0.14 + 0.32 * Math.min(1, Math.sqrt(n) / 8));
      g.circle(cx, cy, r).fill({ color: 0x6b5a44, alpha: 0.18 + 0.42 * Math.min(1, n / 60) });
      if (cell.agents > 0) g.circle(cx, cy, r * 0.45).fill({ color: 0xd9a531, alpha: 0.9 });
    }
    for (const { h, sprite: s } of this.highlights) s.visible = kinds.has(h.kind);
  }

  /** Keeps highlights a constant size on screen at scale k. */
  setScale(k: number): void {
    for (const { h, sprite: s } of this.highlights) {
      const px = h.type === "agent" ? 22 : 16;
      const frame = h.type === "agent" ? FRAMES.hub.w : BODY_PX;
      s.scale.set(px / k / frame);
    }
  }

  destroy(): void {
    this.container.destroy({ children: true });
  }
}
