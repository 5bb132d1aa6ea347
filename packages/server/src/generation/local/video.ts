// Video: an animated WebP (plays in any <img> in Chromium, Firefox and Safari). Frames are drawn in JS into one
// tall RGB strip: a gradient (or a slowly panning forked image), a travelling light band, a wave line and
// discs / rings on looping orbits, so the clip loops seamlessly. sharp encodes the strip with pageHeight.
import sharp from "sharp";
import type { GeneratedFile, GenerationInputFile } from "../provider.js";
import { decodeInputImage, exifFor, firstVisualInput, xmpPacket } from "./image.js";
import { paletteFor, type Rgb } from "./palette.js";
import { Prng } from "./seed.js";
import { checkpoint, fileNameFor, provenance, readNumber, textOfInputs, type GenerationContext } from "./shared.js";

export const VIDEO_FPS = 12;

export interface VideoParameters {
  width: number;
  height: number;
  duration_s: number;
}

/**
 * Frames are held in memory as one RGB strip (640×360 × 120 frames ≈ 83 MB at the limits), which is why the size
 * is capped well below the image generator's.
 */
export function normalizeVideoParameters(parameters: Record<string, unknown>): VideoParameters {
  return {
    width: readNumber(parameters, "width", { default: 480, min: 64, max: 640, integer: true }),
    height: readNumber(parameters, "height", { default: 270, min: 64, max: 360, integer: true }),
    duration_s: readNumber(parameters, "duration_s", { default: 3, min: 1, max: 10 }),
  };
}

interface Mover {
  ring: boolean;
  colour: Rgb;
  alpha: number;
  radius: number;
  thickness: number;
  cx: number;
  cy: number;
  ax: number;
  ay: number;
  /** Whole numbers of turns per clip, so the last frame leads smoothly back to the first. */
  turnsX: number;
  turnsY: number;
  phaseX: number;
  phaseY: number;
  pulse: number;
}

const TAU = Math.PI * 2;

function blendPixel(frame: Uint8Array, index: number, colour: Rgb, alpha: number): void {
  frame[index] = frame[index]! + (colour.r - frame[index]!) * alpha;
  frame[index + 1] = frame[index + 1]! + (colour.g - frame[index + 1]!) * alpha;
  frame[index + 2] = frame[index + 2]! + (colour.b - frame[index + 2]!) * alpha;
}

function gradient(width: number, height: number, from: Rgb, to: Rgb, angle: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const span = Math.abs(dx) * width + Math.abs(dy) * height;
  const offset = Math.min(0, dx * width) + Math.min(0, dy * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x * dx + y * dy - offset) / span;
      const i = (y * width + x) * 3;
      out[i] = from.r + (to.r - from.r) * t;
      out[i + 1] = from.g + (to.g - from.g) * t;
      out[i + 2] = from.b + (to.b - from.b) * t;
    }
  }
  return out;
}

function drawMover(frame: Uint8Array, width: number, height: number, mover: Mover, t: number): void {
  const x = mover.cx + mover.ax * Math.sin(TAU * mover.turnsX * t + mover.phaseX);
  const y = mover.cy + mover.ay * Math.sin(TAU * mover.turnsY * t + mover.phaseY);
  const radius = mover.radius * (1 + 0.15 * Math.sin(TAU * mover.pulse * t + mover.phaseX));
  const reach = radius + mover.thickness + 1;
  const x0 = Math.max(0, Math.floor(x - reach));
  const x1 = Math.min(width - 1, Math.ceil(x + reach));
  const y0 = Math.max(0, Math.floor(y - reach));
  const y1 = Math.min(height - 1, Math.ceil(y + reach));
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      const d = Math.hypot(px + 0.5 - x, py + 0.5 - y);
      const coverage = mover.ring ? mover.thickness / 2 - Math.abs(d - radius) + 0.5 : radius - d + 0.5;
      if (coverage <= 0) continue;
      blendPixel(frame, (py * width + px) * 3, mover.colour, mover.alpha * Math.min(1, coverage));
    }
  }
}

function drawWave(frame: Uint8Array, width: number, height: number, colour: Rgb, t: number, cycles: number, thickness: number): void {
  for (let px = 0; px < width; px++) {
    const centre = height * (0.5 + 0.22 * Math.sin(TAU * ((px / width) * cycles - t)) * Math.cos(TAU * t));
    const y0 = Math.max(0, Math.floor(centre - thickness));
    const y1 = Math.min(height - 1, Math.ceil(centre + thickness));
    for (let py = y0; py <= y1; py++) {
      const coverage = thickness / 2 - Math.abs(py + 0.5 - centre) + 0.5;
      if (coverage > 0) blendPixel(frame, (py * width + px) * 3, colour, 0.8 * Math.min(1, coverage));
    }
  }
}

