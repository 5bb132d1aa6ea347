import type { WallHighlight, WallInfo, WallPostIt, WallString, WallTile } from "@oto/sdk/schema";
import { Container, Graphics, type Renderer, Sprite, TilingSprite, autoDetectRenderer } from "pixi.js";
import { BUDGETS, KINDS, type Kind } from "../budgets.js";
import { insideRotatedSquare } from "../geometry.js";
import { type LodTier, lodTier } from "../lod.js";
import { TileLoader } from "../tiles/loader.js";
import {
  type Rect,
  type TileKey,
  type TileScheme,
  ancestorAt,
  keyOf,
  parseKey,
  tileAt,
  tileRect,
  tilesInRect,
  viewRect,
  zoomForScale,
} from "../tiles/scheme.js";
import { FRAMES } from "./art.js";
import { type GpuProfile, capBatchTextures, gpuProfile } from "./gpu.js";
import { type StringMode, type StringsContext, StringsLayer, stringMode } from "./strings.js";
import { type ArtTextures, createArt } from "./textures.js";
import { ThumbnailStore } from "./thumbnails.js";
import { AggregateTileView, ItemsTileView } from "./tileViews.js";

export interface Transform {
  x: number;
  y: number;
  k: number;
}

export type Pick =
  | { type: "postit"; postit: WallPostIt }
  | { type: "string"; string: WallString }
  | { type: "highlight"; highlight: WallHighlight }
  | { type: "cell"; x: number; y: number };

type View = ItemsTileView | AggregateTileView;

export interface SceneStats {
  frames: number;
  /** Milliseconds of JS spent in update + render, summed. */
  workMs: number;
  lastWorkMs: number;
  shownTiles: number;
  shownPostits: number;
  tier: LodTier;
  z: number;
  loading: number;
  loaded: number;
  /** Frames that drew the canvas, and frames that only slid it (a pan within the overscan). */
  draws: number;
  slides: number;
}

/**
 * The canvas: paper, tiles, strings and overlays in one Pixi scene. The camera is the `world` render group's
 * transform, so a pan or zoom costs no per-post-it work; everything proportional to content (tile set,
 * level of detail, strings) runs on the tiles in view, and the heavier parts only when the camera rests.
 */
export class WallScene {
  renderer!: Renderer;
  gpu!: GpuProfile;
  private art!: ArtTextures;
  private readonly stage = new Container();
  private paperA!: TilingSprite;
  private paperB!: TilingSprite;
  private readonly world = new Container({ isRenderGroup: true });
  private readonly tileLayer = new Container();
  private readonly strings = new StringsLayer();
  private readonly overlay = new Graphics();
  private readonly pulses: { sprite: Sprite; start: number }[] = [];
  private scheme: TileScheme = { itemsZoom: 12, itemsTileSize: 3840 };
  postitSize: number = BUDGETS.postitSize;
  private loader!: TileLoader;
  private readonly views = new Map<string, View>();
  private readonly postits = new Map<string, WallPostIt>();
  private shown = new Set<string>();
  private transform: Transform = { x: 0, y: 0, k: 1 };
  private width = 1;
  private height = 1;
  private tier: LodTier = 2;
  private lastStringsK = 0;
  private stringsMode: StringMode | null = null;
  private stringsDirty = true;
  private moving = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private frameQueued = false;
  private needsUpdate = true;
  private canvas!: HTMLCanvasElement;
  /** CSS px the canvas overhangs the view on each side, so a short pan only slides it (see `slide`). */
  private overscan = 0;
  /** The camera the canvas was last drawn at (null: not drawn yet). */
  private drawnAt: Transform | null = null;
  /** Something besides the camera's position changed since the last draw: the next frame draws. */
  private dirty = true;
  /** Tiles shown or hidden since the last draw: the canvas is drawn again when one of them reaches the view. */
  private readonly undrawn = new Set<string>();
  private kinds: Set<Kind> = new Set(KINDS);
  private highlight: Set<string> | null = null;
  private selected: string | null = null;
  private thumbnails = new ThumbnailStore(BUDGETS.maxThumbnailLoads, BUDGETS.thumbnailCache);
  private readonly listeners = new Set<(reason: "move" | "idle" | "tiles") => void>();
  readonly stats: SceneStats = {
    frames: 0,
    workMs: 0,
    lastWorkMs: 0,
    shownTiles: 0,
    shownPostits: 0,
    tier: 2,
    z: 12,
    loading: 0,
    loaded: 0,
    draws: 0,
    slides: 0,
  };

