import type { FastifyInstance } from "fastify";
import type { LoadedSpec } from "../../spec.js";

type Parameter = { $ref?: string; name?: string; in?: string; explode?: boolean; schema?: { type?: unknown } };

/** Per operation, its query parameters sent as one comma-separated value (`style: form, explode: false` arrays). */
export function commaArrayParams(spec: LoadedSpec): Map<string, string[]> {
  const doc = spec.document;
  const deref = (p: Parameter): Parameter => {
    if (!p.$ref) return p;
    const name = p.$ref.replace("#/components/parameters/", "");
    return (doc.components.parameters?.[name] ?? {}) as Parameter;
  };
  const found = new Map<string, string[]>();
  for (const item of Object.values(doc.paths)) {
    const shared = ((item.parameters ?? []) as unknown as Parameter[]).map(deref);
    for (const op of Object.values(item) as { operationId?: string; parameters?: Parameter[] }[]) {
      if (typeof op !== "object" || op === null || !op.operationId) continue;
      const names = [...shared, ...(op.parameters ?? []).map(deref)]
        .filter((p) => p.in === "query" && p.explode === false && p.schema?.type === "array")
        .map((p) => p.name!);
      if (names.length > 0) found.set(op.operationId, names);
    }
  }
  return found;
}

/**
 * Splits `kinds=text,image` into ["text", "image"] before validation, for the parameters the spec declares as
 * comma-separated arrays (the query string parser only makes arrays of repeated names).
 */
export function installCommaArrays(app: FastifyInstance, spec: LoadedSpec): void {
  const params = commaArrayParams(spec);
  app.addHook("preValidation", async (request) => {
    const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
    const names = operationId === undefined ? undefined : params.get(operationId);
    if (!names) return;
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === "string") query[name] = value.split(",");
    }
  });
}
