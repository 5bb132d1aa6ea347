// Generation jobs end to end with the local provider, through real HTTP: job → creation → tokens.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, expectProblem, register } from "../helpers.js";
import {
  balance,
  createAgent,
  expectCharged,
  expectRefunded,
  generate,
  getJob,
  jobEntries,
  readEvents,
  waitForJob,
} from "./jobs-support.js";

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "100" });
});
afterAll(async () => {
  await server?.close();
});

async function jobCount(): Promise<number> {
  const rows = await server.app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM generation_jobs");
  return rows[0]!.n;
}

describe("a run of each kind", () => {
  const cases = [
    { kind: "text", price: 1, parameters: { max_words: 40 }, media: /^text\/markdown/ },
    { kind: "image", price: 4, parameters: { width: 96, height: 64 }, media: /^image\/png$/ },
    { kind: "voice", price: 3, parameters: { duration_s: 1 }, media: /^audio\/(wav|x-wav|wave)$/ },
    { kind: "video", price: 10, parameters: { width: 64, height: 64, duration_s: 1, fps: 4 }, media: /^(video\/|image\/webp)/ },
  ] as const;

  for (const c of cases) {
    test(`${c.kind}: job → draft creation, balance moved by exactly ${c.price}`, async () => {
      const me = await register(server);
      const agent = await createAgent(server, me.apiKey, {
        name: `${c.kind} maker`,
        kind: c.kind,
        prompt_template: "{{prompt}}, in the style of {{style}}",
      });
      const before = await balance(server, me.apiKey);
      expect(before).toEqual({ available: 100, held: 0 });

      const res = await call(server, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: agent.id, prompt: "a lighthouse in a storm", variables: { style: "woodcut" }, parameters: c.parameters },
      });
      expect(res.status).toBe(202);
      const created = res.body;
      expect(res.headers.get("location")).toBe(`/v1/generations/${created.id}`);
      expect(created).toMatchObject({
        status: "queued",
        agent: { id: agent.id, name: agent.name, kind: c.kind, color: agent.color },
        provider: "local",
        prompt: "a lighthouse in a storm",
        parameters: c.parameters,
        inputs: [],
        error: null,
        cost: { quoted: c.price, held: c.price, charged: 0 },
        creation_id: null,
        started_at: null,
        finished_at: null,
      });
      expect(created.id).toMatch(/^job_[0-9a-z]{26}$/);

      const job = await waitForJob(server, me.apiKey, created.id);
      expect(job.status).toBe("succeeded");
      expect(job.progress).toBe(1);
      expect(job.started_at).toEqual(expect.any(String));
      expect(job.finished_at).toEqual(expect.any(String));
      await expectCharged(server, job);
      expect(await balance(server, me.apiKey)).toEqual({ available: 100 - c.price, held: 0 });

      const creation = await call(server, "GET", `/v1/creations/${job.creation_id}`, { apiKey: me.apiKey });
      expect(creation.status).toBe(200);
      expect(creation.body).toMatchObject({
        id: job.creation_id,
        job_id: job.id,
        kind: c.kind,
        state: "draft",
        prompt: "a lighthouse in a storm",
        generator_notice: expect.stringMatching(/not AI/),
      });
      expect(creation.body.file.media_type).toMatch(c.media);
      const file = await fetch(`${server.url}/v1/creations/${job.creation_id}/file`, {
        headers: { authorization: `Bearer ${me.apiKey}` },
      });
      expect(file.status).toBe(200);
      const bytes = new Uint8Array(await file.arrayBuffer());
      expect(bytes.byteLength).toBeGreaterThan(20);
      if (c.kind === "text") {
        // The template was filled in before the provider saw the prompt.
        expect(new TextDecoder().decode(bytes)).toMatch(/woodcut/i);
      }
    });
  }
});