  constructor(private readonly fetchTiles: (keys: string[], signal: AbortSignal) => Promise<WallTile[]>) {}

  async init(canvas: HTMLCanvasElement, width: number, height: number): Promise<void> {
    this.width = width;
    this.height = height;
    this.canvas = canvas;
    this.overscan = overscanFor(width, height);
    this.gpu = gpuProfile();
    capBatchTextures();
    this.renderer = await autoDetectRenderer({
      canvas,
      preference: "webgl",
      width: width + 2 * this.overscan,
      height: height + 2 * this.overscan,
      antialias: this.gpu.antialias,
      resolution: this.gpu.resolution,
      autoDensity: true,
      background: 0xf1e9d8,
      eventFeatures: { move: false, globalMove: false, click: false, wheel: false },
    });
    this.art = createArt(this.gpu.software);
    // Two paper layers an octave apart, cross-faded, so the grain keeps its look at any zoom without a seam.
    this.paperA = new TilingSprite({ texture: this.art.paper });
    this.paperB = new TilingSprite({ texture: this.art.paper });
    this.fitCanvas();
    this.stage.eventMode = "none";
    this.world.eventMode = "none";
    this.stage.addChild(this.paperA, this.paperB, this.world);
    // Strings run from pin to pin over the paper of the notes they cross, like thread on a cork board.
    this.world.addChild(this.tileLayer, this.strings.container, this.overlay);
    this.loader = new TileLoader({
      fetchTiles: this.fetchTiles,
      onTile: (tile) => this.addTile(tile),
      onEvict: (key) => this.removeTile(key),
      batchSize: BUDGETS.tilesPerRequest,
      maxInFlight: BUDGETS.maxInFlight,
      debounceMs: BUDGETS.fetchDebounceMs,
      cacheFactor: BUDGETS.cacheFactor,
    });
    this.requestFrame();
  }

  setWall(info: WallInfo): void {
    this.scheme = { itemsZoom: info.items_zoom, itemsTileSize: info.items_tile_size };
    this.postitSize = info.postit_size;
    this.needsUpdate = true;
    this.requestFrame();
  }

  /** Drops every tile so the next view refetches (the wall changed). */
  refresh(): void {
    this.loader.invalidate();
  }

