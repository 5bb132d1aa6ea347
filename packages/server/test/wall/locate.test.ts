import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { homeCell } from "../../src/wall/placement/index.js";
import { type Registered, call, expectProblem, register, uniqueHandle } from "../helpers.js";

describe("locateOnWall", () => {
  let server: RunningServer;
  let ada: Registered;

  beforeAll(async () => {
    server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1000" });
    ada = await register(server, uniqueHandle("ada"));
  });
  afterAll(async () => {
    await server.close();
  });

  test("a handle's home, whatever its case", async () => {
    const me = (await call(server, "GET", "/v1/me", { apiKey: ada.apiKey })).body;
    const res = await call(server, "GET", `/v1/wall/locate?handle=${ada.handle}`);
    expect(res.status).toBe(200);
    const home = homeCell(me.home.index);
    expect(res.body).toEqual({ type: "home", id: ada.accountId, x: home.x, y: home.y, size: 2640, tile: `12/${Math.floor(home.x / 3840)}/${Math.floor(home.y / 3840)}` });
    expect({ x: res.body.x, y: res.body.y }).toEqual({ x: me.home.x, y: me.home.y });
  });

  test("an agent's golden post-it", async () => {
    const agent = await call(server, "POST", "/v1/agents", { apiKey: ada.apiKey, json: { name: "Scribe", kind: "text", cost_tokens: 1, prompt_template: "{{prompt}}" } });
    expect(agent.status, agent.text).toBe(201);
    const res = await call(server, "GET", `/v1/wall/locate?agent=${agent.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: "agent", id: agent.body.id, x: agent.body.placement.x, y: agent.body.placement.y, size: 200 });
    // An agent id is not a creation.
    expectProblem(await call(server, "GET", `/v1/wall/locate?creation=cr_${agent.body.id.slice(3)}`), 404, "not_found");
  });

  test("404 for what is not on the wall, 400 unless exactly one of creation, agent, handle", async () => {
    expectProblem(await call(server, "GET", "/v1/wall/locate?creation=cr_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call(server, "GET", "/v1/wall/locate?agent=ag_00000000000000000000000000"), 404, "not_found");
    expectProblem(await call(server, "GET", "/v1/wall/locate?handle=nobody_here"), 404, "not_found");
    expectProblem(await call(server, "GET", "/v1/wall/locate"), 400, "validation_failed");
    expectProblem(await call(server, "GET", `/v1/wall/locate?handle=${ada.handle}&agent=ag_00000000000000000000000000`), 400, "validation_failed");
    expectProblem(await call(server, "GET", "/v1/wall/locate?creation=nope"), 400, "validation_failed");
  });
});