/** A soft diagonal band of light that crosses the frame once per loop. */
function drawLightBand(frame: Uint8Array, width: number, height: number, t: number): void {
  const span = width + height;
  const centre = -0.25 * span + 1.5 * span * t;
  const halfWidth = span * 0.12;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const distance = Math.abs(px + py - centre);
      if (distance >= halfWidth) continue;
      const lift = 0.18 * (0.5 + 0.5 * Math.cos((Math.PI * distance) / halfWidth));
      const i = (py * width + px) * 3;
      frame[i] = frame[i]! + (255 - frame[i]!) * lift;
      frame[i + 1] = frame[i + 1]! + (255 - frame[i + 1]!) * lift;
      frame[i + 2] = frame[i + 2]! + (255 - frame[i + 2]!) * lift;
    }
  }
}

/** Frame delays in ms that add up to exactly the clip's duration despite 1000/12 not being whole. */
function frameDelays(frames: number): number[] {
  return Array.from({ length: frames }, (_, i) => Math.round(((i + 1) * 1000) / VIDEO_FPS) - Math.round((i * 1000) / VIDEO_FPS));
}

/** A forked image, larger than the frame so it can pan; the pan follows a closed ellipse to keep the loop. */
async function panSource(input: GenerationInputFile, width: number, height: number): Promise<{ data: Uint8Array; width: number; height: number }> {
  const bigWidth = Math.round(width * 1.2);
  const bigHeight = Math.round(height * 1.2);
  const raw = await (await decodeInputImage(input, bigWidth, bigHeight)).removeAlpha().raw().toBuffer();
  return { data: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), width: bigWidth, height: bigHeight };
}

export interface VideoRequest {
  prompt: string;
  parameters: VideoParameters;
  inputs: GenerationInputFile[];
  seed: string;
}

export async function generateVideo(request: VideoRequest, context: GenerationContext): Promise<GeneratedFile> {
  const { width, height, duration_s } = request.parameters;
  const frames = Math.max(1, Math.round(duration_s * VIDEO_FPS));
  const prng = Prng.derive(request.seed, "video");
  const palette = paletteFor(`${request.prompt}\n${textOfInputs(request.inputs)}`, prng);
  const size = Math.min(width, height);
  const background = gradient(width, height, palette.background[0], palette.background[1], prng.range(0, TAU));
  const source = firstVisualInput(request.inputs);
  const pan = source ? await panSource(source, width, height) : undefined;

  const movers: Mover[] = Array.from({ length: prng.int(6, 10) }, () => ({
    ring: prng.chance(0.35),
    colour: prng.pick(palette.accents),
    alpha: prng.range(0.55, 0.9),
    radius: size * prng.range(0.04, 0.16),
    thickness: size * prng.range(0.012, 0.03),
    cx: prng.range(0.2, 0.8) * width,
    cy: prng.range(0.2, 0.8) * height,
    ax: prng.range(0.1, 0.35) * width,
    ay: prng.range(0.1, 0.35) * height,
    turnsX: prng.int(1, 2),
    turnsY: prng.int(1, 2),
    phaseX: prng.range(0, TAU),
    phaseY: prng.range(0, TAU),
    pulse: prng.int(1, 3),
  }));
  const waveColour = prng.pick(palette.accents);
  const waveCycles = prng.int(1, 3);
  const waveThickness = Math.max(2, size * 0.012);

  const frameBytes = width * height * 3;
  const strip = new Uint8Array(frameBytes * frames);
  for (let f = 0; f < frames; f++) {
    const t = f / frames;
    const frame = strip.subarray(f * frameBytes, (f + 1) * frameBytes);
    if (pan) {
      const ox = Math.round((pan.width - width) * (0.5 + 0.5 * Math.cos(TAU * t)));
      const oy = Math.round((pan.height - height) * (0.5 + 0.5 * Math.sin(TAU * t)));
      for (let y = 0; y < height; y++) {
        const from = ((y + oy) * pan.width + ox) * 3;
        frame.set(pan.data.subarray(from, from + width * 3), y * width * 3);
      }
      // A light wash of the palette ties the forked picture to the new prompt.
      for (let i = 0; i < frameBytes; i++) frame[i] = frame[i]! * 0.75 + background[i]! * 0.25;
    } else {
      frame.set(background);
    }
    drawLightBand(frame, width, height, t);
    drawWave(frame, width, height, waveColour, t, waveCycles, waveThickness);
    for (const mover of movers) drawMover(frame, width, height, mover, t);
    await checkpoint(context, (0.85 * (f + 1)) / frames);
  }

  const webp = await sharp(strip, { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
    .webp({ quality: 80, loop: 0, delay: frameDelays(frames) })
    .withExif(exifFor(request.seed))
    .withXmp(xmpPacket(request.prompt, request.seed))
    .toBuffer();
  await checkpoint(context, 1);

  return {
    bytes: new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength),
    mediaType: "image/webp",
    filename: fileNameFor(request.prompt, "webp"),
    metadata: provenance(request.seed, {
      width,
      height,
      frames,
      fps: VIDEO_FPS,
      duration_s: frames / VIDEO_FPS,
      format: "animated WebP",
      ...(source ? { forked_from: source.creationId } : {}),
    }),
  };
}
