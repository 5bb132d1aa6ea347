// Determinism for the local generator: one sha256 over a canonical form of the request becomes the seed of a
// small PRNG, so the same (kind, prompt, parameters, inputs) always yields the same bytes.
import { createHash } from "node:crypto";
import type { OutputKind } from "../provider.js";

export interface SeedSource {
  kind: OutputKind;
  prompt: string;
  /** Already normalised (defaults applied, clamped), so `{}` and `{ width: 768 }` give the same seed. */
  parameters: Record<string, number | string | boolean | null>;
  inputs: { kind: OutputKind; mediaType: string; bytes: Uint8Array }[];
}

/** Bump when the generator's output for a given request changes, so old and new seeds never collide. */
const SEED_VERSION = 1;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function sortedEntries(record: Record<string, unknown>): [string, unknown][] {
  return Object.keys(record)
    .sort()
    .map((key) => [key, record[key]]);
}

/** The request's seed as 64 hex characters. */
export function requestSeed(source: SeedSource): string {
  const canonical = JSON.stringify({
    v: SEED_VERSION,
    kind: source.kind,
    prompt: source.prompt,
    parameters: sortedEntries(source.parameters),
    inputs: source.inputs.map((input) => ({
      kind: input.kind,
      mediaType: input.mediaType,
      sha256: sha256Hex(input.bytes),
    })),
  });
  return sha256Hex(canonical);
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, good statistical quality,
 * and only 32-bit integer arithmetic, so it behaves identically on every platform.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedHex: string) {
    const word = (index: number): number => Number.parseInt(seedHex.slice(index * 8, index * 8 + 8).padEnd(8, "0"), 16) | 0;
    this.a = word(0);
    this.b = word(1);
    this.c = word(2);
    this.d = word(3) | 1;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** Derives an independent stream, e.g. one for colours and one for shapes. */
  static derive(seedHex: string, label: string): Prng {
    return new Prng(sha256Hex(`${seedHex}:${label}`));
  }

  nextUint32(): number {
    this.a |= 0;
    this.b |= 0;
    this.c |= 0;
    this.d |= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Prng.pick needs at least one item");
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