  on(listener: (reason: "move" | "idle" | "tiles") => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(reason: "move" | "idle" | "tiles"): void {
    for (const listener of this.listeners) listener(reason);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.overscan = overscanFor(width, height);
    this.renderer.resize(width + 2 * this.overscan, height + 2 * this.overscan);
    this.fitCanvas();
    this.needsUpdate = true;
    this.requestFrame();
  }

  /** The canvas and the paper cover the view plus the overscan on every side. */
  private fitCanvas(): void {
    const m = this.overscan;
    this.canvas.style.left = `${-m}px`;
    this.canvas.style.top = `${-m}px`;
    for (const paper of [this.paperA, this.paperB]) {
      paper.width = this.width + 2 * m;
      paper.height = this.height + 2 * m;
    }
  }

  get size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  get camera(): Transform {
    return { ...this.transform };
  }

  setTransform(t: Transform): void {
    // A zoom redraws; a pan may only slide the canvas (frame → slide).
    if (t.k !== this.transform.k) this.dirty = true;
    this.transform = { x: t.x, y: t.y, k: t.k };
    this.moving = true;
    // hideEdgesOnMove: at small scale only the featured strings are drawn while the camera moves.
    if (t.k * this.postitSize < BUDGETS.stringsHideOnMoveBelowPx && this.strings.normal.visible) {
      this.strings.normal.visible = false;
      this.dirty = true;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.settle(), BUDGETS.lodIdleMs);
    this.needsUpdate = true;
    this.queueFrame();
    this.emit("move");
  }

  /** The paper's grain, fixed to the wall: (x, y) is where the wall's origin lands on the canvas. */
  private placePaper(x: number, y: number, k: number): void {
    const k0 = BUDGETS.paperOneLayerBelowScale;
    if (k < k0) {
      // Zoomed out: one layer (half the fill). At k0 it is exactly what the two layers show there (the finer one,
      // opaque, over the other), then the grain shrinks with the wall down to half size and stays (no shimmer).
      this.paperA.tileScale.set(Math.max(k / k0, 0.5));
      this.paperA.tilePosition.set(x, y);
      this.paperA.alpha = 1;
      this.paperB.visible = false;
      return;
    }
    this.paperB.visible = true;
    // Grain scale folded into one octave [1, 2): layer B is one octave finer and fades in as we zoom in.
    const octave = Math.log2(k);
    const n = Math.floor(octave);
    const f = octave - n;
    const s = k / 2 ** n;
    this.paperA.tileScale.set(s * 0.5);
    this.paperA.tilePosition.set(x, y);
    this.paperB.tileScale.set(s);
    this.paperB.tilePosition.set(x, y);
    this.paperB.alpha = 1 - f;
    this.paperA.alpha = 1;
  }

  /** The camera rested: switch the level of detail, rebuild strings, tell the UI. */
  private settle(): void {
    this.moving = false;
    this.needsUpdate = true;
    this.requestFrame();
    this.emit("idle");
  }

  get isMoving(): boolean {
    return this.moving;
  }

  /** The scene changed: draw it on the next frame. */
  private requestFrame(): void {
    this.dirty = true;
    this.queueFrame();
  }

  private queueFrame(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  private frame(now: number): void {
    this.frameQueued = false;
    const start = performance.now();
    if (this.needsUpdate) {
      this.needsUpdate = false;
      this.update();
    }
    this.animatePulses(now);
    if (this.undrawnInView()) this.dirty = true;
    if (this.slide()) this.stats.slides++;
    else this.draw();
    const spent = performance.now() - start;
    this.stats.frames++;
    this.stats.workMs += spent;
    this.stats.lastWorkMs = spent;
    if (this.pulses.length > 0) this.requestFrame();
  }

  /**
   * A pan that stays within the overscan, with nothing else changed, moves the canvas already drawn (a CSS
   * transform the compositor applies) instead of drawing it again, like Leaflet's padded canvas renderer. On a
   * software rasteriser that is the difference between a full redraw and none; the next draw puts it back.
   */
  private slide(): boolean {
    const at = this.drawnAt;
    if (this.dirty || !at || at.k !== this.transform.k) return false;
    const dpr = this.renderer.resolution;
    const dx = Math.round((this.transform.x - at.x) * dpr) / dpr;
    const dy = Math.round((this.transform.y - at.y) * dpr) / dpr;
    if (Math.abs(dx) > this.overscan || Math.abs(dy) > this.overscan) return false;
    this.canvas.style.transform = dx === 0 && dy === 0 ? "" : `translate(${dx}px, ${dy}px)`;
    return true;
  }

  private undrawnInView(): boolean {
    if (this.undrawn.size === 0) return false;
    const view = this.visibleRect(this.overhangPx());
    for (const key of this.undrawn) {
      const r = tileRect(this.scheme, parseKey(key));
      if (r.minX <= view.maxX && r.maxX >= view.minX && r.minY <= view.maxY && r.maxY >= view.minY) return true;
    }
    return false;
  }

  /** Draws the scene at the camera: the world's render group and the paper carry the camera, offset by the overscan. */
  private draw(): void {
    const { x, y, k } = this.transform;
    const m = this.overscan;
    this.world.position.set(x + m, y + m);
    this.world.scale.set(k);
    this.placePaper(x + m, y + m, k);
    this.renderer.render(this.stage);
    this.canvas.style.transform = "";
    this.drawnAt = { x, y, k };
    this.dirty = false;
    this.undrawn.clear();
    this.stats.draws++;
  }

  private wantedZoom(): number {
    return zoomForScale(this.scheme, this.transform.k, this.postitSize, BUDGETS.itemsFromPx, BUDGETS.aggregateTilePx);
  }

  visibleRect(margin = 0): Rect {
    return viewRect(this.transform, this.width, this.height, margin);
  }

  /** How far post-its reach past their tile on screen, in CSS px (see OVERHANG). */
  private overhangPx(): number {
    return this.postitSize * OVERHANG * this.transform.k;
  }

  /** The tiles to show now: O(tiles in view). */
  private update(): void {
    const z = this.wantedZoom();
    const k = this.transform.k;
    // The overscan is drawn too: a pan within it only slides the canvas.
    const inView = tilesInRect(this.scheme, z, this.visibleRect(this.overhangPx() + this.overscan));
    const cx = (this.width / 2 - this.transform.x) / k;
    const cy = (this.height / 2 - this.transform.y) / k;
    const byDistance = (a: TileKey, b: TileKey) => {
      const side = this.scheme.itemsTileSize * 2 ** (this.scheme.itemsZoom - z);
      const da = Math.hypot((a.x + 0.5) * side - cx, (a.y + 0.5) * side - cy);
      const db = Math.hypot((b.x + 0.5) * side - cx, (b.y + 0.5) * side - cy);
      return da - db;
    };
    inView.sort(byDistance);
    // Idle: also prefetch a ring around the view.
    const wanted = inView.map((t) => t.key);
    if (!this.moving) {
      const ring = tilesInRect(this.scheme, z, this.visibleRect(Math.max(this.width, this.height) * 0.25));
      const seen = new Set(wanted);
      for (const t of ring.sort(byDistance)) if (!seen.has(t.key)) wanted.push(t.key);
    }
    this.loader.want(wanted);

    const next = new Set<string>();
    for (const t of inView) {
      if (this.views.has(t.key)) {
        next.add(t.key);
        continue;
      }
      // Best available: an ancestor already loaded, else the loaded children one level down.
      let found = false;
      for (let up = z - 1; up >= Math.max(0, z - 4) && !found; up--) {
        const a = ancestorAt(t, up);
        if (this.views.has(a.key)) {
          next.add(a.key);
          found = true;
        }
      }
      if (!found && z < this.scheme.itemsZoom) {
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
          const child = keyOf(z + 1, t.x * 2 + dx, t.y * 2 + dy);
          if (this.views.has(child)) next.add(child);
        }
      }
    }
    const entered = [...next].filter((key) => !this.shown.has(key));
    const left = [...this.shown].filter((key) => !next.has(key));
    const changed = entered.length > 0 || left.length > 0;
    if (changed) {
      for (const key of left) this.views.get(key)?.container.removeFromParent();
      for (const key of entered) this.tileLayer.addChild(this.views.get(key)!.container);
      // Coarser tiles under finer ones while both are shown.
      this.tileLayer.children.sort((a, b) => zOf(a.label) - zOf(b.label));
      // What changed is drawn once it reaches the view (see `frame`): until then it lies in the overscan, and
      // sliding what was drawn still shows the view right.
      for (const key of [...entered, ...left]) this.undrawn.add(key);
      this.shown = next;
      this.stringsDirty = true;
    }

    if (!this.moving) {
      this.tier = lodTier(k * this.postitSize, this.tier);
      for (const key of this.shown) {
        const view = this.views.get(key);
        if (view instanceof ItemsTileView) view.setTier(this.tier);
        else if (view instanceof AggregateTileView) view.setScale(k);
      }
      const mode = stringMode(k * this.postitSize);
      if (mode !== this.stringsMode || Math.abs(Math.log2(k / this.lastStringsK)) > 0.3) this.rebuildStrings(true);
      else if (this.stringsDirty) this.rebuildStrings(false);
      this.strings.normal.visible = true;
      this.drawOverlay();
      this.dirty = true;
    }
    let count = 0;
    for (const key of this.shown) {
      const view = this.views.get(key);
      if (view instanceof ItemsTileView) count += view.entries.length;
    }
    Object.assign(this.stats, {
      shownTiles: this.shown.size,
      shownPostits: count,
      tier: this.tier,
      z,
      loading: this.loader.inFlightCount,
      loaded: this.views.size,
    });
    // The post-its in view changed only now (a tile's arrival is drawn on the next frame): tell the UI again.
    if (changed) this.emit("tiles");
  }

  /** Strings: all redrawn (`full`), or only what the tiles shown since last time and the selection changed. */
  private rebuildStrings(full: boolean): void {
    const tiles: { key: string; strings: WallString[] }[] = [];
    for (const key of this.shown) {
      const view = this.views.get(key);
      if (view instanceof ItemsTileView) tiles.push({ key, strings: view.tile.strings });
    }
    const k = full ? this.transform.k : this.lastStringsK;
    const ctx: StringsContext = {
      postits: this.postits,
      size: this.postitSize,
      k,
      kinds: this.kinds,
      highlight: this.highlight,
      selected: this.selected,
      mode: full ? stringMode(k * this.postitSize) : (this.stringsMode ?? stringMode(k * this.postitSize)),
      aliased: !this.gpu.antialias,
      homeOf: (s) => this.tileAt(s.from.x, s.from.y),
    };
    if (full) this.strings.rebuild(tiles, ctx);
    else this.strings.sync(tiles, ctx);
    this.lastStringsK = k;
    this.stringsMode = ctx.mode;
    this.stringsDirty = false;
  }

  private addTile(tile: WallTile): void {
    const old = this.views.get(tile.key);
    if (old) this.dropView(tile.key, old);
    let view: View;
    if (tile.type === "items") {
      const items = new ItemsTileView(tile, this.art, this.thumbnails);
      items.onChange = () => this.requestFrame();
      items.setTier(this.tier);
      items.applyStyle(this.kinds, this.highlight);
      for (const p of tile.postits) this.postits.set(p.id, p);
      view = items;
    } else {
      const aggregate = new AggregateTileView(tile, this.art);
      aggregate.applyStyle(this.kinds);
      aggregate.setScale(this.transform.k);
      view = aggregate;
    }
    // Its own render group: a tile entering or leaving the view rebuilds only the world's short list of groups,
    // not the instructions of every sprite on screen (Pixi v8 nested render groups).
    view.container.isRenderGroup = true;
    this.views.set(tile.key, view);
    this.needsUpdate = true;
    this.stringsDirty = true;
    // A refreshed tile redraws; a new one is drawn once shown in the view (update → undrawn).
    if (old) this.requestFrame();
    else this.queueFrame();
    this.emit("tiles");
  }

  private removeTile(key: string): void {
    const view = this.views.get(key);
    if (view) this.dropView(key, view);
    this.needsUpdate = true;
    this.requestFrame();
  }

  private dropView(key: string, view: View): void {
    this.views.delete(key);
    this.shown.delete(key);
    if (view instanceof ItemsTileView) for (const p of view.tile.postits) this.postits.delete(p.id);
    view.destroy();
  }

  /** Screen point (CSS px) → wall point. */
  toWorld(sx: number, sy: number): { x: number; y: number } {
    return { x: (sx - this.transform.x) / this.transform.k, y: (sy - this.transform.y) / this.transform.k };
  }

  toScreen(wx: number, wy: number): { x: number; y: number } {
    return { x: wx * this.transform.k + this.transform.x, y: wy * this.transform.k + this.transform.y };
  }

  /** What is under a screen point: a post-it, else a string, else a coarse mark. Only tiles near it are looked at. */
  pick(sx: number, sy: number): Pick | null {
    const p = this.toWorld(sx, sy);
    const k = this.transform.k;
    const reach = this.postitSize * OVERHANG;
    const near = tilesInRect(this.scheme, this.scheme.itemsZoom, {
      minX: p.x - reach,
      minY: p.y - reach,
      maxX: p.x + reach,
      maxY: p.y + reach,
    });
    for (const t of near) {
      const view = this.shown.has(t.key) ? this.views.get(t.key) : undefined;
      if (!(view instanceof ItemsTileView)) continue;
      for (let i = view.entries.length - 1; i >= 0; i--) {
        const e = view.entries[i]!;
        if (!e.shown) continue;
        const q = e.postit;
        if (insideRotatedSquare(p, q.x, q.y, q.size, q.rotation)) return { type: "postit", postit: q };
      }
    }
    if (this.strings.container.visible) {
      const s = this.strings.pick(p, BUDGETS.stringHitPx / k);
      if (s) return { type: "string", string: s };
    }
    for (const key of this.shown) {
      const view = this.views.get(key);
      if (!(view instanceof AggregateTileView)) continue;
      for (const { h, sprite } of view.highlights) {
        if (sprite.visible && Math.hypot(h.x - p.x, h.y - p.y) <= 14 / k) return { type: "highlight", highlight: h };
      }
      const b = view.tile.bounds;
      if (p.x >= b.min_x && p.x < b.max_x && p.y >= b.min_y && p.y < b.max_y) {
        const side = view.cellSide();
        const cx = Math.floor((p.x - b.min_x) / side);
        const cy = Math.floor((p.y - b.min_y) / side);
        const cell = view.tile.cells.find((c) => c.cx === cx && c.cy === cy);
        if (cell) return { type: "cell", x: b.min_x + (cx + 0.5) * side, y: b.min_y + (cy + 0.5) * side };
      }
    }
    return null;
  }

  /** The post-its drawn in view, in reading order (rows, then left to right), at most `limit`. */
  postitsInView(limit = 200): WallPostIt[] {
    const rect = this.visibleRect();
    const out: WallPostIt[] = [];
    for (const key of this.shown) {
      const view = this.views.get(key);
      if (!(view instanceof ItemsTileView)) continue;
      for (const e of view.entries) {
        const q = e.postit;
        if (e.shown && q.x >= rect.minX && q.x <= rect.maxX && q.y >= rect.minY && q.y <= rect.maxY) out.push(q);
      }
    }
    const row = this.postitSize * 1.2;
    out.sort((a, b) => Math.floor(a.y / row) - Math.floor(b.y / row) || a.x - b.x);
    return out.slice(0, limit);
  }

  /** Strings drawn now (for keyboard users and tests). */
  drawnStrings(): readonly { string: WallString; points: number[] }[] {
    return this.strings.strings;
  }

  postit(id: string): WallPostIt | undefined {
    return this.postits.get(id);
  }

  setKinds(kinds: Iterable<Kind>): void {
    this.kinds = new Set(kinds);
    this.restyle();
  }

  setHighlight(ids: Iterable<string> | null): void {
    this.highlight = ids ? new Set(ids) : null;
    this.restyle();
  }

  setSelected(id: string | null): void {
    if (id === this.selected) return;
    this.selected = id;
    // The selected post-it's strings are drawn apart (and stay when the others are hidden).
    if (this.moving) this.stringsDirty = true;
    else if (this.stringsMode !== null) this.rebuildStrings(false);
    this.drawOverlay();
    this.requestFrame();
  }

  private restyle(): void {
    for (const view of this.views.values()) {
      if (view instanceof ItemsTileView) view.applyStyle(this.kinds, this.highlight);
      else view.applyStyle(this.kinds);
    }
    this.rebuildStrings(true);
    this.drawOverlay();
    this.needsUpdate = true;
    this.requestFrame();
    this.emit("tiles");
  }

  private drawOverlay(): void {
    const g = this.overlay;
    g.clear();
    const k = this.transform.k;
    const outline = (q: WallPostIt, color: number, width: number) => {
      const r = (q.rotation * Math.PI) / 180;
      const h = q.size / 2 + 8 / k;
      const corners = [
        [-h, -h],
        [h, -h],
        [h, h],
        [-h, h],
      ].flatMap(([dx, dy]) => [q.x + dx! * Math.cos(r) - dy! * Math.sin(r), q.y + dx! * Math.sin(r) + dy! * Math.cos(r)]);
      g.poly(corners, true).stroke({ width: width / k, color, alpha: 0.9, join: "round" });
    };
    if (this.highlight) {
      for (const id of this.highlight) {
        const q = this.postits.get(id);
        if (q && this.kinds.has(q.kind)) outline(q, 0xd9a531, 3);
      }
    }
    const selected = this.selected ? this.postits.get(this.selected) : undefined;
    if (selected) outline(selected, 0x2f6fb0, 3.5);
  }

  /** A ring that swells and fades where a search hit landed. */
  pulse(x: number, y: number): void {
    const ring = new Sprite(this.art.ring);
    ring.anchor.set(0.5);
    ring.tint = 0xd9a531;
    ring.position.set(x, y);
    this.world.addChild(ring);
    this.pulses.push({ sprite: ring, start: performance.now() });
    this.requestFrame();
  }

  private animatePulses(now: number): void {
    const duration = 1600;
    for (let i = this.pulses.length - 1; i >= 0; i--) {
      const pulse = this.pulses[i]!;
      const t = (now - pulse.start) / duration;
      if (t >= 1) {
        pulse.sprite.destroy();
        this.pulses.splice(i, 1);
        continue;
      }
      const cycle = (t * 2) % 1;
      const px = 90 + cycle * 260;
      pulse.sprite.scale.set(px / this.transform.k / FRAMES.ring.w);
      pulse.sprite.alpha = (1 - cycle) * 0.95;
    }
  }

  /** True once every tile of the view at the wanted zoom is loaded and drawn. */
  get complete(): boolean {
    const z = this.wantedZoom();
    const inView = tilesInRect(this.scheme, z, this.visibleRect(this.overhangPx()));
    return inView.every((t) => this.shown.has(t.key));
  }

  /**
   * At rest: the camera still, every tile of the view drawn, no tile fetch pending or in flight (the idle ring
   * included) and no update waiting for its frame. What a test or a bench waits for before looking.
   */
  get settled(): boolean {
    return !this.moving && !this.needsUpdate && !this.frameQueued && this.loader.idle && this.complete;
  }

  tileAt(x: number, y: number): string {
    return tileAt(this.scheme, this.scheme.itemsZoom, x, y).key;
  }

  destroy(): void {
    this.loader.dispose();
    this.renderer.destroy();
  }
}

/** Post-its overhang their tile by half a post-it, plus rotation and shadow: this many post-it sides. */
const OVERHANG = 0.75;

function zOf(label: string): number {
  const match = /tile (\d+)\//.exec(label);
  return match ? Number(match[1]) : 99;
}

/** The canvas' margin beyond the view on each side, in CSS px: a slice of the view's larger side, capped. */
function overscanFor(width: number, height: number): number {
  return Math.round(Math.min(BUDGETS.overscanMaxPx, Math.max(width, height) * BUDGETS.overscanFraction));
}
