// Voice: a "voice-like" formant synthesis. The prompt's letters become syllables (consonant onset + vowel),
// each sung on a note of a seeded pentatonic melody with speech-like envelopes, glides and vibrato; vowels are
// shaped by three formants. It is a procedural placeholder, not speech and not AI; the WAV's INFO chunk says so.
import type { GeneratedFile, GenerationInputFile } from "../provider.js";
import { Prng } from "./seed.js";
import {
  NOTICE,
  SOFTWARE,
  checkpoint,
  fileNameFor,
  provenance,
  readNumber,
  textOfInputs,
  type GenerationContext,
} from "./shared.js";
import { decodeWav, encodeWav } from "./wav.js";

export const SAMPLE_RATE = 22050;

export interface VoiceParameters {
  duration_s: number;
}

export function normalizeVoiceParameters(parameters: Record<string, unknown>): VoiceParameters {
  return { duration_s: readNumber(parameters, "duration_s", { default: 4, min: 1, max: 30 }) };
}

type Formants = [number, number, number];
type Onset = "fricative" | "plosive" | "sonorant" | "none";

/** Rough formant frequencies (Hz) of five vowels. */
const VOWELS: Record<string, Formants> = {
  a: [800, 1200, 2500],
  e: [500, 1850, 2500],
  i: [300, 2250, 3000],
  o: [500, 900, 2400],
  u: [350, 800, 2300],
};
const BANDWIDTHS: Formants = [90, 110, 170];
const FORMANT_GAINS: Formants = [1, 0.65, 0.3];

function onsetOf(letter: string | undefined): Onset {
  if (!letter) return "none";
  if ("sfzvhcxj".includes(letter)) return "fricative";
  if ("ptkbdgq".includes(letter)) return "plosive";
  return "sonorant";
}

interface Syllable {
  onset: Onset;
  vowel: Formants;
  wordStart: boolean;
  phraseEnd: boolean;
  question: boolean;
  weight: number;
}

/** Letters of any script become a-z, so every prompt has something to "say". */
function latinize(word: string): string {
  let out = "";
  for (const char of word.normalize("NFKD").toLowerCase()) {
    if (char >= "a" && char <= "z") out += char;
    else if (/\p{L}|\p{N}/u.test(char)) out += String.fromCharCode(97 + ((char.codePointAt(0) ?? 0) % 26));
  }
  return out;
}

function syllablesOf(text: string): Syllable[] {
  const syllables: Syllable[] = [];
  const phrases = text.split(/(?<=[.!?;:\n])/);
  for (const phrase of phrases) {
    const words = phrase.split(/\s+/).map(latinize).filter(Boolean);
    const question = phrase.trim().endsWith("?");
    for (const word of words) {
      const parts = word.match(/[^aeiouy]*[aeiouy]+/g) ?? [`${word}a`];
      parts.forEach((part, index) => {
        const nucleus = part.replace(/^[^aeiouy]*/, "");
        const vowel = VOWELS[nucleus.replace("y", "i").charAt(0)] ?? VOWELS.a!;
        syllables.push({
          onset: onsetOf(part.charAt(0) === nucleus.charAt(0) ? undefined : part.charAt(0)),
          vowel,
          wordStart: index === 0,
          phraseEnd: false,
          question: false,
          weight: [...part].reduce((sum, c) => sum + c.charCodeAt(0), 0),
        });
      });
    }
    const last = syllables[syllables.length - 1];
    if (last && words.length > 0) {
      last.phraseEnd = true;
      last.question = question;
    }
  }
  return syllables;
}

/** Per-sample control tracks, filled syllable by syllable. */
interface Tracks {
  pitch: Float32Array;
  voiced: Float32Array;
  noise: Float32Array;
  f1: Float32Array;
  f2: Float32Array;
  f3: Float32Array;
}

function raisedCosine(position: number, attack: number, release: number, length: number): number {
  if (position < attack) return 0.5 - 0.5 * Math.cos((Math.PI * position) / attack);
  if (position > length - release) return 0.5 - 0.5 * Math.cos((Math.PI * (length - position)) / release);
  return 1;
}

