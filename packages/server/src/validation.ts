import type { ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import type { FieldError } from "./problems.js";

/** Ajv for OpenAPI 3.1 (JSON Schema 2020-12) with formats; `example` and other OpenAPI words are ignored. */
export function createAjv(options: { coerceTypes: boolean; useDefaults: boolean }): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    coerceTypes: options.coerceTypes,
    useDefaults: options.useDefaults,
    removeAdditional: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Request validation: JSON bodies are checked as sent (no type coercion, unknown fields rejected
 * by the spec's additionalProperties: false, never silently removed); path, query and headers are
 * strings on the wire, so those are coerced to the declared types.
 */
export function requestValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false, useDefaults: true });
  const coercing = createAjv({ coerceTypes: true, useDefaults: true });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === "body" ? strict : coercing;
    const compiled = httpPart === "headers" ? lowerCaseHeaderNames(schema as HeaderSchema) : schema;
    return ajv.compile(compiled as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

interface HeaderSchema {
  properties?: Record<string, unknown>;
  required?: string[];
}

// Node gives header names in lower case, and Fastify only lowercases the spec's names
// (Idempotency-Key) for its own compiler, not for a custom one like this.
function lowerCaseHeaderNames(schema: HeaderSchema): HeaderSchema {
  return {
    ...schema,
    ...(schema.properties && {
      properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k.toLowerCase(), v])),
    }),
    ...(schema.required && { required: schema.required.map((name) => name.toLowerCase()) }),
  };
}

const PART_NAMES: Record<string, string> = {
  body: "body",
  querystring: "query",
  params: "path",
  headers: "header",
};

/** Ajv errors as {location, message}, e.g. {location: "body/handle", message: "must match pattern …"}. */
export function fieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  const base = PART_NAMES[part] ?? part;
  return errors.map((e) => {
    let location = base + e.instancePath;
    let message = e.message ?? "is invalid";
    if (e.keyword === "required") {
      location += `/${String(e.params.missingProperty)}`;
      message = "is required";
    } else if (e.keyword === "additionalProperties") {
      location += `/${String(e.params.additionalProperty)}`;
      message = "is not a known field";
    }
    return { location, message };
  });
}

export function validationDetail(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return "The request is invalid.";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
  return `${first.location}: ${first.message}${more}`;
}
