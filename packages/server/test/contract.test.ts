import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHandlers } from "../src/handlers/index.js";
import type { ServiceHandlers } from "../src/handlers/types.js";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { type ApiResponse, type RequestOptions, call, uniqueHandle } from "./helpers.js";
import { ajv, contractProblems, operations, resolve, spec } from "./spec-validator.js";

describe("openapi.yaml and the handlers", () => {
  test("every operationId has a handler and every handler an operation", () => {
    // The handlers are built without touching their dependencies, so placeholders are enough here.
    const handlers = createHandlers({} as Parameters<typeof createHandlers>[0]);
    const handlerIds = Object.keys(handlers).sort();
    const operationIds = operations.map((o) => o.operationId).sort();
    expect(handlerIds).toEqual(operationIds);
    for (const id of handlerIds) expect(typeof handlers[id as keyof ServiceHandlers]).toBe("function");
  });

  test("every example in the spec validates against its schema", () => {
    const checked: string[] = [];
    const check = (where: string, schema: unknown, example: unknown) => {
      const validate = ajv.compile(schema as object);
      expect(validate(example), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      checked.push(where);
    };
    const withRefs = (schema: any) => JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"spec#/'));
    for (const o of operations) {
      const body = o.op.requestBody?.content?.["application/json"];
      if (body?.example !== undefined) check(`${o.operationId} request`, withRefs(body.schema), body.example);
      for (const [status, ref] of Object.entries(o.op.responses as Record<string, any>)) {
        const response = ref.$ref ? resolve(ref.$ref) : ref;
        for (const [mediaType, content] of Object.entries((response.content ?? {}) as Record<string, any>)) {
          if (content.example !== undefined) {
            check(`${o.operationId} ${status} ${mediaType}`, withRefs(content.schema), content.example);
          }
        }
      }
    }
    for (const [name, schema] of Object.entries(spec.components.schemas as Record<string, any>)) {
      if (schema.example !== undefined) check(`schema ${name}`, withRefs(schema), schema.example);
    }
    for (const [name, parameter] of Object.entries(spec.components.parameters as Record<string, any>)) {
      if (parameter.example !== undefined) check(`parameter ${name}`, withRefs(parameter.schema), parameter.example);
    }
    // Every operation has a 2xx example and the error responses have theirs.
    expect(checked.filter((c) => / 2\d\d /.test(c))).toHaveLength(operations.length);
    expect(checked.filter((c) => / 4\d\d /.test(c)).length).toBeGreaterThan(10);
  });
});

describe("a scenario through every operation follows the spec", () => {
  let server: RunningServer;
  const seen = new Map<string, Set<number>>();

  beforeAll(async () => {
    server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1000" });
  });
  afterAll(async () => {
    await server.close(); // fails if the server's own checker saw an off-spec response
  });

  async function step(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const res = await call(server, method, path, options);
    expect(contractProblems(method, path, res), `${method} ${path} → ${res.status} ${res.text}`).toEqual([]);
    const id = operations.find((o) => o.method === method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path.split("?")[0]!))!.operationId;
    if (!seen.has(id)) seen.set(id, new Set());
    seen.get(id)!.add(res.status);
    return res;
  }

  test("runs", async () => {
    expect((await step("GET", "/v1/health")).status).toBe(200);
    expect((await step("GET", "/v1/ready")).status).toBe(200);

    const handle = uniqueHandle("ada");
    const reg = await step("POST", "/v1/accounts", {
      json: { handle, password: "correct horse battery staple", display_name: "Ada Lovelace" },
      headers: { "idempotency-key": "contract-register-1" },
    });
    expect(reg.status).toBe(201);
    const replay = await step("POST", "/v1/accounts", {
      json: { handle, password: "correct horse battery staple", display_name: "Ada Lovelace" },
      headers: { "idempotency-key": "contract-register-1" },
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await step("POST", "/v1/accounts", { json: { handle, password: "another password" } })).status).toBe(409);
    expect((await step("POST", "/v1/accounts", { json: { handle: "X", password: "short" } })).status).toBe(400);
    expect((await step("POST", "/v1/accounts", { raw: "{", contentType: "application/json" })).status).toBe(400);
    expect((await step("POST", "/v1/accounts", { raw: "hi", contentType: "text/plain" })).status).toBe(415);
    expect((await step("POST", "/v1/accounts", { raw: `{"handle":"${"a".repeat(70_000)}"}`, contentType: "application/json" })).status).toBe(413);

    const login = await step("POST", "/v1/auth/login", {
      json: { handle, password: "correct horse battery staple", key_name: "laptop" },
    });
    expect(login.status).toBe(200);
    expect((await step("POST", "/v1/auth/login", { json: { handle, password: "wrong password" } })).status).toBe(401);
    const key = login.body.api_key.secret as string;

    expect((await step("GET", "/v1/me", { apiKey: key })).status).toBe(200);
    expect((await step("GET", "/v1/me")).status).toBe(401);

    const created = await step("POST", "/v1/api-keys", { apiKey: key, json: { name: "n8n workflow" } });
    expect(created.status).toBe(201);
    expect((await step("POST", "/v1/api-keys", { apiKey: key, json: { name: 3 } })).status).toBe(400);

    const page = await step("GET", "/v1/api-keys?limit=2", { apiKey: key });
    expect(page.status).toBe(200);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const page2 = await step("GET", `/v1/api-keys?limit=2&cursor=${page.body.next_cursor}`, { apiKey: key });
    expect(page2.status).toBe(200);
    expect(page2.body.next_cursor).toBeNull();
    expect((await step("GET", "/v1/api-keys?limit=0", { apiKey: key })).status).toBe(400);

    expect((await step("DELETE", `/v1/api-keys/${created.body.id}`, { apiKey: key })).status).toBe(200);
    expect((await step("DELETE", "/v1/api-keys/key_00000000000000000000000000", { apiKey: key })).status).toBe(404);
    expect((await step("DELETE", "/v1/api-keys/nope", { apiKey: key })).status).toBe(400);
    expect((await step("GET", "/v1/me", { apiKey: created.body.secret })).status).toBe(401);

    const limited = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1" });
    try {
      const first = await call(limited, "POST", "/v1/auth/login", { json: { handle, password: "x" } });
      const second = await call(limited, "POST", "/v1/auth/login", { json: { handle, password: "x" } });
      expect(first.status).toBe(401);
      expect(second.status).toBe(429);
      expect(contractProblems("POST", "/v1/auth/login", second)).toEqual([]);
    } finally {
      await limited.close();
    }

    for (const o of operations) expect(seen.has(o.operationId), `${o.operationId} exercised`).toBe(true);
  });
});