function planTracks(text: string, total: number, prng: Prng): Tracks {
  const tracks: Tracks = {
    pitch: new Float32Array(total),
    voiced: new Float32Array(total),
    noise: new Float32Array(total),
    f1: new Float32Array(total),
    f2: new Float32Array(total),
    f3: new Float32Array(total),
  };
  let syllables = syllablesOf(text);
  if (syllables.length === 0) {
    syllables = Array.from({ length: 8 }, (_, i) => ({
      onset: prng.pick<Onset>(["fricative", "plosive", "sonorant", "none"]),
      vowel: prng.pick(Object.values(VOWELS)),
      wordStart: i % 2 === 0,
      phraseEnd: i === 7,
      question: false,
      weight: prng.int(0, 999),
    }));
  }
  const base = prng.range(110, 220);
  const scale = [0, 2, 4, 7, 9, 12];
  const end = total - Math.round(0.12 * SAMPLE_RATE);
  let cursor = Math.round(0.1 * SAMPLE_RATE);
  let formants: Formants = syllables[0]!.vowel;
  let phraseIndex = 0;
  let index = 0;

  tracks.pitch[0] = base;
  [tracks.f1[0], tracks.f2[0], tracks.f3[0]] = formants;
  while (cursor < end) {
    const syllable = syllables[index % syllables.length]!;
    index++;
    if (syllable.wordStart && index > 1) cursor += Math.round(prng.range(0.04, 0.1) * SAMPLE_RATE);
    let onsetLength = 0;
    if (syllable.onset === "fricative") onsetLength = Math.round(prng.range(0.05, 0.08) * SAMPLE_RATE);
    else if (syllable.onset === "plosive") onsetLength = Math.round(0.035 * SAMPLE_RATE);
    else if (syllable.onset === "sonorant") onsetLength = Math.round(0.03 * SAMPLE_RATE);
    const stress = syllable.wordStart ? 1.25 : 1;
    const vowelLength = Math.round(prng.range(0.11, 0.2) * stress * SAMPLE_RATE);
    if (cursor + onsetLength + vowelLength > end) break;

    const degree = scale[(syllable.weight + prng.int(0, 5)) % scale.length]!;
    const declination = -2.5 * Math.min(1, phraseIndex / 8);
    const lift = syllable.phraseEnd && syllable.question ? 5 : syllable.phraseEnd ? -2 : 0;
    const pitch = base * 2 ** ((degree + declination + lift) / 12);

    for (let i = 0; i < onsetLength; i++) {
      const at = cursor + i;
      if (syllable.onset === "fricative") tracks.noise[at] = 0.35 * raisedCosine(i, onsetLength * 0.3, onsetLength * 0.3, onsetLength);
      else if (syllable.onset === "plosive" && i > onsetLength * 0.6) tracks.noise[at] = 0.6 * (1 - (i - onsetLength * 0.6) / (onsetLength * 0.4));
      else if (syllable.onset === "sonorant") tracks.voiced[at] = 0.35 * (i / onsetLength);
      tracks.pitch[at] = pitch;
      tracks.f1[at] = syllable.onset === "sonorant" ? 260 : formants[0];
      tracks.f2[at] = formants[1];
      tracks.f3[at] = formants[2];
    }
    cursor += onsetLength;
    formants = syllable.vowel;
    for (let i = 0; i < vowelLength; i++) {
      const at = cursor + i;
      tracks.voiced[at] = stress * 0.8 * raisedCosine(i, 0.02 * SAMPLE_RATE, 0.05 * SAMPLE_RATE, vowelLength);
      tracks.pitch[at] = pitch;
      [tracks.f1[at], tracks.f2[at], tracks.f3[at]] = formants;
    }
    cursor += vowelLength;
    phraseIndex++;
    if (syllable.phraseEnd) {
      cursor += Math.round(prng.range(0.22, 0.38) * SAMPLE_RATE);
      phraseIndex = 0;
    }
  }
  // Silent stretches keep the last pitch and vowel, so glides start from where the voice stopped.
  for (let i = 1; i < total; i++) {
    if (tracks.pitch[i] === 0) tracks.pitch[i] = tracks.pitch[i - 1]!;
    if (tracks.f1[i] === 0) {
      tracks.f1[i] = tracks.f1[i - 1]!;
      tracks.f2[i] = tracks.f2[i - 1]!;
      tracks.f3[i] = tracks.f3[i - 1]!;
    }
  }
  return tracks;
}

function formantGain(frequency: number, f1: number, f2: number, f3: number): number {
  const peak = (centre: number, bandwidth: number, gain: number): number => gain / (1 + ((frequency - centre) / bandwidth) ** 2);
  return peak(f1, BANDWIDTHS[0], FORMANT_GAINS[0]) + peak(f2, BANDWIDTHS[1], FORMANT_GAINS[1]) + peak(f3, BANDWIDTHS[2], FORMANT_GAINS[2]);
}

