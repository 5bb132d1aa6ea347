import type { WallBounds } from "@oto/sdk/schema";
import { interpolateZoom } from "d3-interpolate";
import { type Selection, select } from "d3-selection";
import { type D3ZoomEvent, type ZoomBehavior, type ZoomTransform, zoom, zoomIdentity } from "d3-zoom";
import { BUDGETS } from "./budgets.js";
import type { Transform, WallScene } from "./scene/wallScene.js";

/** Zoom steps for the buttons and + / − keys, like tldraw's zoomSteps. */
const STEPS = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.14, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.8];

/**
 * Wheel events from a mouse wheel zoom; those from a trackpad pan (two-finger scroll), as in Figma and Miro.
 * A pinch arrives as a wheel event with ctrlKey. Mouse wheels send line/page deltas or whole notches of 50+ px
 * on one axis; trackpads send small, often fractional, deltas on both axes.
 */
export function wheelZooms(event: WheelEvent): boolean {
  if (event.ctrlKey || event.metaKey) return true;
  if (event.deltaMode !== 0) return true;
  return event.deltaX === 0 && Math.abs(event.deltaY) >= 50 && Number.isInteger(event.deltaY);
}

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/**
 * The camera: d3-zoom on the wall surface; its transform goes onto the scene's render group. The scale is clamped so
 * a post-it is never giant (≤ maxPostitPx) and the view never wanders far from what is pinned.
 */
export class Camera {
  readonly behavior: ZoomBehavior<HTMLElement, unknown>;
  private readonly selection: Selection<HTMLElement, unknown, null, undefined>;
  private flight: number | undefined;
  kMin: number = 0.14;
  kMax: number = BUDGETS.maxPostitPx / BUDGETS.postitSize;
  private bounds: WallBounds | null = null;

  constructor(
    /** The element that takes the pointer, wheel and touch input: the page-filling #wall, which holds the canvas. */
    readonly surface: HTMLElement,
    private readonly scene: WallScene,
  ) {
    this.selection = select(surface);
    this.behavior = zoom<HTMLElement, unknown>()
      .scaleExtent([this.kMin, this.kMax])
      .clickDistance(BUDGETS.clickDistancePx)
      .filter((event: Event) => {
        if (event.type === "wheel") return wheelZooms(event as WheelEvent);
        return !(event as MouseEvent).button;
      })
      .on("start", () => this.cancelFlight())
      .on("zoom", (event: D3ZoomEvent<HTMLElement, unknown>) => this.scene.setTransform(event.transform));
    this.selection.call(this.behavior).on("dblclick.zoom", null);
    // Trackpad two-finger scroll pans.
    surface.addEventListener(
      "wheel",
      (event) => {
        if (wheelZooms(event)) return;
        event.preventDefault();
        this.cancelFlight();
        const k = this.transform.k;
        this.behavior.translateBy(this.selection, -event.deltaX / k, -event.deltaY / k);
      },
      { passive: false },
    );
  }

  get transform(): Transform {
    const t = this.scene.camera;
    return { x: t.x, y: t.y, k: t.k };
  }

  /** The clamp for this wall and viewport: zoom out to about twice the wall, never past the floor. */
  setWall(bounds: WallBounds | null, postitSize: number): void {
    this.bounds = bounds;
    const { width, height } = this.scene.size;
    this.kMax = BUDGETS.maxPostitPx / postitSize;
    const itemsK = 28 / postitSize;
    const fitK = bounds ? Math.min(width / (bounds.max_x - bounds.min_x + 1), height / (bounds.max_y - bounds.min_y + 1)) : itemsK;
    this.kMin = Math.max(BUDGETS.minScaleFloor, Math.min(itemsK, fitK * 0.5));
    const pad = Math.max(2000, postitSize * 10);
    const b = bounds ?? { min_x: 0, min_y: 0, max_x: 0, max_y: 0 };
    this.behavior
      .scaleExtent([this.kMin, this.kMax])
      .translateExtent([
        [b.min_x - pad, b.min_y - pad],
        [b.max_x + pad, b.max_y + pad],
      ]);
    this.behavior.extent([
      [0, 0],
      [width, height],
    ]);
    // Re-apply the current transform so it obeys the new clamp.
    this.behavior.transform(this.selection, this.current());
  }

  private current(): ZoomTransform {
    const t = this.transform;
    return zoomIdentity.translate(t.x, t.y).scale(t.k);
  }

  /** Centre the view on a wall point at scale k, at once. */
  jumpTo(cx: number, cy: number, k: number): void {
    this.cancelFlight();
    const { width, height } = this.scene.size;
    const kk = Math.max(this.kMin, Math.min(this.kMax, k));
    this.behavior.transform(this.selection, zoomIdentity.translate(width / 2 - cx * kk, height / 2 - cy * kk).scale(kk));
  }

  /** The wall point at the centre of the screen. */
  centre(): { cx: number; cy: number; k: number } {
    const { width, height } = this.scene.size;
    const t = this.transform;
    return { cx: (width / 2 - t.x) / t.k, cy: (height / 2 - t.y) / t.k, k: t.k };
  }

  /** Fly (van Wijk smooth zoom) to a wall point at scale k; jumps when the user prefers reduced motion. */
  flyTo(cx: number, cy: number, k: number, done?: () => void): void {
    this.cancelFlight();
    const kk = Math.max(this.kMin, Math.min(this.kMax, k));
    if (prefersReducedMotion()) {
      this.jumpTo(cx, cy, kk);
      done?.();
      return;
    }
    const { width, height } = this.scene.size;
    const from = this.centre();
    const path = interpolateZoom([from.cx, from.cy, width / from.k], [cx, cy, width / kk]);
    const duration = Math.min(BUDGETS.flyMaxMs, Math.max(300, path.duration * 0.8));
    const start = performance.now();
    const step = (now: number) => {
      const t = Math.min(1, (now - start) / duration);
      const eased = t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2;
      const [x, y, w] = path(eased);
      const k1 = width / w;
      this.behavior.transform(this.selection, zoomIdentity.translate(width / 2 - x * k1, height / 2 - y * k1).scale(k1));
      if (t < 1) this.flight = requestAnimationFrame(step);
      else {
        this.flight = undefined;
        done?.();
      }
    };
    this.flight = requestAnimationFrame(step);
  }

  private cancelFlight(): void {
    if (this.flight !== undefined) cancelAnimationFrame(this.flight);
    this.flight = undefined;
  }

  /** One zoom step in (+1) or out (−1), around the screen centre. */
  step(direction: 1 | -1): void {
    const k = this.transform.k;
    const next =
      direction > 0 ? STEPS.find((s) => s > k * 1.01) ?? this.kMax : [...STEPS].reverse().find((s) => s < k / 1.01) ?? this.kMin;
    const { cx, cy } = this.centre();
    this.flyTo(cx, cy, Math.max(this.kMin, Math.min(this.kMax, next)));
  }

  panBy(dxPx: number, dyPx: number): void {
    const k = this.transform.k;
    this.behavior.translateBy(this.selection, -dxPx / k, -dyPx / k);
  }

  /** Back to content: the whole wall in view (or as much as the clamp allows). */
  fit(): void {
    const b = this.bounds;
    if (!b) return this.flyTo(0, 0, 1);
    const { width, height } = this.scene.size;
    const k = Math.min(width / (b.max_x - b.min_x + 400), height / (b.max_y - b.min_y + 400));
    this.flyTo((b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2, Math.min(1, k));
  }
}