describe("price", () => {
  test("quote tells the price and whether the balance covers it, holding nothing", async () => {
    const me = await register(server);
    const cheap = await createAgent(server, me.apiKey, { name: "cheap", kind: "text" });
    const dear = await createAgent(server, me.apiKey, { name: "dear", kind: "video", cost_tokens: 150 });
    const quote = await call(server, "POST", "/v1/generations/quote", {
      apiKey: me.apiKey,
      json: { agent_id: cheap.id, prompt: "hello" },
    });
    expect(quote.status).toBe(200);
    expect(quote.body).toEqual({ tokens: 1, available: 100, sufficient: true });
    const tooDear = await call(server, "POST", "/v1/generations/quote", {
      apiKey: me.apiKey,
      json: { agent_id: dear.id, prompt: "hello" },
    });
    expect(tooDear.body).toEqual({ tokens: 150, available: 100, sufficient: false });
    expect(await balance(server, me.apiKey)).toEqual({ available: 100, held: 0 });

    expectProblem(
      await call(server, "POST", "/v1/generations/quote", {
        apiKey: me.apiKey,
        json: { agent_id: "ag_00000000000000000000000000", prompt: "hello" },
      }),
      404,
      "not_found",
    );
  });

  test("402 insufficient_tokens with the price and the balance; no job, nothing held", async () => {
    const me = await register(server);
    const dear = await createAgent(server, me.apiKey, { name: "dear", kind: "image", cost_tokens: 101 });
    const before = await jobCount();
    const res = await call(server, "POST", "/v1/generations", { apiKey: me.apiKey, json: { agent_id: dear.id, prompt: "x" } });
    expectProblem(res, 402, "insufficient_tokens");
    expect(res.body).toMatchObject({ price: 101, available: 100 });
    expect(res.body.detail).toMatch(/101/);
    expect(await jobCount()).toBe(before);
    expect(await balance(server, me.apiKey)).toEqual({ available: 100, held: 0 });
  });

  test("a free agent runs without tokens", async () => {
    const me = await register(server);
    const free = await createAgent(server, me.apiKey, { name: "free", kind: "text", cost_tokens: 0 });
    const job = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: free.id, prompt: "gratis" })).id);
    expect(job.status).toBe("succeeded");
    expect(job.cost).toEqual({ quoted: 0, held: 0, charged: 0 });
    expect(await balance(server, me.apiKey)).toEqual({ available: 100, held: 0 });
  });
});

