import { randomBytes } from "node:crypto";

// Lowercase Crockford base32: 10 characters of millisecond time, then 16 of randomness (like a ULID).
// Ids made later sort after earlier ones; within one millisecond the random part counts up so that
// ids made by this process stay strictly increasing.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = -1;
let lastRandom: number[] = [];

// Random bytes are drawn in batches: one randomBytes call per 256 ids instead of one per id.
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomDigits(): number[] {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(16 * 256);
    poolOffset = 0;
  }
  const digits = Array.from(pool.subarray(poolOffset, poolOffset + 16), (b) => b & 31);
  poolOffset += 16;
  return digits;
}

function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return randomDigits(); // overflow after 2^80 ids in one millisecond: cannot happen in practice
}

/** 26 characters of [0-9a-z], time-sortable. */
export function sortableId(now: number = Date.now()): string {
  let random: number[];
  if (now <= lastTime) {
    random = increment(lastRandom);
    now = lastTime;
  } else {
    random = randomDigits();
    lastTime = now;
  }
  lastRandom = random;
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time + random.map((d) => ALPHABET[d]).join("");
}

export const newAccountId = () => `acc_${sortableId()}`;
export const newApiKeyId = () => `key_${sortableId()}`;
export const newRequestId = () => `req_${sortableId()}`;
