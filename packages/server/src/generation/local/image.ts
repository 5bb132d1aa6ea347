// Image: a seeded SVG composition (gradient, soft orbs, ribbons / shards / rings / dots, vignette)
// rendered to PNG by sharp, with the provenance notice in EXIF and XMP. A fork recolours its input image and
// lays the composition over it.
import sharp from "sharp";
import type { GeneratedFile, GenerationInputFile } from "../provider.js";
import { paletteFor, toHex, type Palette } from "./palette.js";
import { Prng } from "./seed.js";
import {
  NOTICE,
  SOFTWARE,
  LocalGenerationError,
  fileNameFor,
  provenance,
  readNumber,
  textOfInputs,
  type GenerationContext,
  checkpoint,
} from "./shared.js";

export interface ImageParameters {
  width: number;
  height: number;
}

export function normalizeImageParameters(parameters: Record<string, unknown>): ImageParameters {
  return {
    width: readNumber(parameters, "width", { default: 768, min: 64, max: 2048, integer: true }),
    height: readNumber(parameters, "height", { default: 768, min: 64, max: 2048, integer: true }),
  };
}

const n = (value: number): string => value.toFixed(1);

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

/** An XMP packet carrying the notice, so tools that read XMP rather than EXIF see it too. */
export function xmpPacket(title: string, seed: string): string {
  return [
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
    `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(title.slice(0, 200))}</rdf:li></rdf:Alt></dc:title>`,
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(`${NOTICE} Seed ${seed}.`)}</rdf:li></rdf:Alt></dc:description>`,
    `<xmp:CreatorTool>${escapeXml(SOFTWARE)}</xmp:CreatorTool>`,
    "</rdf:Description>",
    "</rdf:RDF>",
    "</x:xmpmeta>",
  ].join("");
}

export function exifFor(seed: string): sharp.Exif {
  return { IFD0: { ImageDescription: `${NOTICE} Seed ${seed}.`, Software: SOFTWARE } };
}

type Style = (prng: Prng, palette: Palette, width: number, height: number) => string;

const ribbons: Style = (prng, palette, width, height) => {
  const size = Math.min(width, height);
  const parts: string[] = [];
  const count = prng.int(2, 4);
  for (let i = 0; i < count; i++) {
    const colour = toHex(prng.pick(palette.accents));
    const y0 = prng.range(0, height);
    const y1 = prng.range(0, height);
    const c1 = [prng.range(0.2, 0.45) * width, prng.range(-0.2, 1.2) * height];
    const c2 = [prng.range(0.55, 0.8) * width, prng.range(-0.2, 1.2) * height];
    const lines = prng.int(6, 14);
    const spread = size * prng.range(0.006, 0.02);
    const strokeWidth = size * prng.range(0.002, 0.008);
    for (let j = 0; j < lines; j++) {
      const d = j * spread;
      parts.push(
        `<path d="M ${n(-0.05 * width)} ${n(y0 + d)} C ${n(c1[0]!)} ${n(c1[1]! + d)} ${n(c2[0]!)} ${n(c2[1]! + d)} ${n(1.05 * width)} ${n(y1 + d)}" ` +
          `fill="none" stroke="${colour}" stroke-width="${n(strokeWidth)}" stroke-linecap="round" opacity="${(0.35 + 0.5 * (1 - j / lines)).toFixed(2)}"/>`,
      );
    }
  }
  return parts.join("");
};

const shards: Style = (prng, palette, width, height) => {
  const size = Math.min(width, height);
  const parts: string[] = [];
  const count = prng.int(7, 14);
  for (let i = 0; i < count; i++) {
    const cx = prng.range(0, width);
    const cy = prng.range(0, height);
    const r = size * prng.range(0.06, 0.22);
    const angle = prng.range(0, Math.PI * 2);
    const points = [0, 1, 2]
      .map((k) => {
        const a = angle + (k * Math.PI * 2) / 3 + prng.range(-0.5, 0.5);
        return `${n(cx + Math.cos(a) * r)},${n(cy + Math.sin(a) * r)}`;
      })
      .join(" ");
    parts.push(`<polygon points="${points}" fill="${toHex(prng.pick(palette.accents))}" opacity="${prng.range(0.3, 0.75).toFixed(2)}"/>`);
  }
  return parts.join("");
};

const rings: Style = (prng, palette, width, height) => {
  const size = Math.min(width, height);
  const parts: string[] = [];
  const centres = prng.int(1, 3);
  for (let i = 0; i < centres; i++) {
    const cx = prng.range(0.15, 0.85) * width;
    const cy = prng.range(0.15, 0.85) * height;
    const count = prng.int(4, 9);
    const step = size * prng.range(0.03, 0.07);
    for (let j = 1; j <= count; j++) {
      parts.push(
        `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(j * step)}" fill="none" stroke="${toHex(prng.pick(palette.accents))}" ` +
          `stroke-width="${n(step * prng.range(0.08, 0.4))}" opacity="${prng.range(0.35, 0.85).toFixed(2)}"/>`,
      );
    }
  }
  return parts.join("");
};

const dots: Style = (prng, palette, width, height) => {
  const size = Math.min(width, height);
  const cell = size / prng.int(14, 26);
  const colour = toHex(prng.pick(palette.accents));
  const fx = prng.range(1, 4) / width;
  const fy = prng.range(1, 4) / height;
  const phase = prng.range(0, Math.PI * 2);
  const parts: string[] = [];
  for (let y = cell / 2; y < height; y += cell) {
    for (let x = cell / 2; x < width; x += cell) {
      const wave = (Math.sin(x * fx * Math.PI * 2 + phase) + Math.sin(y * fy * Math.PI * 2 - phase)) / 4 + 0.5;
      const r = cell * 0.42 * wave;
      if (r > cell * 0.05) parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${n(r)}"/>`);
    }
  }
  return `<g fill="${colour}" opacity="${prng.range(0.35, 0.6).toFixed(2)}">${parts.join("")}</g>`;
};

