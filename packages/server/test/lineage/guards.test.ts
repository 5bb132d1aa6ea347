// Lineage and tree stay bounded on data the API cannot make: a chain longer than the lineage cap, and sources
// that loop back (corrupted rows). Records of looping creations are still signed, once, without recursing forever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LINEAGE_STEPS } from "../../src/lineage/tree.js";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type Registered, call, register } from "../helpers.js";
import { seedCreation } from "../creations/support.js";

let server: RunningServer;
let ada: Registered;
const id = (n: number) => `cr_${String(n).padStart(26, "0")}`;

beforeAll(async () => {
  server = await startTestServer();
  ada = await register(server);
  const agent = await call(server, "POST", "/v1/agents", { apiKey: ada.apiKey, json: { name: "Writer", kind: "text" } });
  const seed = await seedCreation(server, ada.accountId, "text", "the first", { agentIds: [agent.body.id] });
  // A published chain of 1100 creations, each forked from the one before (same file, made in one statement).
  await server.app.db.query(
    `INSERT INTO creations (id, account_id, job_id, kind, title, prompt, agent_ids, source_ids, sha256, media_type,
       size_bytes, filename, state, published_at, created_at)
     SELECT 'cr_' || lpad(n::text, 26, '0'), c.account_id, c.job_id, c.kind, 'step ' || n, 'step ' || n, c.agent_ids,
            CASE WHEN n = 1 THEN '{}'::text[] ELSE ARRAY['cr_' || lpad((n - 1)::text, 26, '0')] END,
            c.sha256, c.media_type, c.size_bytes, c.filename, 'published', now(), now() + n * interval '1 ms'
       FROM creations c, generate_series(1, 1100) AS n WHERE c.id = $1`,
    [seed.id],
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("bounds", () => {
  it("cuts a very long lineage at its oldest end", async () => {
    const res = await call(server, "GET", `/v1/creations/${id(1100)}/lineage`);
    expect(res.status).toBe(200);
    expect(res.body.steps).toHaveLength(MAX_LINEAGE_STEPS);
    expect(res.body.steps.at(-1).creation_id).toBe(id(1100));
    expect(res.body.steps[0].creation_id).toBe(id(1100 - MAX_LINEAGE_STEPS + 1));
  });

  it("stops a deep tree at depth and limit, saying so", async () => {
    const deep = await call(server, "GET", `/v1/creations/${id(1)}/tree?depth=50`);
    expect(deep.body).toMatchObject({ count: 51, truncated: true });
    const limited = await call(server, "GET", `/v1/creations/${id(1)}/tree?limit=7`);
    expect(limited.body).toMatchObject({ count: 7, truncated: true });
    const whole = await call(server, "GET", `/v1/creations/${id(1090)}/tree`);
    expect(whole.body).toMatchObject({ count: 11, truncated: false });
  });

  it("ends lineage, tree and signing when sources loop", async () => {
    // 1098 → 1099 → 1100 → 1098
    await server.app.db.query("UPDATE creations SET source_ids = $2 WHERE id = $1", [id(1098), [id(1100)]]);
    const lineage = await call(server, "GET", `/v1/creations/${id(1100)}/lineage`);
    expect(lineage.body.steps.map((s: any) => s.creation_id)).toEqual([id(1098), id(1099), id(1100)]);
    const tree = await call(server, "GET", `/v1/creations/${id(1098)}/tree`);
    expect(tree.body).toMatchObject({ count: 3, truncated: false });

    const record = await call(server, "GET", `/v1/creations/${id(1100)}/record`);
    expect(record.status, record.text).toBe(200);
    expect(record.body.ingredients.map((i: any) => i.creation_id)).toEqual([id(1099)]);
    const rows = await server.app.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM creations WHERE lineage_record IS NOT NULL AND id = ANY($1)",
      [[id(1098), id(1099), id(1100)]],
    );
    expect(rows[0]!.n).toBe(3);
  });
});
