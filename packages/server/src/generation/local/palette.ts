// Colours for the image and video generators, derived from the prompt: colour words ("red", "ocean", "sunset")
// pick the base hue, the seed picks the harmony and the exact shades.
import type { Prng } from "./seed.js";

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Hue in degrees for words that suggest a colour. */
const HUE_WORDS: Record<string, number> = {
  red: 2, crimson: 350, scarlet: 5, ruby: 345, fire: 12, flame: 15, blood: 0, cherry: 348, rose: 340,
  orange: 28, amber: 38, autumn: 25, rust: 18, copper: 22, sunset: 20, peach: 24, coral: 12,
  yellow: 52, gold: 46, golden: 46, sun: 48, sunny: 48, lemon: 56, honey: 42, sand: 40, desert: 36,
  green: 125, forest: 135, leaf: 110, grass: 100, moss: 90, lime: 85, jungle: 140, emerald: 145, spring: 100,
  teal: 175, mint: 160, jade: 158, turquoise: 178, cyan: 186, aqua: 184,
  blue: 218, ocean: 205, sea: 200, sky: 205, water: 200, river: 195, ice: 195, winter: 210, azure: 210, navy: 228,
  indigo: 250, night: 238, midnight: 240, space: 250, storm: 225, rain: 215,
  purple: 275, violet: 270, lavender: 265, plum: 290, amethyst: 280, dusk: 285, dream: 290,
  pink: 330, magenta: 312, fuchsia: 318, blossom: 335, candy: 325,
};

const NEUTRAL_WORDS = new Set(["black", "white", "grey", "gray", "silver", "monochrome", "mono", "noir", "fog", "mist"]);

export function hueFromText(text: string, prng: Prng): number {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  const hues = words.map((word) => HUE_WORDS[word]).filter((hue): hue is number => hue !== undefined);
  if (hues.length > 0) return hues[0] as number;
  return prng.range(0, 360);
}

function isMuted(text: string): boolean {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  return words.some((word) => NEUTRAL_WORDS.has(word));
}

export function hslToRgb(hueDegrees: number, saturation: number, lightness: number): Rgb {
  const h = (((hueDegrees % 360) + 360) % 360) / 360;
  const s = Math.min(1, Math.max(0, saturation));
  const l = Math.min(1, Math.max(0, lightness));
  const channel = (offset: number): number => {
    const t = (((h + offset) % 1) + 1) % 1;
    const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
    const p = 2 * l - q;
    let value: number;
    if (t < 1 / 6) value = p + (q - p) * 6 * t;
    else if (t < 1 / 2) value = q;
    else if (t < 2 / 3) value = p + (q - p) * (2 / 3 - t) * 6;
    else value = p;
    return Math.round(value * 255);
  };
  return { r: channel(1 / 3), g: channel(0), b: channel(-1 / 3) };
}

export function toHex({ r, g, b }: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

export interface Palette {
  /** Two dark-to-mid background shades. */
  background: [Rgb, Rgb];
  /** Five accent colours for shapes. */
  accents: Rgb[];
  baseHue: number;
}

export function paletteFor(text: string, prng: Prng): Palette {
  const baseHue = hueFromText(text, prng);
  const muted = isMuted(text);
  const harmony = prng.pick([
    [0, 40, -40], // analogous
    [0, 180, 200], // complementary
    [0, 120, 240], // triadic
    [0, 150, 210], // split complementary
  ]);
  const saturation = muted ? 0.08 : prng.range(0.55, 0.85);
  const dark = prng.chance(0.6);
  // The prompt's hue dominates: both background shades and three of five accents stay near it; the harmony
  // only supplies the two contrasting accents.
  const background: [Rgb, Rgb] = [
    hslToRgb(baseHue + prng.range(-12, 12), saturation * 0.8, dark ? prng.range(0.08, 0.16) : prng.range(0.78, 0.88)),
    hslToRgb(baseHue + prng.range(-35, 35), saturation * 0.9, dark ? prng.range(0.22, 0.34) : prng.range(0.6, 0.72)),
  ];
  const offsets = [0, prng.range(-20, 20), harmony[1]!, prng.range(-30, 30), harmony[2]!];
  const accents = offsets.map((offset) =>
    hslToRgb(baseHue + offset + prng.range(-8, 8), saturation + prng.range(0, 0.1), prng.range(0.45, 0.7)),
  );
  return { background, accents, baseHue };
}
