import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { ApiError } from "./problems.js";

const WINDOW_MS = 60_000;

/**
 * Limits an operation to `max` attempts per minute per client address AND per handle (taken from
 * the validated body, lowercased). Over either limit → 429 rate_limited with Retry-After.
 * Needs @fastify/rate-limit registered on the app (with global: false).
 */
export function authRateLimit(app: FastifyInstance, operationId: string, max: number): preHandlerAsyncHookHandler {
  const limiters = [
    app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: (req) => `${operationId}:ip:${req.ip}` }),
    app.createRateLimit({
      max,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => {
        const handle = (req.body as { handle?: unknown } | undefined)?.handle;
        return `${operationId}:handle:${typeof handle === "string" ? handle.toLowerCase() : ""}`;
      },
    }),
  ];
  return async function rateLimited(request, reply) {
    for (const limiter of limiters) {
      const result = await limiter(request);
      if (result.isAllowed || !result.isExceeded) continue;
      const retryAfterS = Math.max(1, result.ttlInSeconds);
      reply.header("x-ratelimit-limit", result.max).header("x-ratelimit-remaining", 0);
      throw new ApiError(429, "rate_limited", `Too many attempts; try again in ${retryAfterS} seconds.`, {
        retryAfterS,
        headers: { "retry-after": String(retryAfterS) },
      });
    }
  };
}
