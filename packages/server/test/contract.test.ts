import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHandlers } from "../src/handlers/index.js";
import type { ServiceHandlers } from "../src/handlers/types.js";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { type ApiResponse, type RequestOptions, call, register, uniqueHandle } from "./helpers.js";
import { startFakeStripe } from "./support/fake-stripe.js";
import { WEBHOOK_SECRET, signature, stripeEvent } from "./tokens/support.js";
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

  test("every POST but the webhooks declares the Idempotency-Key header the server honours", () => {
    const missing = operations
      .filter((o) => o.method === "POST" && o.op.tags?.[0] !== "hooks")
      .filter((o) => !(o.op.parameters ?? []).some((p: any) => p.$ref === "#/components/parameters/IdempotencyKey"))
      .map((o) => o.operationId);
    expect(missing).toEqual([]);
  });

  test("every example in the spec validates against its schema", () => {
    const checked: string[] = [];
    const check = (where: string, schema: unknown, example: unknown) => {
      const validate = ajv.compile(schema as object);
      expect(validate(example), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      checked.push(where);
    };
    const withRefs = (schema: any) => JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"spec#/'));
    // A media type's `example`, and each of its `examples` (inline or a $ref to components/examples).
    const examplesOf = (content: any): unknown[] => [
      ...(content.example !== undefined ? [content.example] : []),
      ...Object.values((content.examples ?? {}) as Record<string, any>).map((e) => (e.$ref ? resolve(e.$ref) : e).value),
    ];
    const isBinary = (content: any) => content.schema?.format === "binary";
    const needExample = new Set<string>();
    for (const o of operations) {
      const body = o.op.requestBody?.content?.["application/json"];
      if (body) for (const example of examplesOf(body)) check(`${o.operationId} request`, withRefs(body.schema), example);
      for (const [status, ref] of Object.entries(o.op.responses as Record<string, any>)) {
        const response = ref.$ref ? resolve(ref.$ref) : ref;
        for (const [mediaType, content] of Object.entries((response.content ?? {}) as Record<string, any>)) {
          if (/^2/.test(status) && !isBinary(content)) needExample.add(o.operationId);
          for (const example of examplesOf(content)) {
            check(`${o.operationId} ${status} ${mediaType}`, withRefs(content.schema), example);
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
    // Every operation answering a document has a 2xx example, and the error responses have theirs.
    const with2xxExample = new Set(checked.filter((c) => / 2\d\d /.test(c)).map((c) => c.split(" ")[0]));
    expect([...needExample].filter((id) => !with2xxExample.has(id))).toEqual([]);
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

  async function step(
    method: string,
    path: string,
    options: RequestOptions = {},
    target: RunningServer = server,
  ): Promise<ApiResponse> {
    const res = await call(target, method, path, options);
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
  });

  test("runs through agents, generations, creations and tokens", async () => {
    const fake = await startFakeStripe();
    const target = await startTestServer({
      OTO_AUTH_RATE_LIMIT: "1000",
      OTO_ADMIN_HANDLES: "root",
      OTO_STARTER_TOKENS: "20",
      STRIPE_SECRET_KEY: fake.secretKey,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: fake.url,
    });
    const s = (method: string, path: string, options: RequestOptions = {}) => step(method, path, options, target);
    try {
      const root = await register(target, "root");
      const ada = await register(target, uniqueHandle("ada"));
      const bob = await register(target, uniqueHandle("bob"));
      const as = (who: { apiKey: string }, options: RequestOptions = {}) => ({ ...options, apiKey: who.apiKey });

      // Agents
      const agent = await s("POST", "/v1/agents", as(ada, {
        json: { name: "Ink sketcher", kind: "image", prompt_template: "a sketch of {{prompt}}", cost_tokens: 4, default_parameters: { width: 128, height: 128 } },
      }));
      expect(agent.status).toBe(201);
      expect((await s("POST", "/v1/agents", as(ada, { json: { name: "No prompt", kind: "text", prompt_template: "static" } }))).status).toBe(400);
      expect((await s("POST", "/v1/agents", as(ada, { json: { name: "Wrong params", kind: "text", default_parameters: { width: 64 } } }))).status).toBe(400);
      expect((await s("GET", "/v1/agents")).status).toBe(200);
      expect((await s("GET", "/v1/agents?owner=me", as(ada))).body.data).toHaveLength(1);
      expect((await s("GET", `/v1/agents/${agent.body.id}`)).status).toBe(200);
      expect((await s("GET", "/v1/agents/ag_00000000000000000000000000")).status).toBe(404);
      expect((await s("PATCH", `/v1/agents/${agent.body.id}`, as(ada, { json: { description: "Sketches" } }))).status).toBe(200);
      expect((await s("PATCH", `/v1/agents/${agent.body.id}`, as(bob, { json: { description: "Mine now" } }))).status).toBe(403);
      const pricey = await s("POST", "/v1/agents", as(ada, { json: { name: "Pricey", kind: "text", cost_tokens: 1000 } }));

      // Generations
      const request = { agent_id: agent.body.id, prompt: "a lighthouse in a storm" };
      const quote = await s("POST", "/v1/generations/quote", as(ada, { json: request }));
      expect(quote.body).toEqual({ tokens: 4, available: 20, sufficient: true });
      expect((await s("POST", "/v1/generations", as(ada, { json: { agent_id: pricey.body.id, prompt: "x" } }))).status).toBe(402);
      const done = await s("POST", "/v1/generations", as(ada, { json: request, headers: { prefer: "wait=30" } }));
      expect(done.status).toBe(200);
      expect(done.body.status).toBe("succeeded");
      const queued = await s("POST", "/v1/generations", as(ada, { json: request }));
      expect([200, 202]).toContain(queued.status);
      expect((await s("GET", "/v1/generations", as(ada))).status).toBe(200);
      expect((await s("GET", `/v1/generations/${done.body.id}`, as(ada))).status).toBe(200);
      expect((await s("GET", `/v1/generations/${done.body.id}`, as(bob))).status).toBe(404);
      expect((await s("POST", `/v1/generations/${done.body.id}/cancel`, as(ada))).body.status).toBe("succeeded");
      const events = await s("GET", `/v1/generations/${done.body.id}/events`, as(ada));
      expect(events.status).toBe(200);
      expect(events.text).toContain("event: generation");
      expect((await s("POST", `/v1/hooks/runpod/${done.body.id}?t=not-the-token`, { json: {} })).status).toBe(404);

      // Creations
      const id = done.body.creation_id as string;
      expect((await s("GET", "/v1/creations", as(ada))).body.data.length).toBeGreaterThanOrEqual(1);
      const creation = await s("GET", `/v1/creations/${id}`, as(ada));
      expect(creation.body.state).toBe("draft");
      expect((await s("GET", `/v1/creations/${id}`)).status).toBe(404);
      const file = await s("GET", `/v1/creations/${id}/file`, as(ada));
      expect(file.status).toBe(200);
      expect(file.contentType).toBe("image/png");
      expect((await s("GET", `/v1/creations/${id}/file`, as(ada, { headers: { range: "bytes=0-7" } }))).status).toBe(206);
      expect((await s("GET", `/v1/creations/${id}/file`, as(ada, { headers: { range: "bytes=99999999-" } }))).status).toBe(416);
      const etag = file.headers.get("etag")!;
      expect((await s("GET", `/v1/creations/${id}/file`, as(ada, { headers: { "if-none-match": etag } }))).status).toBe(304);
      expect((await s("GET", `/v1/creations/${id}/thumbnail`, as(ada))).status).toBe(200);
      expect((await s("POST", `/v1/creations/${id}/publish`, as(ada))).body.state).toBe("published");
      expect((await s("GET", `/v1/creations/${id}`)).status).toBe(200);
      expect((await s("POST", `/v1/creations/${id}/unpublish`, as(ada))).body.state).toBe("draft");
      const share = await s("POST", `/v1/creations/${id}/share`, as(ada));
      const token = share.body.token as string;
      expect((await s("GET", `/v1/shared/${token}`)).status).toBe(200);
      expect((await s("GET", `/v1/shared/${token}/file`)).status).toBe(200);
      expect((await s("DELETE", `/v1/creations/${id}/share`, as(ada))).body.share).toBeNull();
      expect((await s("GET", `/v1/shared/${token}`)).status).toBe(404);

      // Tokens
      for (let i = 0; i < 300; i++) {
        const job = await call(target, "GET", `/v1/generations/${queued.body.id}`, as(ada));
        if (job.body.status === "succeeded") break;
        expect(["queued", "running"]).toContain(job.body.status);
        await new Promise((r) => setTimeout(r, 100));
      }
      // 20 starter tokens, two image runs of 4.
      expect((await s("GET", "/v1/tokens/balance", as(ada))).body).toEqual({ available: 12, held: 0 });
      expect((await s("GET", "/v1/tokens/history", as(ada))).status).toBe(200);
      expect((await s("GET", "/v1/tokens/packs")).body.payments_enabled).toBe(true);
      const checkout = await s("POST", "/v1/tokens/checkout", as(ada, { json: { pack_id: "starter" } }));
      expect(checkout.status).toBe(201);
      expect((await s("GET", `/v1/tokens/checkout/${checkout.body.id}`, as(ada))).status).toBe(200);
      const event = stripeEvent("checkout.session.completed", { ...fake.sessions.get(checkout.body.id), status: "complete", payment_status: "paid" });
      const hook = (signatureHeader: string | null) =>
        s("POST", "/v1/hooks/stripe", {
          raw: event.payload,
          contentType: "application/json",
          headers: signatureHeader === null ? {} : { "stripe-signature": signatureHeader },
        });
      expect((await hook(null)).status).toBe(400);
      expect((await hook(signature(event.payload))).status).toBe(200);
      expect((await s("POST", "/v1/admin/grants", as(root, { json: { handle: ada.handle, tokens: 5, reason: "contract" } }))).status).toBe(201);
      expect((await s("POST", "/v1/admin/grants", as(bob, { json: { handle: ada.handle, tokens: 5, reason: "contract" } }))).status).toBe(403);

      // An archived agent no longer runs.
      expect((await s("POST", `/v1/agents/${agent.body.id}/archive`, as(ada))).body.archived_at).not.toBeNull();
      expect((await s("POST", "/v1/generations", as(ada, { json: request }))).status).toBe(409);
    } finally {
      await target.close();
      await fake.close();
    }
  });

  test("runs through fork, lineage, tree, records and keys", async () => {
    const ada = await register(server, uniqueHandle("ada"));
    const bob = await register(server, uniqueHandle("bob"));
    const as = (who: { apiKey: string }, options: RequestOptions = {}) => ({ ...options, apiKey: who.apiKey });
    const writer = await step("POST", "/v1/agents", as(ada, { json: { name: "Verse writer", kind: "text", cost_tokens: 1 } }));
    const made = await step("POST", "/v1/generations", as(ada, { json: { agent_id: writer.body.id, prompt: "a lighthouse" }, headers: { prefer: "wait=30" } }));
    const original = made.body.creation_id as string;
    // Bob cannot fork Ada's draft; once it is published he can.
    expect((await step("POST", `/v1/creations/${original}/fork`, as(bob, { json: { agent_id: writer.body.id, prompt: "x" } }))).status).toBe(404);
    await step("POST", `/v1/creations/${original}/publish`, as(ada));
    expect((await step("POST", `/v1/creations/${original}/fork`, as(bob, { json: { agent_id: writer.body.id, prompt: "x", extra: 1 } }))).status).toBe(400);
    const forked = await step("POST", `/v1/creations/${original}/fork`, as(bob, { json: { agent_id: writer.body.id, prompt: "the same, as a poem" }, headers: { prefer: "wait=30" } }));
    expect(forked.status).toBe(200);
    const queued = await step("POST", `/v1/creations/${original}/fork`, as(bob, { json: { agent_id: writer.body.id, prompt: "again" } }));
    expect([200, 202]).toContain(queued.status);
    const fork = forked.body.creation_id as string;

    expect((await step("GET", `/v1/creations/${fork}/lineage`, as(bob))).body.steps).toHaveLength(2);
    expect((await step("GET", `/v1/creations/${fork}/lineage`)).status).toBe(404);
    expect((await step("GET", `/v1/creations/${original}/tree?depth=2&limit=10`, as(bob))).body.count).toBeGreaterThanOrEqual(2);
    expect((await step("GET", `/v1/creations/${original}/tree?depth=99`)).status).toBe(400);
    expect((await step("GET", `/v1/creations/${fork}/record`, as(bob))).body.prev_record_hash).toMatch(/^sha256:/);
    expect((await step("GET", `/v1/creations/${fork}/record`)).status).toBe(404);
    const keys = await step("GET", "/v1/lineage/keys");
    expect(keys.body.keys.length).toBeGreaterThanOrEqual(1);
  });

  test("runs through the wall: geometry, items and aggregate tiles, batches, locate", async () => {
    const ada = await register(server, uniqueHandle("wall"));
    const key = { apiKey: ada.apiKey };
    const agent = await call(server, "POST", "/v1/agents", {
      ...key,
      json: { name: "Wall painter", kind: "image", prompt_template: "{{prompt}}", cost_tokens: 1, default_parameters: { width: 64, height: 64 } },
    });
    const job = await call(server, "POST", "/v1/generations", { ...key, json: { agent_id: agent.body.id, prompt: "a wall" }, headers: { prefer: "wait=30" } });
    const id = job.body.creation_id as string;
    expect((await call(server, "POST", `/v1/creations/${id}/publish`, key)).status).toBe(200);

    expect((await step("GET", "/v1/wall")).body.counts.creations).toBeGreaterThanOrEqual(1);
    const located = await step("GET", `/v1/wall/locate?creation=${id}`);
    expect(located.status).toBe(200);
    expect((await step("GET", `/v1/wall/locate?agent=${agent.body.id}`)).status).toBe(200);
    expect((await step("GET", `/v1/wall/locate?handle=${ada.handle}`)).body.type).toBe("home");
    expect((await step("GET", "/v1/wall/locate")).status).toBe(400);
    expect((await step("GET", "/v1/wall/locate?creation=cr_00000000000000000000000000")).status).toBe(404);

    const items = await step("GET", `/v1/wall/tiles/${located.body.tile}`);
    expect(items.body.postits.map((p: { id: string }) => p.id)).toContain(id);
    expect((await step("GET", `/v1/wall/tiles/${located.body.tile}`, { headers: { "if-none-match": items.headers.get("etag")! } })).status).toBe(304);
    expect((await step("GET", "/v1/wall/tiles/3/0/0?kinds=image,video")).body.type).toBe("aggregate");
    expect((await step("GET", "/v1/wall/tiles/12/99999999/0")).status).toBe(400);
    const batch = await step("GET", `/v1/wall/tiles?keys=0/0/0,${located.body.tile}`);
    expect(batch.body.tiles.map((t: { type: string }) => t.type)).toEqual(["aggregate", "items"]);
    expect((await step("GET", `/v1/wall/tiles?keys=0/0/0,${located.body.tile}`, { headers: { "if-none-match": batch.headers.get("etag")! } })).status).toBe(304);
    expect((await step("GET", "/v1/wall/tiles?keys=99/0/0")).status).toBe(400);
  }, 60_000);

  test("runs through search: accounts and published creations, filters, pages", async () => {
    const word = `contractsearch${Date.now().toString(36)}`;
    const ada = await register(server, uniqueHandle("find"));
    const key = { apiKey: ada.apiKey };
    const agent = await call(server, "POST", "/v1/agents", {
      ...key,
      json: { name: "Search painter", kind: "image", cost_tokens: 1, default_parameters: { width: 64, height: 64 } },
    });
    for (const prompt of [`${word} lighthouse`, `${word} harbour`]) {
      const job = await call(server, "POST", "/v1/generations", { ...key, json: { agent_id: agent.body.id, prompt }, headers: { prefer: "wait=30" } });
      expect((await call(server, "POST", `/v1/creations/${job.body.creation_id}/publish`, key)).status).toBe(200);
    }
    const first = await step("GET", `/v1/search?q=${word}&limit=1`);
    expect(first.body.data[0]).toMatchObject({ type: "creation", kind: "image", location: { x: expect.any(Number) } });
    const second = await step("GET", `/v1/search?q=${word}&limit=1&cursor=${first.body.next_cursor}`, key);
    expect(second.body.next_cursor).toBeNull();
    expect((await step("GET", `/v1/search?q=${ada.handle}&type=account`)).body.data[0].type).toBe("account");
    expect((await step("GET", `/v1/search?q=${word}&kind=voice`)).body.data).toEqual([]);
    expect((await step("GET", "/v1/search?q=")).status).toBe(400);
    expect((await step("GET", `/v1/search?q=${word}&type=account&kind=image`)).status).toBe(400);
    expect((await step("GET", "/v1/search?q=x", { apiKey: "oto_nope" })).status).toBe(401);
  }, 60_000);

  test("every operation was exercised", () => {
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
