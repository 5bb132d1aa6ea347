import type { Db } from "./db/types.js";
import { ApiError } from "./problems.js";
import { apiKeyPrefix, hashApiKey, sameHash } from "./security/apiKeys.js";
import { findKeyByPrefix, touchApiKey } from "./store/apiKeys.js";
import type { Account } from "@oto/sdk/schema";
import { type AccountRow, toAccount } from "./store/rows.js";

export interface AuthContext {
  account: AccountRow;
  /** The account as the API shows it (made once per verification, not per request). */
  view: Account;
  keyId: string;
}

interface CacheEntry {
  auth: AuthContext;
  expiresAt: number;
}

/**
 * Checks `Authorization: Bearer <key>`.
 *
 * Verified keys are cached in this process for CACHE_TTL_MS, keyed by sha256 of the presented key,
 * so that hot authenticated routes (GET /v1/me) skip the database. A revocation made through this
 * process drops the entry at once (forgetKey); one made through another process sharing the
 * database is seen here within CACHE_TTL_MS (2 s) at most.
 */
export class Authenticator {
  static readonly CACHE_TTL_MS = 2_000;
  static readonly CACHE_MAX_ENTRIES = 10_000;
  static readonly TOUCH_INTERVAL_MS = 60_000;

  private readonly cache = new Map<string, CacheEntry>();
  /** key id -> when last_used_at was last written (ms) */
  private readonly lastTouch = new Map<string, number>();
  /** key id -> until when it must not be cached (recently revoked here) */
  private readonly revoked = new Map<string, number>();

  constructor(private readonly db: Db) {}

  async authenticate(authorization: string | undefined): Promise<AuthContext> {
    if (authorization === undefined || authorization.trim() === "") {
      throw new ApiError(401, "missing_api_key", "Send an API key in the Authorization header: Bearer oto_….", {
        headers: { "www-authenticate": 'Bearer realm="oto"' },
      });
    }
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    const key = match?.[1];
    const prefix = key === undefined ? undefined : apiKeyPrefix(key);
    if (key === undefined || prefix === undefined) {
      throw invalidKey();
    }
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) {
      await this.touch(cached.auth.keyId, now, undefined);
      return cached.auth;
    }
    this.cache.delete(hash);

    const found = await findKeyByPrefix(this.db, prefix);
    if (!found || !sameHash(found.secret_hash, hash) || found.revoked_at !== null) {
      throw invalidKey();
    }
    const auth: AuthContext = { account: found.account, view: toAccount(found.account), keyId: found.key_id };
    this.remember(hash, auth, now);
    await this.touch(found.key_id, now, found.last_used_at);
    return auth;
  }

  /**
   * For operations open to anonymous callers: null without an Authorization header, otherwise the same
   * checks as authenticate() (a bad or revoked key is refused, never silently treated as anonymous).
   */
  async authenticateOptional(authorization: string | undefined): Promise<AuthContext | null> {
    return authorization === undefined ? null : this.authenticate(authorization);
  }

  /** Drops the cached verification of a key (call when it is revoked). */
  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.cache) {
      if (entry.auth.keyId === keyId) this.cache.delete(hash);
    }
    // A request that read the key just before the revocation must not cache it again afterwards.
    const now = Date.now();
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
    this.revoked.set(keyId, now + Authenticator.CACHE_TTL_MS);
  }

  private remember(hash: string, auth: AuthContext, now: number): void {
    const revokedUntil = this.revoked.get(auth.keyId);
    if (revokedUntil !== undefined) {
      if (revokedUntil > now) return;
      this.revoked.delete(auth.keyId);
    }
    if (this.cache.size >= Authenticator.CACHE_MAX_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(hash, { auth, expiresAt: now + Authenticator.CACHE_TTL_MS });
  }

  /** Writes last_used_at at most once a minute per key. */
  private async touch(keyId: string, now: number, lastUsedAt: Date | null | undefined): Promise<void> {
    let last = this.lastTouch.get(keyId);
    if (last === undefined && lastUsedAt) last = lastUsedAt.getTime();
    if (last !== undefined && now - last < Authenticator.TOUCH_INTERVAL_MS) {
      this.lastTouch.set(keyId, last);
      return;
    }
    this.lastTouch.set(keyId, now);
    if (this.lastTouch.size > Authenticator.CACHE_MAX_ENTRIES) {
      const oldest = this.lastTouch.keys().next().value;
      if (oldest !== undefined) this.lastTouch.delete(oldest);
    }
    await touchApiKey(this.db, keyId, new Date(now));
  }
}

function invalidKey(): ApiError {
  return new ApiError(401, "invalid_api_key", "The API key is unknown or has been revoked.", {
    headers: { "www-authenticate": 'Bearer realm="oto", error="invalid_token"' },
  });
}
