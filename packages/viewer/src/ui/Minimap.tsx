import type { WallAggregateTile, WallTile } from "@oto/sdk/schema";
import { useEffect, useRef, useState } from "preact/hooks";
import { tilesInRect } from "../tiles/scheme.js";
import type { Viewer } from "../viewer.js";

const W = 200;
const H = 140;

/**
 * A minimap drawn from one coarse tile level (at most 16 aggregate tiles for the whole wall); the view's
 * rectangle is redrawn as the camera moves. Click or drag to move the camera there.
 */
export function Minimap({ viewer }: { viewer: Viewer }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tiles, setTiles] = useState<WallAggregateTile[]>([]);
  const wall = viewer.state.wall;
  const b = wall?.bounds;

  // The map's frame: the wall's bounds, padded, kept to the canvas' aspect.
  const frame = (() => {
    if (!b) return null;
    const pad = 1500;
    let w = b.max_x - b.min_x + 2 * pad;
    let h = b.max_y - b.min_y + 2 * pad;
    if (w / h > W / H) h = (w * H) / W;
    else w = (h * W) / H;
    const cx = (b.min_x + b.max_x) / 2;
    const cy = (b.min_y + b.max_y) / 2;
    return { x: cx - w / 2, y: cy - h / 2, s: W / w };
  })();

  useEffect(() => {
    if (!wall || !b || !frame) return;
    const scheme = { itemsZoom: wall.items_zoom, itemsTileSize: wall.items_tile_size };
    const span = Math.max(b.max_x - b.min_x, b.max_y - b.min_y, 1);
    const z = Math.max(0, Math.min(wall.items_zoom - 1, wall.items_zoom - Math.ceil(Math.log2(span / 3 / wall.items_tile_size))));
    const keys = tilesInRect(scheme, z, { minX: b.min_x, minY: b.min_y, maxX: b.max_x, maxY: b.max_y }, 16).map((t) => t.key);
    if (keys.length === 0) return;
    const controller = new AbortController();
    viewer.api
      .tiles(keys, controller.signal)
      .then((got: WallTile[]) => setTiles(got.filter((t): t is WallAggregateTile => t.type === "aggregate")))
      .catch(() => {});
    return () => controller.abort();
  }, [wall?.version]);

  const draw = () => {
    const c = canvas.current;
    if (!c || !frame) return;
    const ctx = c.getContext("2d")!;
    const dpr = Math.min(2, devicePixelRatio || 1);
    if (c.width !== W * dpr) {
      c.width = W * dpr;
      c.height = H * dpr;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const kinds = viewer.state.kinds;
    for (const tile of tiles) {
      const side = (tile.bounds.max_x - tile.bounds.min_x) / tile.grid;
      for (const cell of tile.cells) {
        let n = 0;
        for (const kind of kinds) n += cell.kinds[kind];
        if (!n) continue;
        const x = (tile.bounds.min_x + (cell.cx + 0.5) * side - frame.x) * frame.s;
        const y = (tile.bounds.min_y + (cell.cy + 0.5) * side - frame.y) * frame.s;
        ctx.fillStyle = cell.agents ? "rgba(210,160,40,0.9)" : `rgba(90,75,55,${0.3 + Math.min(0.6, n / 40)})`;
        ctx.beginPath();
        ctx.arc(x, y, Math.max(1.2, Math.min(4, side * frame.s * 0.45)), 0, Math.PI * 2);
        ctx.fill();
      }
    }
    const r = viewer.scene.visibleRect();
    ctx.strokeStyle = "rgba(47,111,176,0.95)";
    ctx.lineWidth = 1.5;
    const vx = (r.minX - frame.x) * frame.s;
    const vy = (r.minY - frame.y) * frame.s;
    ctx.strokeRect(vx, vy, Math.max(3, (r.maxX - r.minX) * frame.s), Math.max(3, (r.maxY - r.minY) * frame.s));
  };

  useEffect(() => {
    draw();
    return viewer.scene.on(() => draw());
  });

  if (!frame) return null;
  const moveTo = (e: PointerEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const x = frame.x + (e.clientX - rect.left) / frame.s;
    const y = frame.y + (e.clientY - rect.top) / frame.s;
    viewer.camera.jumpTo(x, y, viewer.scene.camera.k);
  };
  return (
    <canvas
      ref={canvas}
      class="minimap"
      style={{ width: `${W}px`, height: `${H}px` }}
      aria-label="Minimap: click to move the view"
      role="img"
      data-testid="minimap"
      onPointerDown={(e) => {
        (e.target as HTMLCanvasElement).setPointerCapture(e.pointerId);
        moveTo(e);
      }}
      onPointerMove={(e) => e.buttons && moveTo(e)}
    />
  );
}
