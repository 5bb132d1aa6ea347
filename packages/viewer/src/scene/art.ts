/**
 * The wall's art, drawn once with Canvas 2D when the page starts: the paper grain (a seamless tile) and one
 * atlas holding the post-it body, the golden agent paper, the shadow, the pin, the kind icons and a few
 * marks. Post-its are Sprites of these frames with a tint, so nothing is drawn per post-it per frame.
 * Frames carry transparent margins so mipmaps do not bleed between them.
 */
export interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Pixels per post-it side in the body frames (the post-it's square, margins excluded). */
export const BODY_PX = 464;
export const ATLAS_W = 2048;
export const ATLAS_H = 1024;

export const FRAMES = {
  note: { x: 0, y: 0, w: 512, h: 512 },
  agent: { x: 512, y: 0, w: 512, h: 512 },
  shadow: { x: 1024, y: 0, w: 640, h: 640 },
  pin: { x: 1680, y: 16, w: 128, h: 128 },
  dot: { x: 1840, y: 16, w: 96, h: 96 },
  white: { x: 1968, y: 16, w: 32, h: 32 },
  hub: { x: 1680, y: 176, w: 160, h: 160 },
  ring: { x: 1680, y: 368, w: 256, h: 256 },
  text: { x: 16, y: 656, w: 128, h: 128 },
  image: { x: 176, y: 656, w: 128, h: 128 },
  voice: { x: 336, y: 656, w: 128, h: 128 },
  video: { x: 496, y: 656, w: 128, h: 128 },
  tape: { x: 656, y: 656, w: 256, h: 80 },
} satisfies Record<string, Frame>;
export type FrameName = keyof typeof FRAMES;

type Ctx = CanvasRenderingContext2D;

/** A small deterministic random generator so the art is the same on every load. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The outline of a post-it whose lower-right corner lifts off the wall. */
function notePath(ctx: Ctx, x: number, y: number, s: number, curl: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + s, y);
  ctx.lineTo(x + s - 1, y + s - curl);
  ctx.quadraticCurveTo(x + s - curl * 0.35, y + s - curl * 0.25, x + s - curl, y + s + 2);
  ctx.quadraticCurveTo(x + s * 0.5, y + s + 6, x + 1, y + s);
  ctx.closePath();
}

function grain(ctx: Ctx, x: number, y: number, w: number, h: number, amount: number, seed: number): void {
  const image = ctx.getImageData(x, y, w, h);
  const data = image.data;
  const rand = rng(seed);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    const n = (rand() - 0.5) * amount;
    data[i] = Math.max(0, Math.min(255, data[i]! + n));
    data[i + 1] = Math.max(0, Math.min(255, data[i + 1]! + n));
    data[i + 2] = Math.max(0, Math.min(255, data[i + 2]! + n));
  }
  ctx.putImageData(image, x, y);
}