describe("what a run may ask for", () => {
  test("parameters of another kind, a missing template variable: 400 with the locations; nothing written", async () => {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "t", kind: "text", prompt_template: "{{prompt}} for {{audience}}" });
    const before = await jobCount();
    const wrong = await call(server, "POST", "/v1/generations", {
      apiKey: me.apiKey,
      json: { agent_id: agent.id, prompt: "x", parameters: { width: 100 } },
    });
    expectProblem(wrong, 400, "validation_failed");
    expect(wrong.body.errors).toEqual([
      { location: "body/parameters/width", message: expect.any(String) },
      { location: "body/variables/audience", message: expect.stringContaining("{{audience}}") },
    ]);
    expect(await jobCount()).toBe(before);
    expect(await balance(server, me.apiKey)).toEqual({ available: 100, held: 0 });
  });

  test("the agent's default parameters apply unless the request overrides them", async () => {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, {
      name: "img",
      kind: "image",
      default_parameters: { width: 128, height: 96, seed: 3 },
    });
    const job = await generate(server, me.apiKey, { agent_id: agent.id, prompt: "x", parameters: { height: 64 } });
    expect(job.parameters).toEqual({ width: 128, height: 64, seed: 3 });
    const done = await waitForJob(server, me.apiKey, job.id);
    const creation = await call(server, "GET", `/v1/creations/${done.creation_id}`, { apiKey: me.apiKey });
    expect(creation.body.file).toMatchObject({ width: 128, height: 64 });
  });

  test("an archived agent cannot run (409); an unknown one is 404", async () => {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "old", kind: "text" });
    await call(server, "POST", `/v1/agents/${agent.id}/archive`, { apiKey: me.apiKey });
    expectProblem(
      await call(server, "POST", "/v1/generations", { apiKey: me.apiKey, json: { agent_id: agent.id, prompt: "x" } }),
      409,
      "invalid_state",
    );
    expectProblem(
      await call(server, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: "ag_00000000000000000000000000", prompt: "x" },
      }),
      404,
      "not_found",
    );
  });

  test("anyone may run anyone's agent; the job shows the agent as it was when it ran", async () => {
    const owner = await register(server);
    const user = await register(server);
    const agent = await createAgent(server, owner.apiKey, { name: "Public helper", kind: "text", cost_tokens: 2 });
    const job = await generate(server, user.apiKey, { agent_id: agent.id, prompt: "borrowed" });
    await call(server, "PATCH", `/v1/agents/${agent.id}`, { apiKey: owner.apiKey, json: { name: "Renamed", cost_tokens: 9 } });
    const done = await waitForJob(server, user.apiKey, job.id);
    expect(done.agent.name).toBe("Public helper");
    expect(done.cost.charged).toBe(2);
    expect(await balance(server, user.apiKey)).toEqual({ available: 98, held: 0 });
    expect(await balance(server, owner.apiKey)).toEqual({ available: 100, held: 0 });
  });

  test("forks: your own creation or a published one as input; someone's draft is 404", async () => {
    const me = await register(server);
    const other = await register(server);
    const writer = await createAgent(server, me.apiKey, { name: "writer", kind: "text" });
    const painter = await createAgent(server, me.apiKey, { name: "painter", kind: "image" });
    const mine = await waitForJob(server, me.apiKey, (await generate(server, me.apiKey, { agent_id: writer.id, prompt: "a fox" })).id);
    const theirs = await waitForJob(server, other.apiKey, (await generate(server, other.apiKey, { agent_id: writer.id, prompt: "a hen" })).id);

    const fork = await generate(server, me.apiKey, { agent_id: painter.id, prompt: "illustrate it", inputs: [mine.creation_id] });
    expect(fork.inputs).toEqual([mine.creation_id]);
    const forked = await waitForJob(server, me.apiKey, fork.id);
    expect(forked.status).toBe("succeeded");
    const creation = await call(server, "GET", `/v1/creations/${forked.creation_id}`, { apiKey: me.apiKey });
    expect(creation.body.sources).toEqual([mine.creation_id]);
    expect(creation.body.agents.map((a: { id: string }) => a.id)).toEqual([painter.id]);

    const before = await jobCount();
    expectProblem(
      await call(server, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: painter.id, prompt: "steal it", inputs: [theirs.creation_id] },
      }),
      404,
      "not_found",
    );
    expect(await jobCount()).toBe(before);

    // Published, it is anyone's to start from.
    expect((await call(server, "POST", `/v1/creations/${theirs.creation_id}/publish`, { apiKey: other.apiKey })).status).toBe(200);
    const allowed = await generate(server, me.apiKey, { agent_id: painter.id, prompt: "remix", inputs: [theirs.creation_id] });
    expect((await waitForJob(server, me.apiKey, allowed.id)).status).toBe("succeeded");
  });
});