const STYLES = [ribbons, shards, rings, dots];

/** The composition as SVG; with `overlay` it has no opaque background, for laying over a forked image. */
export function compositionSvg(seed: string, paletteText: string, width: number, height: number, overlay: boolean): string {
  const prng = Prng.derive(seed, "image");
  const palette = paletteFor(paletteText, prng);
  const size = Math.min(width, height);
  const angle = prng.range(0, Math.PI * 2);
  const [bg0, bg1] = palette.background;
  const gx = Math.cos(angle) / 2;
  const gy = Math.sin(angle) / 2;

  // Soft orbs are radial gradients rather than blurred circles: the same look, without a full-canvas blur.
  const orbs: string[] = [];
  const orbGradients: string[] = [];
  const orbCount = prng.int(4, 8);
  for (let i = 0; i < orbCount; i++) {
    const colour = toHex(prng.pick(palette.accents));
    const opacity = prng.range(0.35, 0.75).toFixed(2);
    orbGradients.push(
      `<radialGradient id="orb${i}"><stop offset="0" stop-color="${colour}" stop-opacity="${opacity}"/>` +
        `<stop offset="0.55" stop-color="${colour}" stop-opacity="${(Number(opacity) * 0.6).toFixed(2)}"/>` +
        `<stop offset="1" stop-color="${colour}" stop-opacity="0"/></radialGradient>`,
    );
    orbs.push(
      `<circle cx="${n(prng.range(-0.1, 1.1) * width)}" cy="${n(prng.range(-0.1, 1.1) * height)}" ` +
        `r="${n(size * prng.range(0.18, 0.5))}" fill="url(#orb${i})"/>`,
    );
  }
  const first = prng.pick(STYLES);
  let second = prng.pick(STYLES);
  if (second === first) second = STYLES[(STYLES.indexOf(first) + 1) % STYLES.length] as Style;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<defs>",
    `<linearGradient id="bg" x1="${(0.5 - gx).toFixed(3)}" y1="${(0.5 - gy).toFixed(3)}" x2="${(0.5 + gx).toFixed(3)}" y2="${(0.5 + gy).toFixed(3)}">`,
    `<stop offset="0" stop-color="${toHex(bg0)}"/><stop offset="1" stop-color="${toHex(bg1)}"/></linearGradient>`,
    ...orbGradients,
    '<radialGradient id="vignette" cx="0.5" cy="0.5" r="0.75">',
    '<stop offset="0.55" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.45"/></radialGradient>',
    "</defs>",
    `<rect width="${width}" height="${height}" fill="url(#bg)" opacity="${overlay ? "0.6" : "1"}"/>`,
    ...orbs,
    first(prng, palette, width, height),
    second(prng, palette, width, height),
    overlay ? "" : `<rect width="${width}" height="${height}" fill="url(#vignette)"/>`,
    "</svg>",
  ].join("");
}

/** Decodes a forked image (first frame if animated) to exactly width×height, or explains why it can't. */
export async function decodeInputImage(input: GenerationInputFile, width: number, height: number): Promise<sharp.Sharp> {
  try {
    const probe = await sharp(input.bytes).metadata();
    if (!probe.width || !probe.height) throw new Error("no dimensions");
  } catch (error) {
    throw new LocalGenerationError(
      `input creation ${input.creationId} (${input.mediaType}) could not be read as an image: ${(error as Error).message}`,
    );
  }
  return sharp(input.bytes).rotate().resize(width, height, { fit: "cover", position: "attention" });
}

export function firstVisualInput(inputs: GenerationInputFile[]): GenerationInputFile | undefined {
  return inputs.find((input) => input.kind === "image" || input.kind === "video");
}

export interface ImageRequest {
  prompt: string;
  parameters: ImageParameters;
  inputs: GenerationInputFile[];
  seed: string;
}

export async function generateImage(request: ImageRequest, context: GenerationContext): Promise<GeneratedFile> {
  const { width, height } = request.parameters;
  const paletteText = `${request.prompt}\n${textOfInputs(request.inputs)}`;
  const source = firstVisualInput(request.inputs);
  await checkpoint(context, 0.1);

  let pipeline: sharp.Sharp;
  if (source) {
    const hueShift = Math.round(Prng.derive(request.seed, "recolour").range(-60, 60));
    const base = await (await decodeInputImage(source, width, height))
      .modulate({ hue: hueShift, saturation: 1.15 })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    await checkpoint(context, 0.4);
    const overlay = Buffer.from(compositionSvg(request.seed, paletteText, width, height, true));
    pipeline = sharp(base.data, { raw: { width, height, channels: 3 } }).composite([{ input: overlay, blend: "soft-light" }]);
  } else {
    pipeline = sharp(Buffer.from(compositionSvg(request.seed, paletteText, width, height, false)));
  }

  const png = await pipeline
    .withExif(exifFor(request.seed))
    .withXmp(xmpPacket(request.prompt, request.seed))
    .png({ compressionLevel: 9 })
    .toBuffer();
  await checkpoint(context, 1);

  return {
    bytes: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
    mediaType: "image/png",
    filename: fileNameFor(request.prompt, "png"),
    metadata: provenance(request.seed, { width, height, ...(source ? { forked_from: source.creationId } : {}) }),
  };
}
