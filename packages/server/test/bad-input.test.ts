import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { type RequestOptions, call, expectProblem, register, rowCounts, uniqueHandle } from "./helpers.js";
import { operations, resolve } from "./spec-validator.js";

// Every operation with a JSON body and every operation behind bearerAuth comes from the spec, so a
// new operation is covered (or fails here for want of a sample) without editing this file.
const SAMPLE_BODIES: Record<string, Record<string, unknown>> = {
  register: { handle: "sample_handle", password: "a long enough password", display_name: "Sample" },
  login: { handle: "sample_handle", password: "a long enough password", key_name: "laptop" },
  createApiKey: { name: "ci" },
  createAgent: { name: "Sample agent", kind: "text", description: "a sample", cost_tokens: 1 },
  updateAgent: { description: "a new description" },
  quoteGeneration: { agent_id: "ag_00000000000000000000000000", prompt: "a sample prompt" },
  createGeneration: { agent_id: "ag_00000000000000000000000000", prompt: "a sample prompt" },
  forkCreation: { agent_id: "ag_00000000000000000000000000", prompt: "a sample prompt" },
  createCheckout: { pack_id: "starter" },
  adminGrantTokens: { handle: "sample_handle", tokens: 5, reason: "sample" },
};

// Webhooks take whatever JSON their sender (Stripe, RunPod) posts and are authenticated by a
// signature or a per-job token instead; their own tests cover bad input.
const WEBHOOKS = new Set(["stripeWebhook", "runpodWebhook"]);

const withBody = operations.filter((o) => o.op.requestBody && !WEBHOOKS.has(o.operationId));
// Operations that need a key (optional-auth ones, which also list `{}`, answer anonymous callers).
const secured = operations.filter((o) => {
  const requirements: object[] = o.op.security ?? [{ bearerAuth: [] }];
  return requirements.length > 0 && requirements.every((r) => "bearerAuth" in r);
});

const PATH_SAMPLES: Record<string, string> = {
  key_id: "key_00000000000000000000000000",
  agent_id: "ag_00000000000000000000000000",
  job_id: "job_00000000000000000000000000",
  creation_id: "cr_00000000000000000000000000",
  share_token: `s_${"0".repeat(32)}`,
  session_id: "cs_test_sample",
  z: "12",
  x: "0",
  y: "0",
};

function concretePath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const sample = PATH_SAMPLES[name];
    if (!sample) throw new Error(`no sample value for path parameter ${name}`);
    return sample;
  });
}

function bodySchema(o: (typeof operations)[number]): { properties: Record<string, { type?: string }> } {
  const schema = o.op.requestBody.content["application/json"].schema;
  return schema.$ref ? resolve(schema.$ref) : schema;
}

let server: RunningServer;
let apiKey: string;
let revokedKey: string;

beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_BODY_LIMIT: "2048" });
  const account = await register(server, uniqueHandle("bad"));
  apiKey = account.apiKey;
  const second = await call(server, "POST", "/v1/api-keys", { apiKey, json: { name: "to revoke" } });
  revokedKey = second.body.secret;
  expect((await call(server, "DELETE", `/v1/api-keys/${second.body.id}`, { apiKey })).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

/** Sends the request, checks the problem answer, and checks that no table changed. */
async function expectRejected(
  method: string,
  path: string,
  options: RequestOptions,
  status: number,
  code: string,
): Promise<void> {
  const before = await rowCounts(server);
  const res = await call(server, method, path, {
    ...options,
    headers: { "idempotency-key": `bad-${Math.random()}`, ...options.headers },
  });
  expectProblem(res, status, code);
  expect(await rowCounts(server)).toEqual(before);
}

test("the spec gives the cases something to cover", () => {
  expect(withBody.map((o) => o.operationId).sort()).toEqual(Object.keys(SAMPLE_BODIES).sort());
  expect(secured.length).toBeGreaterThanOrEqual(4);
});

describe.each(withBody.map((o) => [o.operationId, o] as const))("%s body", (operationId, o) => {
  const path = concretePath(o.path);
  const auth = () => (secured.includes(o) ? { apiKey } : {});
  const sample = SAMPLE_BODIES[operationId]!;

  test("malformed JSON → 400 malformed_json", async () => {
    await expectRejected(o.method, path, { ...auth(), raw: '{"handle": "x",', contentType: "application/json" }, 400, "malformed_json");
  });

  test("empty JSON body → 400 malformed_json", async () => {
    await expectRejected(o.method, path, { ...auth(), raw: "", contentType: "application/json" }, 400, "malformed_json");
  });

  test("no body at all → 400 validation_failed", async () => {
    await expectRejected(o.method, path, { ...auth() }, 400, "validation_failed");
  });

  test.each([["null"], ["[]"], ['"text"'], ["42"]])("JSON %s instead of an object → 400 validation_failed", async (raw) => {
    await expectRejected(o.method, path, { ...auth(), raw, contentType: "application/json" }, 400, "validation_failed");
  });

  test("every field with a wrong type → 400 validation_failed naming the field (no coercion)", async () => {
    for (const [field, schema] of Object.entries(bodySchema(o).properties)) {
      const wrong = schema.type === "string" || !schema.type ? 12345 : "not the right type";
      const before = await rowCounts(server);
      const res = await call(server, o.method, path, { ...auth(), json: { ...sample, [field]: wrong } });
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors).toContainEqual({ location: `body/${field}`, message: expect.any(String) });
      expect(await rowCounts(server)).toEqual(before);
    }
  });

  test("a missing required field → 400 validation_failed", async () => {
    const required = (bodySchema(o) as { required?: string[] }).required ?? [];
    for (const field of required) {
      const { [field]: _, ...rest } = sample;
      const before = await rowCounts(server);
      const res = await call(server, o.method, path, { ...auth(), json: rest });
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors).toContainEqual({ location: `body/${field}`, message: "is required" });
      expect(await rowCounts(server)).toEqual(before);
    }
  });

  test("an unknown field is rejected, not dropped → 400 validation_failed", async () => {
    const before = await rowCounts(server);
    const res = await call(server, o.method, path, { ...auth(), json: { ...sample, is_admin: true } });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors).toContainEqual({ location: "body/is_admin", message: "is not a known field" });
    expect(await rowCounts(server)).toEqual(before);
  });

  test("a body over OTO_BODY_LIMIT → 413 payload_too_large", async () => {
    const big = JSON.stringify({ ...sample, padding: "x".repeat(4096) });
    await expectRejected(o.method, path, { ...auth(), raw: big, contentType: "application/json" }, 413, "payload_too_large");
  });

  test.each([
    ["text/plain"],
    ["application/x-www-form-urlencoded"],
    ["application/xml"],
    ["multipart/form-data; boundary=x"],
    ["application/problem+json"],
    ["application/merge-patch+json"],
  ])(
    "content type %s → 415 unsupported_media_type",
    async (contentType) => {
      await expectRejected(o.method, path, { ...auth(), raw: JSON.stringify(sample), contentType }, 415, "unsupported_media_type");
    },
  );

  test("a body without a content type → 415 unsupported_media_type", async () => {
    await expectRejected(o.method, path, { ...auth(), raw: JSON.stringify(sample) }, 415, "unsupported_media_type");
  });

  test("a bad Idempotency-Key header → 400 validation_failed", async () => {
    const declared = (o.op.parameters ?? []).some((p: { $ref?: string }) => p.$ref === "#/components/parameters/IdempotencyKey");
    if (!declared) return; // PATCH and the like take no Idempotency-Key
    await expectRejected(
      o.method,
      path,
      { ...auth(), json: sample, headers: { "idempotency-key": "has spaces in it" } },
      400,
      "validation_failed",
    );
  });
});

describe.each(secured.map((o) => [o.operationId, o] as const))("%s authentication", (operationId, o) => {
  const path = concretePath(o.path);
  const body = SAMPLE_BODIES[operationId] ? { json: SAMPLE_BODIES[operationId] } : {};

  test("no Authorization header → 401 missing_api_key", async () => {
    await expectRejected(o.method, path, { ...body }, 401, "missing_api_key");
  });

  test.each([
    ["Bearer not-a-key"],
    ["Basic dXNlcjpwYXNz"],
    ["Bearer"],
    ["Bearer oto_abcdefgh_tooShort"],
    ["Bearer oto_ABCDEFGH_0123456789abcdef0123456789abcdef"],
  ])("a malformed key (%s) → 401 invalid_api_key", async (authorization) => {
    await expectRejected(o.method, path, { ...body, headers: { authorization } }, 401, "invalid_api_key");
  });

  test("a well-formed but unknown key → 401 invalid_api_key", async () => {
    await expectRejected(o.method, path, { ...body, apiKey: "oto_zzzzzzzz_0123456789abcdefABCDEF0123456789" }, 401, "invalid_api_key");
  });

  test("a known prefix with a wrong secret → 401 invalid_api_key", async () => {
    const forged = `${apiKey.slice(0, 13)}${"A".repeat(32)}`;
    await expectRejected(o.method, path, { ...body, apiKey: forged }, 401, "invalid_api_key");
  });

  test("a revoked key → 401 invalid_api_key", async () => {
    await expectRejected(o.method, path, { ...body, apiKey: revokedKey }, 401, "invalid_api_key");
  });

  test("authentication is checked before the body", async () => {
    if (!o.op.requestBody) return;
    await expectRejected(o.method, path, { raw: "{oops", contentType: "application/json" }, 401, "missing_api_key");
  });
});

describe("query and path parameters", () => {
  test.each([["limit=0"], ["limit=101"], ["limit=abc"], ["limit=1.5"], ["cursor="], ["cursor=bm90IGEgY3Vyc29y"]])(
    "GET /v1/api-keys?%s → 400 validation_failed",
    async (query) => {
      await expectRejected("GET", `/v1/api-keys?${query}`, { apiKey }, 400, "validation_failed");
    },
  );

  test("a malformed key id → 400 validation_failed at path/key_id", async () => {
    const res = await call(server, "DELETE", "/v1/api-keys/acc_123", { apiKey });
    expectProblem(res, 400, "validation_failed");
    expect(res.body.errors[0].location).toBe("path/key_id");
  });
});
