import { randomBytes } from "node:crypto";
import type { RunningServer } from "../src/server.js";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  body: T;
}

export interface RequestOptions {
  /** Sent as JSON unless `raw` is given. */
  json?: unknown;
  /** Sent as is (with `contentType`). */
  raw?: string;
  contentType?: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/** A real HTTP request to the test server; parses JSON bodies. */
export async function call<T = any>(
  server: Pick<RunningServer, "url">,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers["content-type"] = options.contentType;
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const response = await fetch(server.url + path, { method, headers, body });
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  let parsed: unknown = text;
  if (/json/.test(contentType) && text !== "") parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, contentType, text, body: parsed as T };
}

export function uniqueHandle(base = "user"): string {
  return `${base}_${randomBytes(5).toString("hex")}`;
}

export const PASSWORD = "correct horse battery staple";

export interface Registered {
  handle: string;
  password: string;
  apiKey: string;
  accountId: string;
  keyId: string;
}

export async function register(server: Pick<RunningServer, "url">, handle = uniqueHandle()): Promise<Registered> {
  const res = await call(server, "POST", "/v1/accounts", { json: { handle, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return {
    handle,
    password: PASSWORD,
    apiKey: res.body.api_key.secret,
    accountId: res.body.account.id,
    keyId: res.body.api_key.id,
  };
}

/** Row counts of every table the API writes to. */
export async function rowCounts(server: RunningServer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  // Every table of the schema, so a new table is covered without editing this list.
  const tables = await server.app.db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  for (const { name } of tables) {
    const rows = await server.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`);
    counts[name] = rows[0]!.n;
  }
  return counts;
}

/** A problem+json answer with this status and code (and the fields every problem has). */
export function expectProblem(res: ApiResponse, status: number, code: string): void {
  const errors: string[] = [];
  if (res.status !== status) errors.push(`status ${res.status} instead of ${status}`);
  if (!res.contentType.startsWith("application/problem+json")) errors.push(`content type ${res.contentType}`);
  const body = res.body as Record<string, unknown>;
  if (body?.code !== code) errors.push(`code ${String(body?.code)} instead of ${code}`);
  if (body?.type !== `https://oto.dev/problems/${code}`) errors.push(`type ${String(body?.type)}`);
  if (body?.status !== status) errors.push(`body status ${String(body?.status)}`);
  if (typeof body?.detail !== "string" || body.detail === "") errors.push("no detail");
  if (typeof body?.title !== "string" || body.title === "") errors.push("no title");
  if (body?.request_id !== res.headers.get("x-request-id")) errors.push("request_id differs from X-Request-Id");
  if (errors.length > 0) throw new Error(`Unexpected answer (${errors.join(", ")}): ${res.status} ${res.text}`);
}
