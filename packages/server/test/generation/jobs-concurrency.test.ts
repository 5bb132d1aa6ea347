// The money test: 200 generation requests at once against a balance that pays for 50.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, register } from "../helpers.js";
import { balance, createAgent, waitForJob } from "./jobs-support.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "50" });
});
afterAll(async () => {
  await server?.close();
});

test("200 concurrent requests against a balance for 50: exactly 50 jobs run, the rest get 402, the balance ends at 0", async () => {
  const me = await register(server);
  const agent = await createAgent(server, me.apiKey, { name: "one token", kind: "text" });
  expect(agent.cost_tokens).toBe(1);
  expect(await balance(server, me.apiKey)).toEqual({ available: 50, held: 0 });

  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      call(server, "POST", "/v1/generations", { apiKey: me.apiKey, json: { agent_id: agent.id, prompt: `request ${i}` } }),
    ),
  );
  const accepted = answers.filter((a) => a.status === 202);
  const refused = answers.filter((a) => a.status === 402);
  expect(accepted).toHaveLength(50);
  expect(refused).toHaveLength(150);
  for (const r of refused) {
    expect(r.body).toMatchObject({ code: "insufficient_tokens", price: 1 });
    expect(r.body.available).toBeGreaterThanOrEqual(0);
  }

  const jobs = await Promise.all(accepted.map((a) => waitForJob(server, me.apiKey, a.body.id, { timeoutMs: 120_000 })));
  expect(jobs.every((j) => j.status === "succeeded" && j.cost.charged === 1)).toBe(true);

  const rows = await server.app.db.query<{ n: number; creations: number }>(
    `SELECT count(*)::int AS n, count(creation_id)::int AS creations FROM generation_jobs WHERE account_id = $1`,
    [me.accountId],
  );
  expect(rows[0]).toEqual({ n: 50, creations: 50 });
  const entries = await server.app.db.query<{ kind: string; n: number }>(
    `SELECT kind, count(*)::int AS n FROM ledger_entries WHERE account_id = $1 GROUP BY kind ORDER BY kind`,
    [me.accountId],
  );
  expect(entries).toEqual([
    { kind: "capture", n: 50 },
    { kind: "hold", n: 50 },
    { kind: "starter_grant", n: 1 },
  ]);
  expect(await balance(server, me.apiKey)).toEqual({ available: 0, held: 0 });
}, 180_000);
