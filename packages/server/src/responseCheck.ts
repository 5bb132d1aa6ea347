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
// Headers describing a file body; dropped when an off-spec file answer is replaced by a problem document.
const FILE_HEADERS = ["content-length", "content-range", "content-disposition", "etag", "accept-ranges", "cache-control"];

function resolve(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const raw of pointer.replace(/^#\//, "").split("/")) {
    node = (node as Record<string, unknown> | undefined)?.[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

/** Follows $refs; answers the pointer of the object finally reached. */
function deref(document: unknown, pointer: string): string {
  for (let i = 0; i < 10; i++) {
    const ref = (resolve(document, pointer) as { $ref?: unknown } | undefined)?.$ref;
    if (typeof ref !== "string") break;
    pointer = ref;
  }
  return pointer;
}

const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** A body sent as is (file stream, bytes) or no body at all, rather than a JSON document. */
function isRawPayload(payload: unknown): boolean {
  return (
    payload === undefined ||
    payload === null ||
    payload instanceof Uint8Array ||
    typeof (payload as { pipe?: unknown }).pipe === "function"
  );
}

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

  /**
   * Operations answering files (a `format: binary` body somewhere): their bodies are streams or bytes,
   * checked by status, media type and headers instead of a JSON schema.
   */
  private readonly binaryOperations = new Set<string>();

  constructor(private readonly spec: LoadedSpec) {
    this.ajv.addSchema(spec.document as object, "openapi");
    for (const operation of spec.operations.values()) {
      const pointers = Object.values(operation.responses).flatMap((byType) => Object.values(byType));
      if (pointers.some((pointer) => this.isBinarySchema(pointer))) this.binaryOperations.add(operation.operationId);
    }
  }

  private isBinarySchema(pointer: string): boolean {
    const schema = resolve(this.spec.document, deref(this.spec.document, pointer)) as { format?: unknown } | undefined;
    return schema?.format === "binary";
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

  /**
   * A file (stream or bytes) or empty answer of an operation that declares binary bodies: the status must
   * be declared; a declared `application/octet-stream` binary body stands for the file's own media type
   * (so any type is accepted), other declared types must match; a response declared without content
   * (304) must have no body.
   */
  checkRaw(operationId: string, status: number, contentType: string, empty: boolean): string[] {
    const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
    const operation = this.spec.operations.get(operationId);
    if (!operation) return [];
    const declared =
      operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`] ?? operation.responses.default;
    if (!declared) return [`status ${status} is not declared for ${operationId}`];
    const allowed = Object.keys(declared);
    if (allowed.length === 0) return empty ? [] : [`status ${status} of ${operationId} must have no body`];
    if (mediaType === "") return [`no content type for ${operationId} ${status}`];
    const pointer = declared[mediaType] ?? declared["application/octet-stream"];
    if (pointer === undefined || !this.isBinarySchema(pointer)) {
      return [`content type ${mediaType} is not declared as a file for ${operationId} ${status} (${allowed.join(", ")})`];
    }
    return [];
  }

  /**
   * For operations answering files, every header the spec declares for the response must be sent and
   * match its schema (ETag, Content-Range, Accept-Ranges, Content-Disposition…): for files the headers
   * are the contract.
   */
  checkHeaders(operationId: string, status: number, headers: Record<string, unknown>): string[] {
    const operation = this.spec.operations.get(operationId);
    if (!operation || !this.binaryOperations.has(operationId)) return [];
    const responses = `#/paths/${escapePointer(operation.path)}/${operation.method.toLowerCase()}/responses`;
    const key = [String(status), `${String(status)[0]}XX`, "default"].find(
      (k) => resolve(this.spec.document, `${responses}/${escapePointer(k)}`) !== undefined,
    );
    if (key === undefined) return [];
    const response = deref(this.spec.document, `${responses}/${escapePointer(key)}`);
    const declared = (resolve(this.spec.document, `${response}/headers`) ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    for (const name of Object.keys(declared)) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        problems.push(`header ${name} is missing`);
        continue;
      }
      const header = deref(this.spec.document, `${response}/headers/${escapePointer(name)}`);
      const schema = resolve(this.spec.document, `${header}/schema`) as { type?: unknown } | undefined;
      if (!schema) continue;
      const text = String(value);
      const typed = schema.type === "integer" || schema.type === "number" ? Number(text) : text;
      problems.push(...this.validate(`${header}/schema`, typed).map((p) => p.replace(/^body/, `header ${name}`)));
    }
    return problems;
  }

  private validate(pointer: string, body: unknown): string[] {
    const validate = this.validator(pointer);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message ?? "is invalid"}`);
  }

  /** Adds the hooks that check every response of the app. */
  install(app: FastifyInstance): void {
    const operationOf = (request: FastifyRequest) =>
      (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;

    const inspect = (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
      const operationId = operationOf(request);
      const contentType = String(reply.getHeader("content-type") ?? "");
      const problems = [
        ...this.check(operationId, reply.statusCode, contentType, body),
        ...(operationId === undefined ? [] : this.checkHeaders(operationId, reply.statusCode, reply.getHeaders())),
      ];
      return problems.length === 0 ? undefined : this.replaceWithProblem(request, reply, body, problems);
    };

    // Files and empty answers (304) of operations declaring binary bodies: never serialized, so checked here.
    const inspectRaw = (request: FastifyRequest, reply: FastifyReply, operationId: string, payload: unknown) => {
      const contentType = String(reply.getHeader("content-type") ?? "");
      const empty = payload === undefined || payload === null || (payload instanceof Uint8Array && payload.byteLength === 0);
      const problems = [
        ...this.checkRaw(operationId, reply.statusCode, contentType, empty),
        ...this.checkHeaders(operationId, reply.statusCode, reply.getHeaders()),
      ];
      if (problems.length === 0) return undefined;
      (payload as { destroy?: () => void } | undefined)?.destroy?.();
      for (const name of FILE_HEADERS) reply.removeHeader(name);
      return this.replaceWithProblem(request, reply, "(file body)", problems);
    };

    app.addHook("preSerialization", async (request, reply, payload) => {
      (request as unknown as Record<symbol, boolean>)[checked] = true;
      return inspect(request, reply, payload) ?? payload;
    });

    // Bodies sent ready-made (idempotent replays, cached wall tiles) skip preSerialization, and so do files.
    app.addHook("onSend", async (request, reply, payload) => {
      if ((request as unknown as Record<symbol, boolean>)[checked]) return payload;
      const operationId = operationOf(request);
      if (operationId !== undefined && this.binaryOperations.has(operationId) && isRawPayload(payload)) {
        const replaced = inspectRaw(request, reply, operationId, payload);
        return replaced === undefined ? payload : JSON.stringify(replaced);
      }
      const text = typeof payload === "string" ? payload : payload instanceof Uint8Array ? Buffer.from(payload).toString("utf8") : undefined;
      if (text === undefined || !/json/i.test(String(reply.getHeader("content-type") ?? ""))) return payload;
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const replaced = inspect(request, reply, body);
      return replaced === undefined ? payload : JSON.stringify(replaced);
    });
  }

  /** Records the violation and answers the 500 problem document that replaces the off-spec response. */
  private replaceWithProblem(request: FastifyRequest, reply: FastifyReply, body: unknown, problems: string[]) {
    const violation: ResponseViolation = {
      method: request.method,
      url: request.url,
      operationId: (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId,
      status: reply.statusCode,
      contentType: String(reply.getHeader("content-type") ?? ""),
      problems,
    };
    this.violations.push(violation);
    request.log.error({ violation, body }, "response does not follow openapi.yaml");
    reply.code(500).header("content-type", PROBLEM_CONTENT_TYPE);
    return problemDocument(500, "internal_error", "The server produced a response that does not follow its API spec.", {
      instance: request.url.split("?")[0]!,
      requestId: request.id,
    });
  }
}
