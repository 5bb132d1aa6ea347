import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AGENT_PALETTE, defaultAgentColor } from "../../src/agents/defaults.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, expectProblem, register, uniqueHandle } from "../helpers.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000" });
});
afterAll(async () => {
  await server?.close();
});

async function agentCount(): Promise<number> {
  const rows = await server.app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM agents");
  return rows[0]!.n;
}

async function create(apiKey: string, body: Record<string, unknown>) {
  return call(server, "POST", "/v1/agents", { apiKey, json: body });
}

describe("create", () => {
  test("fills in the defaults: local provider, {{prompt}} template, a golden colour from the name, the kind's price", async () => {
    const me = await register(server);
    const costs = { text: 1, image: 4, voice: 3, video: 10 } as const;
    for (const kind of ["text", "image", "voice", "video"] as const) {
      const res = await create(me.apiKey, { name: `My ${kind} agent`, kind });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: `My ${kind} agent`,
        description: "",
        kind,
        provider: { type: "local" },
        prompt_template: "{{prompt}}",
        default_parameters: {},
        cost_tokens: costs[kind],
        archived_at: null,
        owner: { id: me.accountId, handle: me.handle, display_name: me.handle },
      });
      expect(res.body.id).toMatch(/^ag_[0-9a-z]{26}$/);
      expect(AGENT_PALETTE).toContain(res.body.color);
      expect(res.body.color).toBe(defaultAgentColor(`My ${kind} agent`));
      expect(res.body.created_at).toBe(res.body.updated_at);
    }
  });

  test("the same name always gets the same colour, and names spread over the palette", () => {
    expect(defaultAgentColor("Ink sketcher")).toBe(defaultAgentColor("  ink SKETCHER "));
    const colours = new Set(Array.from({ length: 60 }, (_, i) => defaultAgentColor(`agent ${i}`)));
    expect(colours.size).toBeGreaterThan(6);
    for (const colour of colours) expect(colour).toMatch(/^#[0-9a-f]{6}$/);
  });

  test("keeps every field it is given, RunPod provider included", async () => {
    const me = await register(server);
    const body = {
      name: "Ink sketcher",
      description: "Pen-and-ink sketches of anything.",
      kind: "image",
      provider: { type: "runpod", endpoint_id: "abc123xyz", model: "sdxl-turbo" },
      prompt_template: "a pen and ink sketch of {{prompt}} in {{style}} style",
      default_parameters: { width: 768, height: 512, seed: 7 },
      color: "#123abc",
      cost_tokens: 0,
    };
    const res = await create(me.apiKey, body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(body);
    const got = await call(server, "GET", `/v1/agents/${res.body.id}`, { apiKey: me.apiKey });
    expect(got.body).toEqual(res.body);
  });

  test("refuses a template without {{prompt}}, parameters of another kind and a blank name; writes nothing", async () => {
    const me = await register(server);
    const before = await agentCount();

    const noPrompt = await create(me.apiKey, { name: "x", kind: "text", prompt_template: "write about {{topic}}" });
    expectProblem(noPrompt, 400, "validation_failed");
    expect(noPrompt.body.errors).toEqual([{ location: "body/prompt_template", message: expect.stringContaining("{{prompt}}") }]);

    const wrongParams = await create(me.apiKey, {
      name: "x",
      kind: "image",
      default_parameters: { width: 512, max_words: 100, fps: 12 },
    });
    expectProblem(wrongParams, 400, "validation_failed");
    expect(wrongParams.body.errors.map((e: { location: string }) => e.location)).toEqual([
      "body/default_parameters/max_words",
      "body/default_parameters/fps",
    ]);

    const voice = await create(me.apiKey, { name: "x", kind: "voice", default_parameters: { width: 512 } });
    expect(voice.body.errors).toEqual([
      { location: "body/default_parameters/width", message: expect.stringContaining("duration_s, seed") },
    ]);

    const blank = await create(me.apiKey, { name: "   ", kind: "text" });
    expectProblem(blank, 400, "validation_failed");
    expect(blank.body.errors[0].location).toBe("body/name");

    // The schema's own checks: unknown kind, out-of-range value, unknown field.
    expectProblem(await create(me.apiKey, { name: "x", kind: "music" }), 400, "validation_failed");
    expectProblem(await create(me.apiKey, { name: "x", kind: "text", default_parameters: { max_words: 5 } }), 400, "validation_failed");
    expectProblem(await create(me.apiKey, { name: "x", kind: "text", colour: "#ffffff" }), 400, "validation_failed");
    expectProblem(
      await create(me.apiKey, { name: "x", kind: "text", provider: { type: "runpod" } }),
      400,
      "validation_failed",
    );

    expect(await agentCount()).toBe(before);
  });

  test("needs an API key", async () => {
    expectProblem(await call(server, "POST", "/v1/agents", { json: { name: "x", kind: "text" } }), 401, "missing_api_key");
  });
});

