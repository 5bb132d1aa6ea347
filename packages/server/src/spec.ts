import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { specPath } from "./paths.js";

export type JsonSchema = Record<string, unknown>;

export interface SpecOperation {
  operationId: string;
  method: string; // upper case
  path: string; // OpenAPI form: /v1/api-keys/{key_id}
  security: Array<Record<string, string[]>>;
  hasJsonBody: boolean;
  /** status ("200", "4XX", "default") -> content type -> JSON pointer of its schema inside the spec */
  responses: Record<string, Record<string, string>>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface LoadedSpec {
  path: string;
  text: string;
  document: OpenApiDocument;
  operations: Map<string, SpecOperation>;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

function resolvePointer(doc: unknown, pointer: string): unknown {
  let node: unknown = doc;
  for (const raw of pointer.replace(/^#\//, "").split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Follows `$ref`s of response objects, returning the JSON pointer of the resolved object. */
function derefPointer(doc: unknown, pointer: string): string {
  for (let i = 0; i < 10; i++) {
    const node = resolvePointer(doc, pointer) as { $ref?: string } | undefined;
    if (node && typeof node.$ref === "string") pointer = node.$ref;
    else return pointer;
  }
  return pointer;
}

function collectOperations(doc: OpenApiDocument): Map<string, SpecOperation> {
  const operations = new Map<string, SpecOperation>();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method] as
        | { operationId: string; security?: SpecOperation["security"]; requestBody?: unknown; responses: object }
        | undefined;
      if (!op) continue;
      const opPointer = `#/paths/${escapePointer(p)}/${method}`;
      const responses: SpecOperation["responses"] = {};
      for (const status of Object.keys(op.responses)) {
        const responsePointer = derefPointer(doc, `${opPointer}/responses/${escapePointer(status)}`);
        const response = resolvePointer(doc, responsePointer) as { content?: Record<string, unknown> };
        responses[status] = {};
        for (const contentType of Object.keys(response.content ?? {})) {
          responses[status]![contentType] = `${responsePointer}/content/${escapePointer(contentType)}/schema`;
        }
      }
      const body = op.requestBody
        ? (resolvePointer(doc, derefPointer(doc, `${opPointer}/requestBody`)) as { content?: object })
        : undefined;
      operations.set(op.operationId, {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path: p,
        security: op.security ?? doc.security ?? [],
        hasJsonBody: body?.content !== undefined && "application/json" in body.content,
        responses,
      });
    }
  }
  return operations;
}

let cached: LoadedSpec | undefined;

/** openapi.yaml, parsed once per process. */
export function loadSpec(): LoadedSpec {
  if (cached) return cached;
  const file = specPath();
  const text = readFileSync(file, "utf8");
  const document = parse(text) as OpenApiDocument;
  cached = { path: file, text, document, operations: collectOperations(document) };
  return cached;
}

/** Media types the spec uses only for answers (every one but application/json), e.g. problem+json. */
export function responseOnlyMediaTypes(spec: LoadedSpec): string[] {
  const types = new Set<string>();
  for (const operation of spec.operations.values()) {
    for (const byType of Object.values(operation.responses)) for (const type of Object.keys(byType)) types.add(type);
  }
  types.delete("application/json");
  return [...types].sort();
}
