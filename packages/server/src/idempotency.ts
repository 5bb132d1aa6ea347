import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from "fastify";
import type { Db } from "./db/types.js";
import { ApiError } from "./problems.js";

/**
 * Idempotency-Key support for POST operations.
 *
 * The row is keyed by sha256(operation id, account id or "anon", raw key); the raw key is never
 * stored. The first request claims the row atomically (INSERT … ON CONFLICT), so of two concurrent
 * requests with the same key exactly one runs; the other answers 409 idempotency_key_in_progress.
 * When the first one has answered, its status and body are stored (the body encrypted with
 * AES-256-GCM under a key derived with HKDF from the raw idempotency key) and replayed for 24 h to
 * the same request, with Idempotent-Replayed: true. A different request with the same key answers
 * 409 idempotency_key_reused. A 5xx answer releases the claim so that the request can be retried;
 * 4xx answers are stored like successes.
 *
 * If the process dies between running a request and storing its answer, the claim stays
 * in progress until it expires: better a 409 than running a paid operation twice.
 */

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
const HKDF_INFO = "oto idempotency reply v1";

interface Claim {
  keyHash: string;
  rawKey: string;
}

const claimOf = Symbol("oto.idempotencyClaim");
type WithClaim = FastifyRequest & { [claimOf]?: Claim };

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** JSON with object keys sorted, so that equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function replyKey(rawKey: string, keyHash: string): Buffer {
  return Buffer.from(hkdfSync("sha256", rawKey, keyHash, HKDF_INFO, 32));
}

export function encryptReply(rawKey: string, keyHash: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", replyKey(rawKey, keyHash), iv);
  cipher.setAAD(Buffer.from(keyHash));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64");
}

export function decryptReply(rawKey: string, keyHash: string, stored: string): string {
  const data = Buffer.from(stored, "base64");
  const decipher = createDecipheriv("aes-256-gcm", replyKey(rawKey, keyHash), data.subarray(0, 12));
  decipher.setAAD(Buffer.from(keyHash));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString("utf8");
}

interface StoredRow {
  request_hash: string;
  state: "in_progress" | "done";
  status_code: number | null;
  content_type: string | null;
  response_body: string | null;
  location: string | null;
}

export class Idempotency {
  private readonly timer: NodeJS.Timeout;
  private cleaning: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: { error(obj: object, msg: string): void },
  ) {
    this.timer = setInterval(() => this.cleanup(), CLEANUP_INTERVAL_MS);
    this.timer.unref();
    this.cleanup();
  }

  /** Deletes expired rows (also done every 10 minutes). */
  cleanup(): Promise<void> {
    this.cleaning = this.cleaning
      .then(() => this.db.query("DELETE FROM idempotency_keys WHERE expires_at < now()"))
      .then(
        () => undefined,
        (err: unknown) => this.log.error({ err }, "could not delete expired idempotency keys"),
      );
    return this.cleaning;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.cleaning;
  }

  /** Hooks for one POST operation: claim or replay before the handler, store the answer after it. */
  hooks(
    operationId: string,
    accountIdOf: (request: FastifyRequest) => string | undefined,
  ): { preHandler: preHandlerAsyncHookHandler; onSend: onSendAsyncHookHandler } {
    const preHandler: preHandlerAsyncHookHandler = async (request, reply) => {
      const rawKey = request.headers["idempotency-key"];
      if (typeof rawKey !== "string") return;
      const scope = `${operationId}\n${accountIdOf(request) ?? "anon"}`;
      const keyHash = sha256(`${scope}\n${rawKey}`);
      const requestHash = sha256(canonicalJson({ params: request.params, query: request.query, body: request.body }));

      for (let attempt = 0; attempt < 3; attempt++) {
        if (await this.claim(keyHash, requestHash)) {
          (request as WithClaim)[claimOf] = { keyHash, rawKey };
          return;
        }
        const rows = await this.db.query<StoredRow>(
          `SELECT request_hash, state, status_code, content_type, response_body, location
             FROM idempotency_keys WHERE key_hash = $1 AND expires_at > now()`,
          [keyHash],
        );
        const existing = rows[0];
        if (!existing) continue; // expired or released meanwhile: claim again
        if (existing.request_hash !== requestHash) {
          throw new ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request; use a new key.",
          );
        }
        if (existing.state === "in_progress") break;
        return replay(reply, existing, rawKey, keyHash);
      }
      throw new ApiError(
        409,
        "idempotency_key_in_progress",
        "A request with this Idempotency-Key is still running; retry when it has finished.",
      );
    };

    const onSend: onSendAsyncHookHandler = async (request, reply, payload) => {
      const claim = (request as WithClaim)[claimOf];
      if (!claim) return payload;
      (request as WithClaim)[claimOf] = undefined;
      try {
        if (reply.statusCode >= 500 || typeof payload !== "string") {
          await this.db.query("DELETE FROM idempotency_keys WHERE key_hash = $1 AND state = 'in_progress'", [
            claim.keyHash,
          ]);
        } else {
          await this.db.query(
            `UPDATE idempotency_keys
                SET state = 'done', status_code = $2, content_type = $3, response_body = $4, location = $5
              WHERE key_hash = $1`,
            [
              claim.keyHash,
              reply.statusCode,
              String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
              encryptReply(claim.rawKey, claim.keyHash, payload),
              locationOf(reply),
            ],
          );
        }
      } catch (err) {
        // The answer still goes out; the claim stays in progress until it expires (never run twice).
        request.log.error({ err }, "could not store the idempotent reply");
      }
      return payload;
    };

    return { preHandler, onSend };
  }

  private async claim(keyHash: string, requestHash: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO idempotency_keys (key_hash, request_hash, state, expires_at)
       VALUES ($1, $2, 'in_progress', $3)
       ON CONFLICT (key_hash) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, state = 'in_progress', status_code = NULL,
             content_type = NULL, response_body = NULL, location = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()
       RETURNING key_hash`,
      [keyHash, requestHash, new Date(Date.now() + IDEMPOTENCY_TTL_MS)],
    );
    return rows.length === 1;
  }
}

function locationOf(reply: FastifyReply): string | null {
  const location = reply.getHeader("location");
  return typeof location === "string" ? location : null;
}

function replay(reply: FastifyReply, row: StoredRow, rawKey: string, keyHash: string): FastifyReply {
  const body = decryptReply(rawKey, keyHash, row.response_body ?? "");
  if (row.location) reply.header("location", row.location);
  return reply
    .code(row.status_code ?? 200)
    .header("content-type", row.content_type ?? "application/json; charset=utf-8")
    .header("idempotent-replayed", "true")
    .send(body);
}