describe("read and list", () => {
  test("a job is its owner's only: 404 for anyone else; lists are newest first, by status, paged", async () => {
    const me = await register(server);
    const other = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "lister", kind: "text" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await generate(server, me.apiKey, { agent_id: agent.id, prompt: `p${i}` })).id);
    for (const id of ids) await waitForJob(server, me.apiKey, id);

    expectProblem(await call(server, "GET", `/v1/generations/${ids[0]}`, { apiKey: other.apiKey }), 404, "not_found");
    expectProblem(await call(server, "POST", `/v1/generations/${ids[0]}/cancel`, { apiKey: other.apiKey }), 404, "not_found");
    const theirList = await call(server, "GET", "/v1/generations", { apiKey: other.apiKey });
    expect(theirList.body).toEqual({ data: [], next_cursor: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2&status=succeeded${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await call(server, "GET", `/v1/generations${query}`, { apiKey: me.apiKey });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((j: { id: string }) => j.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const failed = await call(server, "GET", "/v1/generations?status=failed", { apiKey: me.apiKey });
    expect(failed.body.data).toEqual([]);
    expectProblem(await call(server, "GET", "/v1/generations?status=done", { apiKey: me.apiKey }), 400, "validation_failed");
  });
});

describe("Prefer: wait", () => {
  test("answers 200 with the ended job when it ends within the wait", async () => {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "quick", kind: "text" });
    const res = await call(server, "POST", "/v1/generations", {
      apiKey: me.apiKey,
      json: { agent_id: agent.id, prompt: "a haiku about tea" },
      headers: { prefer: "wait=20" },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("succeeded");
    expect(res.body.creation_id).toMatch(/^cr_/);
    expect(res.headers.get("location")).toBe(`/v1/generations/${res.body.id}`);
    await expectCharged(server, res.body);
    expectProblem(
      await call(server, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: agent.id, prompt: "x" },
        headers: { prefer: "wait=61" },
      }),
      400,
      "validation_failed",
    );
  });

  test("an idempotent retry replays the stored answer instead of running again", async () => {
    const me = await register(server);
    const agent = await createAgent(server, me.apiKey, { name: "once", kind: "text", cost_tokens: 5 });
    const send = () =>
      call(server, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: agent.id, prompt: "only once" },
        headers: { prefer: "wait=20", "idempotency-key": "gen-once-1" },
      });
    const first = await send();
    expect(first.status).toBe(200);
    const second = await send();
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.body.id).toBe(first.body.id);
    const list = await call(server, "GET", "/v1/generations", { apiKey: me.apiKey });
    expect(list.body.data).toHaveLength(1);
    expect(await balance(server, me.apiKey)).toEqual({ available: 95, held: 0 });
  });
});

