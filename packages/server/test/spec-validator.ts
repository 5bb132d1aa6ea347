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

/** The declared response of an operation for a status (following a response $ref), with its JSON pointer. */
function declaredResponse(o: Operation, status: number): { pointer: string; response: any } | undefined {
  let pointer = `${o.pointer}/responses/${status}`;
  let response = o.op.responses[String(status)];
  if (!response) return undefined;
  if (response.$ref) {
    pointer = response.$ref;
    response = resolve(response.$ref);
  }
  return { pointer, response };
}

/** The schema pointer for an operation's response, following response $refs; undefined when not declared. */
export function responseSchemaPointer(o: Operation, status: number, mediaType: string): string | undefined | null {
  const declared = declaredResponse(o, status);
  if (!declared) return undefined;
  if (!declared.response.content?.[mediaType]) return null;
  return `${declared.pointer}/content/${esc(mediaType)}/schema`;
}

/** Problems of a response against the spec (empty = conforms). */
export function contractProblems(
  method: string,
  url: string,
  res: { status: number; contentType: string; body: unknown; headers: Headers },
): string[] {
  const o = findOperation(method, url);
  if (!o) return [`no operation for ${method} ${url}`];
  const declared = declaredResponse(o, res.status);
  if (!declared) return [`${o.operationId} does not declare status ${res.status}`];
  const problems: string[] = [];
  if (!res.headers.get("x-request-id")) problems.push("no X-Request-Id header");
  for (const name of Object.keys(declared.response.headers ?? {})) {
    if (!res.headers.has(name)) problems.push(`no ${name} header`);
  }
  const content = declared.response.content as Record<string, any> | undefined;
  if (!content) {
    // A response the spec declares without a body (304).
    if (res.body !== "" && res.body !== undefined) problems.push(`${o.operationId} ${res.status} must have no body`);
    return problems;
  }
  const mediaType = res.contentType.split(";")[0]!.trim();
  // A file download is declared as application/octet-stream and answered with the file's real type.
  const binary = content["application/octet-stream"]?.schema?.format === "binary";
  if (binary && !content[mediaType]) return problems;
  const pointer = responseSchemaPointer(o, res.status, mediaType);
  if (!pointer) return [...problems, `${o.operationId} ${res.status} does not declare ${mediaType}`];
  const validate = ajv.getSchema(`spec${pointer}`) ?? ajv.compile({ $ref: `spec${pointer}` });
  if (!validate(res.body)) problems.push(ajv.errorsText(validate.errors));
  return problems;
}