describe("the response checker", () => {
  test("turns an off-spec response into a loud 500 and fails close()", async () => {
    const offSpec: Partial<ServiceHandlers> = {
      // Off-spec on purpose: version must be a string, uptime_s is missing. Fastify's serializer
      // alone would quietly print "1" and drop nothing, so only the checker notices.
      getHealth: async () => ({ status: 200, body: { status: "ok", version: 1 } as never }),
    };
    const server = await startTestServer({}, { handlers: offSpec });
    const res = await call(server, "GET", "/v1/health");
    expect(res.status).toBe(500);
    expect(res.body.code).toBe("internal_error");
    expect(server.app.responseViolations).toHaveLength(1);
    expect(server.app.responseViolations[0]!.operationId).toBe("getHealth");
    await expect(server.close()).rejects.toThrow(/did not follow openapi.yaml/);
  });

  test("catches a value outside the schema (negative uptime)", async () => {
    const server = await startTestServer(
      {},
      { handlers: { getHealth: async () => ({ status: 200, body: { status: "ok", version: "1", uptime_s: -1 } }) } },
    );
    const res = await call(server, "GET", "/v1/health");
    expect(res.status).toBe(500);
    expect(server.app.responseViolations[0]!.problems.join(" ")).toMatch(/uptime_s/);
    await expect(server.close()).rejects.toThrow();
  });
});