describe("slow jobs (simulated local delay)", () => {
  let slow: RunningServer;
  beforeAll(async () => {
    slow = await startTestServer(
      { OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "20" },
      { generation: { localDelayMs: 1500, runner: { concurrency: 1 }, sseKeepAliveMs: 300 } },
    );
  });
  afterAll(async () => {
    await slow?.close();
  });

  test("a replayed 202 points at the same job (Location) and starts nothing", async () => {
    const me = await register(slow);
    const agent = await createAgent(slow, me.apiKey, { name: "slow replay", kind: "text" });
    const send = () =>
      call(slow, "POST", "/v1/generations", {
        apiKey: me.apiKey,
        json: { agent_id: agent.id, prompt: "once, later" },
        headers: { "idempotency-key": "gen-202-replay" },
      });
    const first = await send();
    expect(first.status).toBe(202);
    expect(first.headers.get("location")).toBe(`/v1/generations/${first.body.id}`);
    const again = await send();
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect((await call(slow, "GET", "/v1/generations", { apiKey: me.apiKey })).body.data).toHaveLength(1);
  });

  test("Prefer: wait shorter than the job answers 202 with the job still unfinished", async () => {
    const me = await register(slow);
    const agent = await createAgent(slow, me.apiKey, { name: "slow", kind: "text" });
    const res = await call(slow, "POST", "/v1/generations", {
      apiKey: me.apiKey,
      json: { agent_id: agent.id, prompt: "take your time" },
      headers: { prefer: "wait=1" },
    });
    expect(res.status).toBe(202);
    expect(["queued", "running"]).toContain(res.body.status);
    expect((await waitForJob(slow, me.apiKey, res.body.id)).status).toBe("succeeded");
  });

  test("the event stream shows queued → running → succeeded, then closes", async () => {
    const me = await register(slow);
    const agent = await createAgent(slow, me.apiKey, { name: "streamer", kind: "image" });
    // With one job at a time, the second waits (queued) while the first renders.
    const first = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "first" });
    const second = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "second" });
    const stream = await readEvents(slow, me.apiKey, second.id);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.events.every((e) => e.event === "generation" && e.data.id === second.id)).toBe(true);
    const statuses = stream.events.map((e) => e.data.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(statuses).toEqual(["queued", "running", "succeeded"]);
    const last = stream.events.at(-1)!.data;
    expect(last).toEqual(await getJob(slow, me.apiKey, second.id));
    expect(last.creation_id).toMatch(/^cr_/);
    // Progress is reported on the way and never goes back.
    const progress = stream.events.filter((e) => e.data.status === "running").map((e) => e.data.progress ?? 0);
    expect(progress.length).toBeGreaterThan(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    await waitForJob(slow, me.apiKey, first.id);

    // Idle moments carry keep-alive comments (every 300 ms on this server, 15 s by default).
    expect(stream.comments).toContain("keep-alive");

    // An ended job's stream is its one final event.
    const again = await readEvents(slow, me.apiKey, second.id);
    expect(again.events.map((e) => e.data.status)).toEqual(["succeeded"]);
    const other = await register(slow);
    expectProblem(await call(slow, "GET", `/v1/generations/${second.id}/events`, { apiKey: other.apiKey }), 404, "not_found");
  });

  test("a client that hangs up stops being followed", async () => {
    const me = await register(slow);
    const agent = await createAgent(slow, me.apiKey, { name: "hang-up", kind: "text" });
    const job = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "nobody listens" });
    const controller = new AbortController();
    const response = await fetch(`${slow.url}/v1/generations/${job.id}/events`, {
      headers: { authorization: `Bearer ${me.apiKey}` },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: generation\ndata: \{/);
    expect(slow.app.generation.hub.listenerCount(job.id)).toBe(1);
    controller.abort();
    const deadline = Date.now() + 5000;
    while (slow.app.generation.hub.listenerCount(job.id) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(slow.app.generation.hub.listenerCount(job.id)).toBe(0);
    expect((await waitForJob(slow, me.apiKey, job.id)).status).toBe("succeeded");
  });

  test("cancel releases the hold in full; canceling again, or an ended job, answers it unchanged", async () => {
    const me = await register(slow);
    const agent = await createAgent(slow, me.apiKey, { name: "cancelable", kind: "voice" });
    const job = await generate(slow, me.apiKey, { agent_id: agent.id, prompt: "a long speech" });
    await waitForJob(slow, me.apiKey, job.id, { done: (j) => j.status === "running" });
    expect(await balance(slow, me.apiKey)).toEqual({ available: 17, held: 3 });

    const canceled = await call(slow, "POST", `/v1/generations/${job.id}/cancel`, { apiKey: me.apiKey });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: "canceled", error: null, creation_id: null });
    expect(canceled.body.finished_at).toEqual(expect.any(String));
    await expectRefunded(slow, canceled.body);
    expect(await balance(slow, me.apiKey)).toEqual({ available: 20, held: 0 });

    const again = await call(slow, "POST", `/v1/generations/${job.id}/cancel`, { apiKey: me.apiKey });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(canceled.body);
    // The render stopped and nothing turns up later.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await getJob(slow, me.apiKey, job.id)).toEqual(canceled.body);
    expect(await jobEntries(slow, job.id)).toHaveLength(2);

    const quick = await createAgent(slow, me.apiKey, { name: "free", kind: "text", cost_tokens: 0 });
    const done = await waitForJob(slow, me.apiKey, (await generate(slow, me.apiKey, { agent_id: quick.id, prompt: "x" })).id);
    const cancelDone = await call(slow, "POST", `/v1/generations/${done.id}/cancel`, { apiKey: me.apiKey });
    expect(cancelDone.body).toEqual(done);
  });
});

test("closing the server ends open event streams at once and leaves the job for the next start", async () => {
  const local = await startTestServer(
    { OTO_AUTH_RATE_LIMIT: "10000", OTO_STARTER_TOKENS: "5" },
    { generation: { localDelayMs: 60_000 } },
  );
  const me = await register(local);
  const agent = await createAgent(local, me.apiKey, { name: "endless", kind: "text" });
  const job = await generate(local, me.apiKey, { agent_id: agent.id, prompt: "forever" });
  const events: string[] = [];
  const stream = readEvents(local, me.apiKey, job.id, (e) => events.push(e.data.status));
  await waitForJob(local, me.apiKey, job.id, { done: (j) => j.status === "running" });
  const started = Date.now();
  await local.close();
  expect(Date.now() - started).toBeLessThan(5000);
  const ended = await stream;
  expect(ended.events.length).toBeGreaterThan(0);
  expect(events.every((status) => status === "queued" || status === "running")).toBe(true);
});
