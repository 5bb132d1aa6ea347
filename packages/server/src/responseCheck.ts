import type { ValidateFunction } from "ajv";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PROBLEM_CONTENT_TYPE, problemDocument } from "./problems.js";
import type { LoadedSpec } from "./spec.js";
import { createAjv } from "./validation.js";

export interface ResponseViolation {
  method: string;
  url: string;
  operationId: string | undefined;
  status: number;
  contentType: string;
  problems: string[];
}

// Statuses any operation may answer although its spec entry does not list them: they come from
// the HTTP layer (oversized or non-JSON bodies on routes without one, crashes). Still problem+json.
const INFRASTRUCTURE_STATUSES = new Set([405, 413, 415]);
const PROBLEM_POINTER = "#/components/schemas/Problem";
const checked = Symbol("oto.responseChecked");

/**
 * Checks responses against openapi.yaml: status declared for the operation, content type declared
 * for the status, body valid against the schema. Used in development and tests, where an off-spec
 * response becomes a 500 and is recorded so the test run fails.
 */
export class ResponseChecker {
  readonly violations: ResponseViolation[] = [];
  // Checks only: never coerces or fills in a response.
  private readonly ajv = createAjv({ coerceTypes: false, useDefaults: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly spec: LoadedSpec) {
    this.ajv.addSchema(spec.document as object, "openapi");
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `openapi${pointer}` });
      this.validators.set(pointer, v);
    }
    return v;
  }

  /** The problems with this response (empty when it follows the spec). */
  check(operationId: string | undefined, status: number, contentType: string, body: unknown): string[] {
    const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
    const operation = operationId === undefined ? undefined : this.spec.operations.get(operationId);
    if (!operation) {
      // No operation (unknown route, docs, static files): only problem documents are checked.
      return mediaType === "application/problem+json" ? this.validate(PROBLEM_POINTER, body) : [];
    }
    const declared =
      operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`] ?? operation.responses.default;
    if (!declared) {
      if (status >= 500 || INFRASTRUCTURE_STATUSES.has(status)) {
        if (mediaType !== "application/problem+json") return [`status ${status} must be application/problem+json`];
        return this.validate(PROBLEM_POINTER, body);
      }
      return [`status ${status} is not declared for ${operationId}`];
    }
    const pointer = declared[mediaType];
    if (pointer === undefined) {
      const allowed = Object.keys(declared);
      if (allowed.length === 0 && (body === undefined || body === "")) return [];
      return [`content type ${mediaType || "(none)"} is not declared for ${operationId} ${status} (${allowed.join(", ") || "no body"})`];
    }
    return this.validate(pointer, body);
  }

  private validate(pointer: string, body: unknown): string[] {
    const validate = this.validator(pointer);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message ?? "is invalid"}`);
  }

  /** Adds the hooks that check every response of the app. */
  install(app: FastifyInstance): void {
    const inspect = (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
      const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
      const contentType = String(reply.getHeader("content-type") ?? "");
      const problems = this.check(operationId, reply.statusCode, contentType, body);
      if (problems.length === 0) return undefined;
      const violation: ResponseViolation = {
        method: request.method,
        url: request.url,
        operationId,
        status: reply.statusCode,
        contentType,
        problems,
      };
      this.violations.push(violation);
      request.log.error({ violation, body }, "response does not follow openapi.yaml");
      reply.code(500).header("content-type", PROBLEM_CONTENT_TYPE);
      return problemDocument(500, "internal_error", "The server produced a response that does not follow its API spec.", {
        instance: request.url.split("?")[0]!,
        requestId: request.id,
      });
    };

    app.addHook("preSerialization", async (request, reply, payload) => {
      (request as unknown as Record<symbol, boolean>)[checked] = true;
      return inspect(request, reply, payload) ?? payload;
    });

    // Bodies sent as ready-made strings (idempotent replays) skip preSerialization.
    app.addHook("onSend", async (request, reply, payload) => {
      if ((request as unknown as Record<symbol, boolean>)[checked]) return payload;
      if (typeof payload !== "string" || !/json/i.test(String(reply.getHeader("content-type") ?? ""))) return payload;
      let body: unknown;
      try {
        body = JSON.parse(payload);
      } catch {
        body = payload;
      }
      const replaced = inspect(request, reply, body);
      return replaced === undefined ? payload : JSON.stringify(replaced);
    });
  }
}
