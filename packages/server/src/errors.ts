import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import { ApiError, PROBLEM_CONTENT_TYPE, codeForStatus, problemDocument } from "./problems.js";
import { fieldErrors, validationDetail } from "./validation.js";

/** Turns anything thrown while handling a request into an ApiError with a stable code. */
export function toApiError(err: FastifyError, request: FastifyRequest, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err.validation) {
    const errors = fieldErrors(err.validation as Parameters<typeof fieldErrors>[0], err.validationContext ?? "body");
    return new ApiError(400, "validation_failed", validationDetail(errors), { errors });
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, "malformed_json", "The body is not valid JSON.");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "malformed_json", "The body is empty; send a JSON object.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
      const sent = request.headers["content-type"];
      return new ApiError(
        415,
        "unsupported_media_type",
        sent ? `Send the body as application/json, not ${sent.split(";")[0]!.trim()}.` : "Send the body as application/json.",
      );
    }
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "payload_too_large", `The body is larger than ${request.routeOptions?.bodyLimit ?? bodyLimit} bytes.`);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError(400, "validation_failed", "The Content-Length header does not match the body.", {
        errors: [{ location: "header/content-length", message: "does not match the body" }],
      });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = codeForStatus(status);
    return new ApiError(status, code, sentence(err.message));
  }
  return new ApiError(500, "internal_error", "Something went wrong on the server; the error has been logged.");
}

function sentence(message: string): string {
  const trimmed = message.trim() || "The request cannot be handled.";
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.statusCode)
    .header("content-type", PROBLEM_CONTENT_TYPE)
    .send(
      problemDocument(error.statusCode, error.code, error.message, {
        instance: request.url.split("?")[0]!,
        requestId: request.id,
        ...(error.errors ? { errors: error.errors } : {}),
        ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}),
        ...(error.price !== undefined ? { price: error.price } : {}),
        ...(error.available !== undefined ? { available: error.available } : {}),
      }),
    );
}

interface KnownRoute {
  method: string;
  pattern: RegExp;
}

function routePattern(url: string): RegExp {
  const source = url
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * Every error becomes RFC 9457 problem+json. Unknown paths answer 404 not_found; a known path
 * with another method answers 405 method_not_allowed with an Allow header.
 * Call before the routes are registered (it watches them to answer 405).
 */
export function installErrorHandling(app: FastifyInstance, options: { bodyLimit: number }): void {
  const routes: KnownRoute[] = [];
  app.addHook("onRoute", (route) => {
    if (route.url.includes("*")) return; // catch-all routes (static files, docs assets) never make a 405
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method: method.toUpperCase(), pattern: routePattern(route.url) });
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = toApiError(err, request, options.bodyLimit);
    if (error.statusCode >= 500) request.log.error({ err }, "request failed");
    else request.log.info({ code: error.code, status: error.statusCode }, error.message);
    return sendProblem(request, reply, error);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendProblem(
        request,
        reply,
        new ApiError(405, "method_not_allowed", `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}.`, {
          headers: { allow: allowed.join(", ") },
        }),
      );
    }
    return sendProblem(request, reply, new ApiError(404, "not_found", `There is nothing at ${request.method} ${path}.`));
  });
}

/**
 * Fastify's `frameworkErrors` option: errors met before routing (a URL that cannot be decoded, an
 * over-long path parameter) also answer problem+json, with the request id.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions["frameworkErrors"]> = (err, request, reply) => {
  reply.header("x-request-id", request.id);
  const detail =
    err.code === "FST_ERR_MAX_PARAM_LENGTH" ? "A path parameter is too long." : "The URL is not valid (bad percent-encoding).";
  sendProblem(request, reply, new ApiError(400, "validation_failed", detail, { errors: [{ location: "path", message: detail }] }));
};
