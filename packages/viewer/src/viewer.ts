import type { SearchHit, WallInfo, WallPostIt, WallString } from "@oto/sdk/schema";
import { WallApi } from "./api.js";
import { BUDGETS, KINDS, type Kind } from "./budgets.js";
import { Camera } from "./camera.js";
import { type Pick, WallScene } from "./scene/wallScene.js";
import { type UrlState, formatUrlState, parseUrlState } from "./url.js";

export type Selection =
  | { type: "postit"; id: string; postitType: "creation" | "agent"; postit?: WallPostIt }
  | { type: "string"; string: WallString };

export interface ViewerState {
  wall: WallInfo | null;
  selection: Selection | null;
  kinds: ReadonlySet<Kind>;
  /** Root creation whose tree is highlighted, with the ids in it. */
  tree: { root: string; ids: string[]; truncated: boolean } | null;
  inView: WallPostIt[];
  k: number;
  error: string | null;
  announce: string;
  /** True when nothing pinned is in view (shows the back-to-content hint). */
  lost: boolean;
}

/**
 * Glue between the canvas (scene + camera), the API and the Preact UI: selection, filters, tree highlight,
 * search fly-to and the shareable URL. The UI subscribes and re-renders on change.
 */
export class Viewer {
  readonly api: WallApi;
  readonly scene: WallScene;
  camera!: Camera;
  state: ViewerState = {
    wall: null,
    selection: null,
    kinds: new Set(KINDS),
    tree: null,
    inView: [],
    k: 1,
    error: null,
    announce: "",
    lost: false,
  };
  private readonly listeners = new Set<() => void>();
  private urlTimer: ReturnType<typeof setTimeout> | undefined;
  private handle: string | undefined;
  private pressed: { x: number; y: number } | null = null;

  constructor(base = "") {
    this.api = new WallApi(base);
    this.scene = new WallScene((keys, signal) => this.api.tiles(keys, signal));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<ViewerState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** `surface`: the page-filling element that takes the input and holds the canvas (which may overhang it). */
  async start(surface: HTMLElement): Promise<void> {
    const canvas = surface.querySelector("canvas")!;
    const { width, height } = surface.getBoundingClientRect();
    await this.scene.init(canvas, Math.max(1, width), Math.max(1, height));
    this.camera = new Camera(surface, this.scene);
    new ResizeObserver(() => {
      const r = surface.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) return;
      this.scene.resize(r.width, r.height);
      if (this.state.wall) this.camera.setWall(this.state.wall.bounds, this.state.wall.postit_size);
    }).observe(surface);
    this.scene.on((reason) => this.onScene(reason));
    surface.addEventListener("pointerdown", (e) => (this.pressed = { x: e.clientX, y: e.clientY }));
    surface.addEventListener("click", (e) => this.onClick(e));
    let wall: WallInfo;
    try {
      wall = await this.api.wall();
    } catch (err) {
      this.set({ error: `The wall could not be loaded: ${(err as Error).message}` });
      return;
    }
    this.scene.setWall(wall);
    this.camera.setWall(wall.bounds, wall.postit_size);
    this.set({ wall });
    await this.restore(parseUrlState(location.search));
  }

  /** The first view: the URL's, else the selected post-it's, else a handle's home, else the wall. */
  private async restore(url: UrlState): Promise<void> {
    if (url.view) this.camera.jumpTo(url.view.cx, url.view.cy, url.view.k);
    if (url.node) {
      try {
        const at = await this.api.locate(url.node.startsWith("ag_") ? { agent: url.node } : { creation: url.node });
        if (!url.view) this.camera.jumpTo(at.x, at.y, 1);
        this.select({ type: "postit", id: at.id, postitType: at.type === "agent" ? "agent" : "creation" });
      } catch {
        this.set({ announce: "That post-it is no longer on the wall." });
      }
    } else if (url.handle) {
      try {
        const at = await this.api.locate({ handle: url.handle });
        this.handle = url.handle;
        if (!url.view) this.camera.jumpTo(at.x, at.y, 0.6);
      } catch {
        this.set({ announce: `@${url.handle} has no home on this wall.` });
      }
    }
    if (!url.view && !url.node && !url.handle) this.home(false);
  }

  private onScene(reason: "move" | "idle" | "tiles"): void {
    if (reason === "move") {
      clearTimeout(this.urlTimer);
      this.urlTimer = setTimeout(() => this.writeUrl(), BUDGETS.urlDebounceMs);
      if (Math.abs(this.state.k - this.scene.camera.k) / this.state.k > 0.01) this.set({ k: this.scene.camera.k });
      return;
    }
    if (this.scene.isMoving) return;
    const inView = this.scene.postitsInView();
    this.set({ inView, k: this.scene.camera.k, lost: this.isLost() });
  }

  private isLost(): boolean {
    const b = this.state.wall?.bounds;
    if (!b) return false;
    const r = this.scene.visibleRect();
    return r.maxX < b.min_x || r.minX > b.max_x || r.maxY < b.min_y || r.minY > b.max_y;
  }

  private writeUrl(): void {
    const { cx, cy, k } = this.camera.centre();
    const state: UrlState = { view: { cx, cy, k } };
    const sel = this.state.selection;
    if (sel?.type === "postit") state.node = sel.id;
    if (this.handle) state.handle = this.handle;
    const query = formatUrlState(state, location.search);
    if (query !== location.search) history.replaceState(null, "", `${location.pathname}${query}${location.hash}`);
  }

