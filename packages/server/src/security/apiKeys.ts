import { createHash, randomInt, timingSafeEqual } from "node:crypto";

// API keys look like oto_<prefix>_<secret>: an 8-character public prefix ([0-9a-z]) used to find
// the key, then 32 random characters ([0-9A-Za-z], about 190 bits). Only sha256(key) is stored.
const PREFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const SECRET_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_FORMAT = /^oto_([0-9a-z]{8})_[0-9A-Za-z]{32}$/;

function randomString(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export interface NewApiKey {
  prefix: string;
  secret: string; // the whole key, shown once
  hash: string;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(): NewApiKey {
  const prefix = randomString(PREFIX_ALPHABET, 8);
  const secret = `oto_${prefix}_${randomString(SECRET_ALPHABET, 32)}`;
  return { prefix, secret, hash: hashApiKey(secret) };
}

/** The prefix of a well-formed key, or undefined. */
export function apiKeyPrefix(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

/** Constant-time comparison of two hex sha256 digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
