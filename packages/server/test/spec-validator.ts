// An independent reading of openapi.yaml for the contract tests (it does not reuse the server's
// response checker, so that the two can catch each other's mistakes).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

export const SPEC_FILE = fileURLToPath(new URL("../../../openapi.yaml", import.meta.url));
export const spec = parse(readFileSync(SPEC_FILE, "utf8")) as any;

export const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec, "spec");

const esc = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

export function resolve(ref: string): any {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce((node: any, key) => node[key.replace(/~1/g, "/").replace(/~0/g, "~")], spec);
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  pointer: string;
  op: any;
}

export const operations: Operation[] = Object.entries(spec.paths as Record<string, any>).flatMap(([path, item]) =>
  ["get", "post", "put", "patch", "delete"]
    .filter((m) => item[m])
    .map((m) => ({
      operationId: item[m].operationId as string,
      method: m.toUpperCase(),
      path,
      pointer: `#/paths/${esc(path)}/${m}`,
      op: item[m],
    })),
);

export function findOperation(method: string, url: string): Operation | undefined {
  const path = url.split("?")[0]!;
  return operations.find(
    (o) => o.method === method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
  );
}

/** The schema pointer for an operation's response, following response $refs; undefined when not declared. */
export function responseSchemaPointer(o: Operation, status: number, mediaType: string): string | undefined | null {
  let pointer = `${o.pointer}/responses/${status}`;
  let response = o.op.responses[String(status)];
  if (!response) return undefined;
  if (response.$ref) {
    pointer = response.$ref;
    response = resolve(response.$ref);
  }
  if (!response.content?.[mediaType]) return null;
  return `${pointer}/content/${esc(mediaType)}/schema`;
}

/** Problems of a response against the spec (empty = conforms). */
export function contractProblems(
  method: string,
  url: string,
  res: { status: number; contentType: string; body: unknown; headers: Headers },
): string[] {
  const o = findOperation(method, url);
  if (!o) return [`no operation for ${method} ${url}`];
  const mediaType = res.contentType.split(";")[0]!.trim();
  const pointer = responseSchemaPointer(o, res.status, mediaType);
  if (pointer === undefined) return [`${o.operationId} does not declare status ${res.status}`];
  if (pointer === null) return [`${o.operationId} ${res.status} does not declare ${mediaType}`];
  const problems: string[] = [];
  const validate = ajv.getSchema(`spec${pointer}`) ?? ajv.compile({ $ref: `spec${pointer}` });
  if (!validate(res.body)) problems.push(ajv.errorsText(validate.errors));
  if (!res.headers.get("x-request-id")) problems.push("no X-Request-Id header");
  return problems;
}
