import { describe, expect, test } from "vitest";
import { decodeCursor, encodeCursor, pageOf } from "../src/store/pagination.js";
import { canonicalJson, decryptReply, encryptReply } from "../src/idempotency.js";
import { newAccountId, newApiKeyId, sortableId } from "../src/ids.js";
import { ApiError } from "../src/problems.js";
import { apiKeyPrefix, generateApiKey, hashApiKey, sameHash } from "../src/security/apiKeys.js";
import { hashPassword, verifyPassword } from "../src/security/passwords.js";

describe("ids", () => {
  test("are prefixed, 26 lowercase Crockford characters, and sort by creation", () => {
    expect(newAccountId()).toMatch(/^acc_[0-9a-z]{26}$/);
    expect(newApiKeyId()).toMatch(/^key_[0-9a-z]{26}$/);
    const ids = Array.from({ length: 2000 }, () => sortableId());
    expect([...ids].sort()).toEqual(ids); // strictly increasing even within one millisecond
    expect(new Set(ids).size).toBe(ids.length);
    // The first 10 characters are the creation time in milliseconds.
    const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    const time = [...sortableId().slice(0, 10)].reduce((t, c) => t * 32 + alphabet.indexOf(c), 0);
    expect(Math.abs(time - Date.now())).toBeLessThan(1000);
    for (const id of ids.slice(0, 50)) expect(id).not.toMatch(/[ilou]/);
  });
});

describe("passwords", () => {
  test("hash with a fresh salt and verify", async () => {
    const a = await hashPassword("correct horse battery staple");
    const b = await hashPassword("correct horse battery staple");
    expect(a).not.toBe(b);
    expect(a.split("$").slice(0, 4)).toEqual(["scrypt", "32768", "8", "1"]);
    expect(await verifyPassword("correct horse battery staple", a)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", a)).toBe(false);
    expect(await verifyPassword("anything", "not a hash")).toBe(false);
  });
});

describe("API keys", () => {
  test("look like oto_<prefix>_<secret> and are matched by hash", () => {
    const key = generateApiKey();
    expect(key.secret).toMatch(/^oto_[0-9a-z]{8}_[0-9A-Za-z]{32}$/);
    expect(apiKeyPrefix(key.secret)).toBe(key.prefix);
    expect(apiKeyPrefix(`${key.secret}x`)).toBeUndefined();
    expect(apiKeyPrefix("oto_ABCDEFGH_0123456789abcdef0123456789abcdef")).toBeUndefined();
    expect(sameHash(hashApiKey(key.secret), key.hash)).toBe(true);
    expect(sameHash(hashApiKey(`${key.secret.slice(0, -1)}x`), key.hash)).toBe(false);
    expect(sameHash("abcd", key.hash)).toBe(false);
  });
});

describe("cursors", () => {
  test("round-trip and refuse anything else", () => {
    const row = { created_at: new Date("2026-11-26T10:00:00.123Z"), id: newApiKeyId() };
    const KEY_ID = /^key_[0-9a-z]{26}$/;
    expect(decodeCursor(encodeCursor(row), KEY_ID)).toEqual({ createdAt: row.created_at, id: row.id });
    expect(decodeCursor(undefined, KEY_ID)).toBeUndefined();
    for (const bad of ["", "abc", Buffer.from("2026-01-01|acc_1").toString("base64url"), Buffer.from("x|key_00000000000000000000000000").toString("base64url")]) {
      expect(() => decodeCursor(bad, KEY_ID)).toThrow(ApiError);
    }
    // A cursor of another list (an agent id) is not a key cursor.
    const agentCursor = encodeCursor({ created_at: row.created_at, id: "ag_00000000000000000000000000" });
    expect(() => decodeCursor(agentCursor, KEY_ID)).toThrow(ApiError);
  });

  test("a page keeps limit rows and points after the last one only when more follow", () => {
    const rows = [3, 2, 1].map((n) => ({ created_at: new Date(Date.UTC(2026, 0, n)), id: `key_${String(n).padStart(26, "0")}` }));
    const full = pageOf(rows, 2, (r) => r.id);
    expect(full.data).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(decodeCursor(full.next_cursor!, /^key_/)).toEqual({ createdAt: rows[1]!.created_at, id: rows[1]!.id });
    expect(pageOf(rows, 3, (r) => r.id).next_cursor).toBeNull();
  });
});

describe("idempotency helpers", () => {
  test("canonical JSON ignores key order and undefined fields", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], c: undefined })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson({ a: "1" })).not.toBe(canonicalJson({ a: 1 }));
  });

  test("replies are sealed with AES-GCM under the raw key, bound to their row", () => {
    const sealed = encryptReply("raw-key", "row-1", '{"secret":"s3cr3t"}');
    expect(sealed).not.toContain("s3cr3t");
    expect(encryptReply("raw-key", "row-1", '{"secret":"s3cr3t"}')).not.toBe(sealed); // fresh IV
    expect(decryptReply("raw-key", "row-1", sealed)).toBe('{"secret":"s3cr3t"}');
    expect(() => decryptReply("raw-key", "row-2", sealed)).toThrow();
    expect(() => decryptReply("other-key", "row-1", sealed)).toThrow();
    const tampered = Buffer.from(sealed, "base64");
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptReply("raw-key", "row-1", tampered.toString("base64"))).toThrow();
  });
});