async function synthesize(tracks: Tracks, total: number, prng: Prng, context: GenerationContext): Promise<Float32Array> {
  const out = new Float32Array(total);
  const maxHarmonics = 48;
  const amplitudes = new Float32Array(maxHarmonics + 1);
  const glide = 1 - Math.exp(-1 / (0.03 * SAMPLE_RATE));
  const envelopeGlide = 1 - Math.exp(-1 / (0.004 * SAMPLE_RATE));
  let pitch = tracks.pitch[0]!;
  let f1 = tracks.f1[0]!;
  let f2 = tracks.f2[0]!;
  let f3 = tracks.f3[0]!;
  let voiced = 0;
  let noise = 0;
  let phase = 0;
  let previousWhite = 0;
  let harmonics = 0;
  const block = 64;
  const chunk = SAMPLE_RATE;

  for (let start = 0; start < total; start += chunk) {
    const stop = Math.min(total, start + chunk);
    for (let i = start; i < stop; i++) {
      pitch += (tracks.pitch[i]! - pitch) * glide;
      f1 += (tracks.f1[i]! - f1) * glide;
      f2 += (tracks.f2[i]! - f2) * glide;
      f3 += (tracks.f3[i]! - f3) * glide;
      voiced += (tracks.voiced[i]! - voiced) * envelopeGlide;
      noise += (tracks.noise[i]! - noise) * envelopeGlide;

      const vibrato = 1 + 0.012 * Math.sin((2 * Math.PI * 5.3 * i) / SAMPLE_RATE);
      const f0 = pitch * vibrato;
      if (i % block === 0) {
        harmonics = Math.min(maxHarmonics, Math.floor(3800 / f0));
        for (let k = 1; k <= harmonics; k++) amplitudes[k] = formantGain(k * f0, f1, f2, f3) / Math.sqrt(k);
      }
      phase += (2 * Math.PI * f0) / SAMPLE_RATE;
      if (phase > 2 * Math.PI) phase -= 2 * Math.PI;

      let sample = 0;
      if (voiced > 1e-4) {
        // sin(kθ) by the Chebyshev recurrence: one sin and one cos per sample instead of one per harmonic.
        const twoCos = 2 * Math.cos(phase);
        let previous = 0;
        let current = Math.sin(phase);
        for (let k = 1; k <= harmonics; k++) {
          sample += amplitudes[k]! * current;
          const next = twoCos * current - previous;
          previous = current;
          current = next;
        }
        sample *= voiced * 0.5;
      }
      const white = prng.next() * 2 - 1;
      // A first difference tilts white noise towards the hiss of "s" and "f"; a little breath rides on vowels.
      sample += noise * (white - previousWhite) * 0.5 + voiced * 0.015 * white;
      previousWhite = white;
      out[i] = sample;
    }
    await checkpoint(context, 0.1 + (0.8 * stop) / total);
  }
  return out;
}

/** Resamples a forked voice to our rate and lays it quietly under the new one, fading out at the end. */
function mixInput(out: Float32Array, input: Float32Array, inputRate: number): void {
  const ratio = inputRate / SAMPLE_RATE;
  const fade = Math.round(0.3 * SAMPLE_RATE);
  for (let i = 0; i < out.length; i++) {
    const position = i * ratio;
    const left = Math.floor(position);
    if (left + 1 >= input.length) break;
    const fraction = position - left;
    const value = input[left]! * (1 - fraction) + input[left + 1]! * fraction;
    const gain = 0.6 * Math.min(1, (out.length - i) / fade);
    out[i] = out[i]! + value * gain;
  }
}

export interface VoiceRequest {
  prompt: string;
  parameters: VoiceParameters;
  inputs: GenerationInputFile[];
  seed: string;
}

export async function generateVoice(request: VoiceRequest, context: GenerationContext): Promise<GeneratedFile> {
  const total = Math.round(request.parameters.duration_s * SAMPLE_RATE);
  const prng = Prng.derive(request.seed, "voice");
  const text = `${request.prompt}\n${textOfInputs(request.inputs)}`;
  const tracks = planTracks(text, total, prng);
  await checkpoint(context, 0.1);
  const mix = await synthesize(tracks, total, prng, context);

  const forked = request.inputs.find((input) => input.kind === "voice");
  const decoded = forked ? decodeWav(forked.bytes) : undefined;
  if (decoded) mixInput(mix, decoded.samples, decoded.sampleRate);

  let peak = 0;
  for (const value of mix) peak = Math.max(peak, Math.abs(value));
  const scale = peak > 0 ? 0.89 / peak : 0;
  const fadeOut = Math.round(0.02 * SAMPLE_RATE);
  const pcm = new Int16Array(total);
  for (let i = 0; i < total; i++) {
    const edge = Math.min(1, i / fadeOut, (total - 1 - i) / fadeOut);
    pcm[i] = Math.round(Math.max(-1, Math.min(1, mix[i]! * scale * edge)) * 32767);
  }
  const bytes = encodeWav(pcm, SAMPLE_RATE, {
    title: request.prompt.slice(0, 200),
    comment: `${NOTICE} Seed ${request.seed}.`,
    software: SOFTWARE,
  });
  await checkpoint(context, 1);

  const extra: Record<string, string | number> = { duration_s: total / SAMPLE_RATE, sample_rate: SAMPLE_RATE };
  if (forked) extra[decoded ? "forked_from" : "input_unused"] = forked.creationId;
  return { bytes, mediaType: "audio/wav", filename: fileNameFor(request.prompt, "wav"), metadata: provenance(request.seed, extra) };
}