function drawBody(ctx: Ctx, f: Frame, golden: boolean): void {
  const m = (f.w - BODY_PX) / 2;
  const x = f.x + m;
  const y = f.y + m;
  const s = BODY_PX;
  const curl = s * 0.16;
  ctx.save();
  notePath(ctx, x, y, s, curl);
  ctx.clip();
  // The paper: near white so a tint gives the colour; gold foil for agents.
  const base = ctx.createLinearGradient(x, y, x + s * 0.3, y + s);
  if (golden) {
    base.addColorStop(0, "#fbe7a1");
    base.addColorStop(0.35, "#f1cd62");
    base.addColorStop(0.6, "#e2b443");
    base.addColorStop(0.8, "#f5d877");
    base.addColorStop(1, "#d9a531");
  } else {
    base.addColorStop(0, "#ffffff");
    base.addColorStop(0.7, "#fbfbfb");
    base.addColorStop(1, "#ececec");
  }
  ctx.fillStyle = base;
  ctx.fillRect(x - 4, y - 4, s + 8, s + 12);
  if (golden) {
    // Foil sheen: soft diagonal bands.
    ctx.globalCompositeOperation = "lighter";
    for (const [offset, alpha] of [[0.18, 0.16], [0.5, 0.1], [0.74, 0.13]] as const) {
      const band = ctx.createLinearGradient(x + s * (offset - 0.12), y, x + s * (offset + 0.12), y + s * 0.3);
      band.addColorStop(0, "rgba(255,255,255,0)");
      band.addColorStop(0.5, `rgba(255,250,220,${alpha})`);
      band.addColorStop(1, "rgba(255,255,255,0)");
      ctx.fillStyle = band;
      ctx.fillRect(x, y, s, s + 8);
    }
    ctx.globalCompositeOperation = "source-over";
  }
  // The glued strip at the top is flat; the paper below bends slightly: a light band, then shade.
  const glue = ctx.createLinearGradient(x, y, x, y + s * 0.22);
  glue.addColorStop(0, "rgba(0,0,0,0.06)");
  glue.addColorStop(0.25, "rgba(255,255,255,0.25)");
  glue.addColorStop(1, "rgba(255,255,255,0)");
  ctx.fillStyle = glue;
  ctx.fillRect(x, y, s, s * 0.22);
  // The curl: the lower part darkens towards the lifted corner.
  const lift = ctx.createRadialGradient(x + s, y + s, 0, x + s, y + s, s * 0.75);
  lift.addColorStop(0, "rgba(60,45,20,0.22)");
  lift.addColorStop(0.5, "rgba(60,45,20,0.07)");
  lift.addColorStop(1, "rgba(60,45,20,0)");
  ctx.fillStyle = lift;
  ctx.fillRect(x, y, s, s + 8);
  const bottom = ctx.createLinearGradient(x, y + s * 0.75, x, y + s);
  bottom.addColorStop(0, "rgba(0,0,0,0)");
  bottom.addColorStop(1, "rgba(50,40,20,0.08)");
  ctx.fillStyle = bottom;
  ctx.fillRect(x, y + s * 0.75, s, s * 0.3);
  ctx.restore();
  // The underside of the lifted corner, lighter where it catches the light.
  ctx.save();
  ctx.beginPath();
  ctx.moveTo(x + s - 1, y + s - curl);
  ctx.quadraticCurveTo(x + s - curl * 0.35, y + s - curl * 0.25, x + s - curl, y + s + 2);
  ctx.quadraticCurveTo(x + s - curl * 0.55, y + s - curl * 0.55, x + s - 1, y + s - curl);
  ctx.closePath();
  const under = ctx.createLinearGradient(x + s - curl, y + s, x + s, y + s - curl);
  under.addColorStop(0, golden ? "#c8952a" : "#d8d8d8");
  under.addColorStop(1, golden ? "#fff0b8" : "#ffffff");
  ctx.fillStyle = under;
  ctx.fill();
  ctx.restore();
  // Edge: a fine pencil-grey border.
  ctx.save();
  notePath(ctx, x + 0.5, y + 0.5, s - 1, curl);
  ctx.strokeStyle = golden ? "rgba(120,80,10,0.45)" : "rgba(70,60,45,0.22)";
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.restore();
  grain(ctx, f.x, f.y, f.w, f.h, golden ? 14 : 10, golden ? 7 : 3);
}

function drawShadow(ctx: Ctx, f: Frame): void {
  const m = (f.w - BODY_PX) / 2;
  const x = f.x + m;
  const y = f.y + m;
  const s = BODY_PX;
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x, f.y, f.w, f.h);
  ctx.clip();
  // Draw the shape far away and keep only its blurred shadow inside the frame.
  const away = 4000;
  ctx.shadowColor = "rgba(55,40,20,0.55)";
  ctx.shadowBlur = 26;
  ctx.shadowOffsetX = away;
  ctx.shadowOffsetY = 0;
  ctx.beginPath();
  // Wider and deeper at the bottom, where the curled paper stands off the wall.
  ctx.moveTo(x + 8 - away, y + 6);
  ctx.lineTo(x + s - 8 - away, y + 6);
  ctx.lineTo(x + s + 10 - away, y + s + 14);
  ctx.lineTo(x - 4 - away, y + s + 6);
  ctx.closePath();
  ctx.fillStyle = "#000";
  ctx.fill();
  ctx.shadowBlur = 10;
  ctx.shadowColor = "rgba(40,30,10,0.35)";
  ctx.beginPath();
  ctx.rect(x + 4 - away, y + 2, s - 8, s - 4);
  ctx.fill();
  ctx.restore();
}