  private onClick(event: MouseEvent): void {
    if (this.pressed && Math.hypot(event.clientX - this.pressed.x, event.clientY - this.pressed.y) > BUDGETS.clickDistancePx) return;
    const rect = this.camera.surface.getBoundingClientRect();
    this.pickAt(event.clientX - rect.left, event.clientY - rect.top);
  }

  /** Acts on what is under a screen point, as a click does. */
  pickAt(sx: number, sy: number): Pick | null {
    const hit = this.scene.pick(sx, sy);
    if (!hit) {
      this.select(null);
    } else if (hit.type === "postit") {
      this.select({ type: "postit", id: hit.postit.id, postitType: hit.postit.type, postit: hit.postit });
    } else if (hit.type === "string") {
      this.select({ type: "string", string: hit.string });
    } else if (hit.type === "highlight") {
      this.camera.flyTo(hit.highlight.x, hit.highlight.y, 0.6);
    } else {
      this.camera.flyTo(hit.x, hit.y, Math.min(this.camera.kMax, this.scene.camera.k * 4));
    }
    return hit;
  }

  select(selection: Selection | null): void {
    const id = selection?.type === "postit" ? selection.id : null;
    if (id) this.handle = undefined;
    this.scene.setSelected(id);
    let announce = "";
    if (selection?.type === "postit") {
      const p = selection.postit ?? this.scene.postit(selection.id);
      announce = p ? `Selected ${p.type === "agent" ? "agent" : p.kind} “${p.title}” by @${p.author.handle}` : "Selected";
    } else if (selection?.type === "string") {
      announce = selection.string.type === "made_with" ? "Selected a made-with string" : "Selected a forked-from string";
    }
    this.set({ selection, announce });
    clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => this.writeUrl(), BUDGETS.urlDebounceMs);
  }

  toggleKind(kind: Kind): void {
    const kinds = new Set(this.state.kinds);
    if (kinds.has(kind)) kinds.delete(kind);
    else kinds.add(kind);
    this.scene.setKinds(kinds);
    this.set({ kinds, announce: `${[...kinds].join(", ") || "nothing"} shown` });
  }

  async showTree(id: string): Promise<void> {
    try {
      const tree = await this.api.tree(id);
      const ids: string[] = [];
      const walk = (node: typeof tree.root) => {
        ids.push(node.creation.id);
        for (const child of node.children) walk(child);
      };
      walk(tree.root);
      this.scene.setHighlight(ids);
      this.set({ tree: { root: id, ids, truncated: tree.truncated }, announce: `Tree of ${ids.length} creations highlighted` });
    } catch (err) {
      this.set({ announce: `The tree could not be loaded: ${(err as Error).message}` });
    }
  }

  clearTree(): void {
    this.scene.setHighlight(null);
    this.set({ tree: null });
  }

  /** Fly to a search hit and pulse it; a creation also opens its preview. */
  goToHit(hit: SearchHit): void {
    if (!hit.location) return;
    const { x, y } = hit.location;
    const k = hit.type === "creation" ? 1 : 0.6;
    this.camera.flyTo(x, y, k, () => {
      this.scene.pulse(x, y);
      if (hit.type === "creation") this.select({ type: "postit", id: hit.id, postitType: "creation" });
      else {
        this.select(null);
        this.handle = hit.subtitle.replace(/^@/, "");
        this.writeUrl();
      }
    });
  }

  /** Fly to a post-it by id (from the panel's lineage list). */
  async goTo(id: string, type: "creation" | "agent" = "creation"): Promise<void> {
    try {
      const at = await this.api.locate(type === "agent" ? { agent: id } : { creation: id });
      this.camera.flyTo(at.x, at.y, Math.max(0.8, this.scene.camera.k), () => {
        this.scene.pulse(at.x, at.y);
        this.select({ type: "postit", id, postitType: type });
      });
    } catch {
      this.set({ announce: "That post-it is not on the wall." });
    }
  }

  /** Centre a post-it (keyboard focus in the list follows the camera). */
  focusPostit(p: WallPostIt): void {
    const r = this.scene.visibleRect(-40);
    if (p.x < r.minX || p.x > r.maxX || p.y < r.minY || p.y > r.maxY) this.camera.flyTo(p.x, p.y, this.scene.camera.k);
    this.scene.setSelected(p.id);
  }

  /** The home button: the whole wall when it fits with post-its still drawn singly, else the wall's centre (home 0). */
  home(animate = true): void {
    const b = this.state.wall?.bounds;
    const { width, height } = this.scene.size;
    let cx = 0;
    let cy = 0;
    let k = 0.5;
    if (b) {
      const fit = Math.min(width / (b.max_x - b.min_x + 500), height / (b.max_y - b.min_y + 500));
      // Fit the whole wall while post-its are still drawn one by one (not as aggregate dots).
      if (fit * (this.state.wall?.postit_size ?? BUDGETS.postitSize) >= BUDGETS.itemsFromPx + 2) {
        cx = (b.min_x + b.max_x) / 2;
        cy = (b.min_y + b.max_y) / 2;
        k = Math.min(0.8, fit);
      } else k = 0.3;
    }
    if (animate) this.camera.flyTo(cx, cy, k);
    else this.camera.jumpTo(cx, cy, k);
  }
}