describe("get and list", () => {
  test("anyone can read any agent; an unknown one is 404", async () => {
    const owner = await register(server);
    const other = await register(server);
    const agent = (await create(owner.apiKey, { name: "Shared", kind: "text" })).body;
    const got = await call(server, "GET", `/v1/agents/${agent.id}`, { apiKey: other.apiKey });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(agent);
    expectProblem(
      await call(server, "GET", "/v1/agents/ag_00000000000000000000000000", { apiKey: other.apiKey }),
      404,
      "not_found",
    );
    expectProblem(await call(server, "GET", "/v1/agents/nope", { apiKey: other.apiKey }), 400, "validation_failed");
  });

  test("owner=me, owner=<handle>, kind and include_archived filter; newest first; pages follow next_cursor", async () => {
    const me = await register(server, uniqueHandle("lister"));
    const other = await register(server);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await create(me.apiKey, { name: `text ${i}`, kind: "text" })).body.id);
    }
    const image = (await create(me.apiKey, { name: "picture", kind: "image" })).body.id;
    const gone = (await create(me.apiKey, { name: "old", kind: "text" })).body.id;
    expect((await call(server, "POST", `/v1/agents/${gone}/archive`, { apiKey: me.apiKey })).status).toBe(200);
    const theirs = (await create(other.apiKey, { name: "theirs", kind: "text" })).body.id;

    const listIds = async (query: string, apiKey = other.apiKey) => {
      const res = await call(server, "GET", `/v1/agents${query}`, { apiKey });
      expect(res.status).toBe(200);
      return res.body.data.map((a: { id: string }) => a.id) as string[];
    };

    expect(await listIds("?owner=me", me.apiKey)).toEqual([image, ...[...ids].reverse()]);
    expect(await listIds("?owner=me&include_archived=true", me.apiKey)).toEqual([gone, image, ...[...ids].reverse()]);
    expect(await listIds(`?owner=${me.handle}`)).toEqual([image, ...[...ids].reverse()]);
    // Handles match in any case; archived agents never show to others.
    expect(await listIds(`?owner=${me.handle.toUpperCase()}&include_archived=true`)).toEqual([image, ...[...ids].reverse()]);
    expect(await listIds(`?owner=${me.handle}&kind=image`)).toEqual([image]);
    expect(await listIds("?owner=nobody_here_at_all")).toEqual([]);

    const everyone = await listIds("?limit=100");
    expect(everyone).toContain(theirs);
    expect(everyone).toContain(image);
    expect(everyone).not.toContain(gone);

    // Pages of 2 over my 6 active agents.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?owner=me&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await call(server, "GET", `/v1/agents${query}`, { apiKey: me.apiKey });
      seen.push(...res.body.data.map((a: { id: string }) => a.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([image, ...[...ids].reverse()]);

    expectProblem(await call(server, "GET", "/v1/agents?cursor=bogus", { apiKey: me.apiKey }), 400, "validation_failed");
  });
});

