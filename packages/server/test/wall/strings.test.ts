import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { FORK_STRING_COLOUR } from "../../src/wall/strings.js";
import { call, register } from "../helpers.js";
import { changesFor, draft, makeAgent, publish, unpublish } from "./pinning-support.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "100" });
});
afterAll(async () => {
  await server?.close();
});

async function stringsTo(id: string) {
  return server.app.db.query<{ id: string; type: string; from_id: string; to_id: string; colour: string }>(
    "SELECT id, type, from_id, to_id, colour FROM wall_strings WHERE to_id = $1 ORDER BY id",
    [id],
  );
}

describe("strings", () => {
  test("publishing stores one made_with string per distinct agent and one forked_from per source, and touches their ends", async () => {
    const alice = await register(server);
    const bob = await register(server);
    const red = await makeAgent(server, alice.apiKey, { color: "#cc2200" });
    const blue = await makeAgent(server, bob.apiKey, { color: "#0044cc" });
    const source = await draft(server, bob.accountId, { agentIds: [blue.id] });
    await publish(server, bob.apiKey, source);

    const fork = await draft(server, alice.accountId, { agentIds: [red.id, blue.id, red.id], sourceIds: [source, source] });
    expect(await stringsTo(fork)).toEqual([]);
    await publish(server, alice.apiKey, fork);
    expect(await stringsTo(fork)).toEqual(
      [
        { id: `fork:${fork}:${source}`, type: "forked_from", from_id: source, to_id: fork, colour: FORK_STRING_COLOUR },
        { id: `made:${fork}:${blue.id}`, type: "made_with", from_id: blue.id, to_id: fork, colour: "#0044cc" },
        { id: `made:${fork}:${red.id}`, type: "made_with", from_id: red.id, to_id: fork, colour: "#cc2200" },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await changesFor(server, red.id)).toEqual(["place", "touch"]);
    expect(await changesFor(server, blue.id)).toEqual(["place", "touch", "touch"]);
    expect(await changesFor(server, source)).toEqual(["place", "touch"]);

    // Unpublishing deletes the strings ending at it and touches their other ends.
    await unpublish(server, alice.apiKey, fork);
    expect(await stringsTo(fork)).toEqual([]);
    expect(await changesFor(server, red.id)).toEqual(["place", "touch", "touch"]);
    expect(await changesFor(server, source)).toEqual(["place", "touch", "touch"]);
    expect(await changesFor(server, fork)).toEqual(["place", "remove"]);
  });

  test("a made_with string takes the agent's colour as the job recorded it", async () => {
    const carol = await register(server);
    const agent = await makeAgent(server, carol.apiKey, { color: "#112233" });
    const job = await call(server, "POST", "/v1/generations", {
      apiKey: carol.apiKey,
      json: { agent_id: agent.id, prompt: "a string test" },
      headers: { prefer: "wait=60" },
    });
    expect(job.status, job.text).toBe(200);
    expect(job.body.status).toBe("succeeded");
    // Recoloured after the job ran: the job's snapshot wins.
    const patched = await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: carol.apiKey, json: { color: "#445566" } });
    expect(patched.status).toBe(200);
    await publish(server, carol.apiKey, job.body.creation_id);
    expect((await stringsTo(job.body.creation_id)).map((s) => [s.type, s.from_id, s.colour])).toEqual([
      ["made_with", agent.id, "#112233"],
    ]);
  });

  test("strings from a creation to its forks are kept while it is off the wall, and its forks are touched", async () => {
    const dan = await register(server);
    const source = await draft(server, dan.accountId);
    await publish(server, dan.apiKey, source);
    const fork = await draft(server, dan.accountId, { sourceIds: [source] });
    await publish(server, dan.apiKey, fork);

    await unpublish(server, dan.apiKey, source);
    expect(await stringsTo(fork)).toHaveLength(1);
    expect(await changesFor(server, fork)).toEqual(["place", "touch"]);
    await publish(server, dan.apiKey, source);
    expect(await changesFor(server, fork)).toEqual(["place", "touch", "touch"]);

    // A fork published while its source is a draft: the string is stored (served once both ends are pinned).
    await unpublish(server, dan.apiKey, source);
    const late = await draft(server, dan.accountId, { sourceIds: [source] });
    await publish(server, dan.apiKey, late);
    expect((await stringsTo(late)).map((s) => s.from_id)).toEqual([source]);
    expect(await changesFor(server, source)).toEqual(["place", "touch", "remove", "place", "remove"]);
  });
});
