import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  onSendAsyncHookHandler,
  preHandlerAsyncHookHandler,
  preValidationAsyncHookHandler,
  RouteOptions,
} from "fastify";
import type { AuthContext, Authenticator } from "./auth.js";
import type { HandlerInput, OperationId, ServiceHandlers } from "./handlers/types.js";
import type { Idempotency } from "./idempotency.js";
import { ApiError } from "./problems.js";
import { authRateLimit } from "./rateLimit.js";
import { captureRawBody } from "./rawBody.js";
import type { LoadedSpec } from "./spec.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, on operations secured by bearerAuth (null when an optional key was not sent). */
    otoAuth: AuthContext | null;
  }
}

type AnyHandler = (input: HandlerInput<OperationId>) => Promise<{ status: number; body: unknown }>;

const RATE_LIMITED_OPERATIONS = new Set(["register", "login"]);
// Operations that verify a signature over the exact bytes of their body (request.rawBody).
const RAW_BODY_OPERATIONS = new Set(["stripeWebhook"]);
// Their body limit: a sender's event is never cut to our general limit (OTO_BODY_LIMIT, 64 KB by default). A
// Stripe event carries a whole object (a Checkout Session with its line items, a Charge…) and can pass 64 KB.
const SIGNED_EVENT_BODY_LIMIT = 1024 * 1024;

export interface RouteDeps {
  app: FastifyInstance;
  spec: LoadedSpec;
  handlers: ServiceHandlers;
  authenticator: Authenticator;
  idempotency: Idempotency;
  authRateLimit: number;
  /** The server's general body limit (config.bodyLimit). */
  bodyLimit: number;
}

/**
 * How an operation authenticates, from its `security` requirements (alternatives):
 * - `[{bearerAuth: []}]` → required: no valid key, 401;
 * - `[{}, {bearerAuth: []}]` → optional: anonymous without an Authorization header, the key's account with
 *   one (a bad key is still 401, so a client never believes it acted as itself when it did not);
 * - `[]` → none: the Authorization header is not even read (share links, webhooks).
 */
export function authMode(security: Array<Record<string, string[]>>): "required" | "optional" | "none" {
  if (!security.some((requirement) => "bearerAuth" in requirement)) return "none";
  return security.some((requirement) => Object.keys(requirement).length === 0) ? "optional" : "required";
}

/**
 * fastify-openapi-glue's operationResolver: for each operationId of the spec, the route options
 * (the handler plus its hooks). The glue supplies method, URL and schemas from the spec.
 *
 * Hook order: bearerAuth (onRequest, so unauthenticated requests are refused before their body is
 * read) → body presence (preValidation) → spec validation → rate limits and idempotency
 * (preHandler, on validated input) → handler.
 */
export function operationResolver(deps: RouteDeps) {
  const authenticate: onRequestAsyncHookHandler = async (request) => {
    request.otoAuth = await deps.authenticator.authenticate(request.headers.authorization);
  };
  const authenticateIfSent: onRequestAsyncHookHandler = async (request) => {
    request.otoAuth = await deps.authenticator.authenticateOptional(request.headers.authorization);
  };

  const requireBody: preValidationAsyncHookHandler = async (request) => {
    if (request.body === undefined) {
      throw new ApiError(400, "validation_failed", "body: is required (send a JSON object)", {
        errors: [{ location: "body", message: "is required" }],
      });
    }
  };

  return (operationId: string): Partial<RouteOptions> | undefined => {
    const operation = deps.spec.operations.get(operationId);
    const handler = (deps.handlers as unknown as Record<string, AnyHandler | undefined>)[operationId];
    if (!operation || !handler) return undefined; // the glue answers 500 "not implemented"

    const onRequest: onRequestAsyncHookHandler[] = [];
    const preValidation: preValidationAsyncHookHandler[] = [];
    const preHandler: preHandlerAsyncHookHandler[] = [];
    const onSend: onSendAsyncHookHandler[] = [];

    const auth = authMode(operation.security);
    if (auth === "required") onRequest.push(authenticate);
    if (auth === "optional") onRequest.push(authenticateIfSent);
    if (operation.hasJsonBody) preValidation.push(requireBody);
    if (RATE_LIMITED_OPERATIONS.has(operationId)) {
      preHandler.push(authRateLimit(deps.app, operationId, deps.authRateLimit));
    }
    if (operation.method === "POST") {
      const hooks = deps.idempotency.hooks(operationId, (request) => request.otoAuth?.account.id);
      preHandler.push(hooks.preHandler);
      onSend.push(hooks.onSend);
    }

    return {
      ...(onRequest.length > 0 ? { onRequest } : {}),
      ...(RAW_BODY_OPERATIONS.has(operationId)
        ? { preParsing: [captureRawBody], bodyLimit: Math.max(SIGNED_EVENT_BODY_LIMIT, deps.bodyLimit) }
        : {}),
      ...(preValidation.length > 0 ? { preValidation } : {}),
      ...(preHandler.length > 0 ? { preHandler } : {}),
      ...(onSend.length > 0 ? { onSend } : {}),
      async handler(request: FastifyRequest, reply: FastifyReply) {
        const result = await handler({
          body: request.body as never,
          query: (request.query ?? {}) as never,
          params: (request.params ?? {}) as never,
          auth: request.otoAuth ?? undefined,
          request,
          reply,
        });
        reply.code(result.status);
        return result.body;
      },
    };
  };
}
