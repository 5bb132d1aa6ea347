/** Wall geometry shared by drawing and hit-testing, so what is clicked is what is drawn. */
export interface Point {
  x: number;
  y: number;
}

const RAD = Math.PI / 180;

/** Where a post-it's pin sits (strings hang from pins), in wall units. */
export function pinPoint(cx: number, cy: number, size: number, rotationDeg = 0): Point {
  const dy = -size / 2 + size * 0.09;
  const r = rotationDeg * RAD;
  return { x: cx - Math.sin(r) * dy, y: cy + Math.cos(r) * dy };
}

/** A string hangs between two pins as a quadratic curve sagging under gravity (y grows downwards). */
export function stringCurve(a: Point, b: Point, segments = 16): number[] {
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const sag = len * 0.1;
  const cx = (a.x + b.x) / 2;
  const cy = (a.y + b.y) / 2 + sag;
  const out: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const u = 1 - t;
    out.push(u * u * a.x + 2 * u * t * cx + t * t * b.x, u * u * a.y + 2 * u * t * cy + t * t * b.y);
  }
  return out;
}

/** Distance from p to a polyline [x0,y0,x1,y1,…]. */
export function distanceToPolyline(p: Point, pts: number[]): number {
  let best = Infinity;
  for (let i = 0; i + 3 < pts.length; i += 2) {
    const ax = pts[i]!;
    const ay = pts[i + 1]!;
    const bx = pts[i + 2]!;
    const by = pts[i + 3]!;
    const dx = bx - ax;
    const dy = by - ay;
    const l2 = dx * dx + dy * dy;
    const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - ax) * dx + (p.y - ay) * dy) / l2));
    best = Math.min(best, Math.hypot(p.x - (ax + t * dx), p.y - (ay + t * dy)));
  }
  return best;
}

/** True when p is inside the square of side `size` centred on (cx, cy) and turned by rotationDeg. */
export function insideRotatedSquare(p: Point, cx: number, cy: number, size: number, rotationDeg: number): boolean {
  const r = -rotationDeg * RAD;
  const dx = p.x - cx;
  const dy = p.y - cy;
  const lx = dx * Math.cos(r) - dy * Math.sin(r);
  const ly = dx * Math.sin(r) + dy * Math.cos(r);
  return Math.abs(lx) <= size / 2 && Math.abs(ly) <= size / 2;
}