function drawPin(ctx: Ctx, f: Frame): void {
  const cx = f.x + f.w / 2 - 6;
  const cy = f.y + f.h / 2 - 8;
  const r = 26;
  // The pin's own shadow, cast down-right.
  ctx.save();
  ctx.fillStyle = "rgba(40,25,10,0.35)";
  ctx.filter = "blur(4px)";
  ctx.beginPath();
  ctx.ellipse(cx + 12, cy + 16, r * 0.95, r * 0.8, 0.4, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
  const head = ctx.createRadialGradient(cx - r * 0.35, cy - r * 0.4, r * 0.1, cx, cy, r);
  head.addColorStop(0, "#ffb3a6");
  head.addColorStop(0.3, "#e4523f");
  head.addColorStop(0.8, "#b3271a");
  head.addColorStop(1, "#6e150d");
  ctx.fillStyle = head;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "rgba(255,255,255,0.75)";
  ctx.beginPath();
  ctx.ellipse(cx - r * 0.35, cy - r * 0.42, r * 0.28, r * 0.17, -0.6, 0, Math.PI * 2);
  ctx.fill();
}

function pencil(ctx: Ctx, width = 7): void {
  ctx.strokeStyle = "rgba(52,46,40,0.85)";
  ctx.fillStyle = "rgba(52,46,40,0.85)";
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
}

function drawIcon(ctx: Ctx, f: Frame, kind: "text" | "image" | "voice" | "video"): void {
  const x = f.x;
  const y = f.y;
  ctx.save();
  pencil(ctx);
  if (kind === "text") {
    for (const [i, w] of [[0, 84], [1, 92], [2, 70], [3, 50]] as const) {
      ctx.beginPath();
      const ly = y + 30 + i * 22;
      ctx.moveTo(x + 20, ly);
      ctx.quadraticCurveTo(x + 20 + w / 2, ly - 4, x + 20 + w, ly + 1);
      ctx.stroke();
    }
  } else if (kind === "image") {
    ctx.strokeRect(x + 16, y + 24, 96, 80);
    ctx.beginPath();
    ctx.moveTo(x + 20, y + 98);
    ctx.lineTo(x + 50, y + 60);
    ctx.lineTo(x + 70, y + 82);
    ctx.lineTo(x + 84, y + 68);
    ctx.lineTo(x + 108, y + 98);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x + 86, y + 44, 9, 0, Math.PI * 2);
    ctx.stroke();
  } else if (kind === "voice") {
    const bars = [18, 40, 64, 30, 80, 52, 24, 44, 14];
    bars.forEach((h, i) => {
      const bx = x + 18 + i * 11.5;
      ctx.beginPath();
      ctx.moveTo(bx, y + 64 - h / 2);
      ctx.lineTo(bx, y + 64 + h / 2);
      ctx.stroke();
    });
  } else {
    ctx.strokeRect(x + 14, y + 26, 100, 76);
    for (let i = 0; i < 5; i++) {
      ctx.fillRect(x + 20 + i * 20, y + 30, 8, 7);
      ctx.fillRect(x + 20 + i * 20, y + 91, 8, 7);
    }
    ctx.beginPath();
    ctx.moveTo(x + 54, y + 46);
    ctx.lineTo(x + 82, y + 64);
    ctx.lineTo(x + 54, y + 82);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

function drawMarks(ctx: Ctx): void {
  const { dot, white, hub, ring, tape } = FRAMES;
  // A soft disc for aggregate density.
  const d = ctx.createRadialGradient(dot.x + 48, dot.y + 48, 0, dot.x + 48, dot.y + 48, 44);
  d.addColorStop(0, "rgba(255,255,255,1)");
  d.addColorStop(0.6, "rgba(255,255,255,0.85)");
  d.addColorStop(1, "rgba(255,255,255,0)");
  ctx.fillStyle = d;
  ctx.fillRect(dot.x, dot.y, dot.w, dot.h);
  ctx.fillStyle = "#fff";
  ctx.fillRect(white.x, white.y, white.w, white.h);
  // A golden hub: a gold coin with a darker rim and a star.
  const hx = hub.x + 80;
  const hy = hub.y + 80;
  const g = ctx.createRadialGradient(hx - 20, hy - 24, 6, hx, hy, 64);
  g.addColorStop(0, "#fff3c4");
  g.addColorStop(0.45, "#f0c94f");
  g.addColorStop(1, "#b8841c");
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(hx, hy, 64, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = "rgba(110,70,10,0.7)";
  ctx.lineWidth = 5;
  ctx.stroke();
  ctx.fillStyle = "rgba(120,80,10,0.75)";
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? 34 : 14;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    ctx.lineTo(hx + Math.cos(a) * r, hy + Math.sin(a) * r);
  }
  ctx.closePath();
  ctx.fill();
  // A ring for the pulse and the selection (white, tinted).
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 14;
  ctx.beginPath();
  ctx.arc(ring.x + 128, ring.y + 128, 110, 0, Math.PI * 2);
  ctx.stroke();
  // Washi tape for agents (white, tinted with the agent's string colour).
  ctx.save();
  ctx.globalAlpha = 0.8;
  ctx.fillStyle = "#fff";
  ctx.beginPath();
  ctx.moveTo(tape.x + 8, tape.y + 10);
  for (let i = 0; i <= 8; i++) ctx.lineTo(tape.x + 8 + i * 30, tape.y + 10 + (i % 2) * 5);
  for (let i = 8; i >= 0; i--) ctx.lineTo(tape.x + 8 + i * 30, tape.y + 68 + (i % 2) * 5);
  ctx.closePath();
  ctx.fill();
  ctx.restore();
  grain(ctx, tape.x, tape.y, tape.w, tape.h, 30, 11);
}

export function drawAtlas(canvas: HTMLCanvasElement): void {
  canvas.width = ATLAS_W;
  canvas.height = ATLAS_H;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.clearRect(0, 0, ATLAS_W, ATLAS_H);
  drawBody(ctx, FRAMES.note, false);
  drawBody(ctx, FRAMES.agent, true);
  drawShadow(ctx, FRAMES.shadow);
  drawPin(ctx, FRAMES.pin);
  for (const kind of ["text", "image", "voice", "video"] as const) drawIcon(ctx, FRAMES[kind], kind);
  drawMarks(ctx);
}

/** Periodic value noise: the lattice wraps, so the tile has no seam. */
function periodicNoise(size: number, cells: number, rand: () => number): Float32Array {
  const lattice = new Float32Array(cells * cells).map(() => rand());
  const out = new Float32Array(size * size);
  const at = (i: number, j: number) => lattice[((j + cells) % cells) * cells + ((i + cells) % cells)]!;
  const smooth = (t: number) => t * t * (3 - 2 * t);
  for (let py = 0; py < size; py++) {
    const fy = (py / size) * cells;
    const j = Math.floor(fy);
    const ty = smooth(fy - j);
    for (let px = 0; px < size; px++) {
      const fx = (px / size) * cells;
      const i = Math.floor(fx);
      const tx = smooth(fx - i);
      const top = at(i, j) * (1 - tx) + at(i + 1, j) * tx;
      const bottom = at(i, j + 1) * (1 - tx) + at(i + 1, j + 1) * tx;
      out[py * size + px] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** The wall's paper: warm off-white with blotches, fine grain and a few fibres; tiles without seams. */
export function drawPaper(canvas: HTMLCanvasElement, size = 512): void {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const rand = rng(42);
  const blotch = periodicNoise(size, 4, rand);
  const mid = periodicNoise(size, 16, rand);
  const fine = periodicNoise(size, 64, rand);
  const image = ctx.createImageData(size, size);
  const base = [241, 233, 216];
  for (let i = 0; i < size * size; i++) {
    const n = (blotch[i]! - 0.5) * 12 + (mid[i]! - 0.5) * 7 + (fine[i]! - 0.5) * 6 + (rand() - 0.5) * 9;
    image.data[i * 4] = base[0]! + n;
    image.data[i * 4 + 1] = base[1]! + n * 0.95;
    image.data[i * 4 + 2] = base[2]! + n * 0.85;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  // Fibres, drawn at every wrapped offset so they cross the edges seamlessly.
  ctx.lineCap = "round";
  for (let f = 0; f < 70; f++) {
    const x = rand() * size;
    const y = rand() * size;
    const a = rand() * Math.PI * 2;
    const len = 6 + rand() * 22;
    const bend = (rand() - 0.5) * 8;
    const dark = rand() < 0.6;
    ctx.strokeStyle = dark ? `rgba(120,100,70,${0.08 + rand() * 0.1})` : `rgba(255,255,250,${0.25 + rand() * 0.3})`;
    ctx.lineWidth = 0.6 + rand() * 0.8;
    for (const ox of [-size, 0, size]) {
      for (const oy of [-size, 0, size]) {
        ctx.beginPath();
        ctx.moveTo(x + ox, y + oy);
        ctx.quadraticCurveTo(
          x + ox + Math.cos(a) * len * 0.5 - Math.sin(a) * bend,
          y + oy + Math.sin(a) * len * 0.5 + Math.cos(a) * bend,
          x + ox + Math.cos(a) * len,
          y + oy + Math.sin(a) * len,
        );
        ctx.stroke();
      }
    }
  }
}