describe("update", () => {
  test("changes the given fields and updated_at; the kind never changes", async () => {
    const me = await register(server);
    const agent = (await create(me.apiKey, { name: "Before", kind: "image", default_parameters: { width: 512 } })).body;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const res = await call(server, "PATCH", `/v1/agents/${agent.id}`, {
      apiKey: me.apiKey,
      json: {
        name: "After",
        description: "now wider",
        default_parameters: { width: 1024, height: 512 },
        prompt_template: "wide shot of {{prompt}}",
        cost_tokens: 6,
        color: "#abcdef",
        provider: { type: "runpod", endpoint_id: "ep_1" },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: agent.id,
      name: "After",
      description: "now wider",
      kind: "image",
      default_parameters: { width: 1024, height: 512 },
      prompt_template: "wide shot of {{prompt}}",
      cost_tokens: 6,
      color: "#abcdef",
      provider: { type: "runpod", endpoint_id: "ep_1" },
      created_at: agent.created_at,
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(agent.updated_at));

    const kind = await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: me.apiKey, json: { kind: "text" } });
    expectProblem(kind, 400, "validation_failed");
    expectProblem(await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: me.apiKey, json: {} }), 400, "validation_failed");
  });

  test("checks the template and the parameters against the agent's kind", async () => {
    const me = await register(server);
    const agent = (await create(me.apiKey, { name: "Voice", kind: "voice" })).body;
    const badTemplate = await call(server, "PATCH", `/v1/agents/${agent.id}`, {
      apiKey: me.apiKey,
      json: { prompt_template: "no placeholder" },
    });
    expectProblem(badTemplate, 400, "validation_failed");
    expect(badTemplate.body.errors[0].location).toBe("body/prompt_template");
    const badParams = await call(server, "PATCH", `/v1/agents/${agent.id}`, {
      apiKey: me.apiKey,
      json: { default_parameters: { duration_s: 5, height: 100 } },
    });
    expectProblem(badParams, 400, "validation_failed");
    expect(badParams.body.errors).toEqual([{ location: "body/default_parameters/height", message: expect.any(String) }]);
    const unchanged = await call(server, "GET", `/v1/agents/${agent.id}`, { apiKey: me.apiKey });
    expect(unchanged.body).toEqual(agent);
  });

  test("only the owner may change it (403), an unknown agent is 404, an archived one 409", async () => {
    const owner = await register(server);
    const other = await register(server);
    const agent = (await create(owner.apiKey, { name: "Mine", kind: "text" })).body;
    expectProblem(
      await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: other.apiKey, json: { name: "Hijacked" } }),
      403,
      "forbidden",
    );
    expectProblem(
      await call(server, "PATCH", "/v1/agents/ag_00000000000000000000000000", { apiKey: owner.apiKey, json: { name: "x" } }),
      404,
      "not_found",
    );
    await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: owner.apiKey });
    expectProblem(
      await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: owner.apiKey, json: { name: "Revived" } }),
      409,
      "invalid_state",
    );
    const got = await call(server, "GET", `/v1/agents/${agent.id}`, { apiKey: owner.apiKey });
    expect(got.body.name).toBe("Mine");
  });
});

describe("archive", () => {
  test("is idempotent, owner only, and keeps the agent readable", async () => {
    const owner = await register(server);
    const other = await register(server);
    const agent = (await create(owner.apiKey, { name: "Retiring", kind: "video" })).body;

    expectProblem(await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: other.apiKey }), 403, "forbidden");
    const first = await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: owner.apiKey });
    expect(first.status).toBe(200);
    expect(first.body.archived_at).toEqual(expect.any(String));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: owner.apiKey });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);

    const got = await call(server, "GET", `/v1/agents/${agent.id}`, { apiKey: other.apiKey });
    expect(got.body.archived_at).toBe(first.body.archived_at);
    expectProblem(
      await call(server, "POST", "/v1/agents/ag_00000000000000000000000000/archive", { apiKey: owner.apiKey }),
      404,
      "not_found",
    );
  });
});

describe("without an account", () => {
  test("agents can be listed and read anonymously; owner=me needs a key; writes need one", async () => {
    const owner = await register(server);
    const agent = (await create(owner.apiKey, { name: "Open book", kind: "text" })).body;
    const got = await call(server, "GET", `/v1/agents/${agent.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(agent);
    const byOwner = await call(server, "GET", `/v1/agents?owner=${owner.handle}`);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.data.map((a: { id: string }) => a.id)).toEqual([agent.id]);
    const everyone = await call(server, "GET", "/v1/agents?kind=text&limit=100");
    expect(everyone.body.data.map((a: { id: string }) => a.id)).toContain(agent.id);
    expectProblem(await call(server, "GET", "/v1/agents?owner=me"), 401, "missing_api_key");
    expectProblem(await call(server, "GET", "/v1/agents", { apiKey: "oto_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }), 401, "invalid_api_key");
    expectProblem(await call(server, "PATCH", `/v1/agents/${agent.id}`, { json: { name: "x" } }), 401, "missing_api_key");
    expectProblem(await call(server, "POST", `/v1/agents/${agent.id}/archive`), 401, "missing_api_key");
  });

  test("browsers on an allowed origin may PATCH (CORS preflight)", async () => {
    const cors = await startTestServer({ OTO_CORS_ORIGINS: "https://wall.example" });
    try {
      const res = await fetch(`${cors.url}/v1/agents/ag_00000000000000000000000000`, {
        method: "OPTIONS",
        headers: {
          origin: "https://wall.example",
          "access-control-request-method": "PATCH",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://wall.example");
      expect(res.headers.get("access-control-allow-methods")).toMatch(/PATCH/);
    } finally {
      await cors.close();
    }
  });
});
