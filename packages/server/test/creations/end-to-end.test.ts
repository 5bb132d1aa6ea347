// From a generation request to a creation, through the real job service and local provider: one creation of each
// kind, stored with its sniffed type, dimensions, durations and thumbnails; downloadable, publishable, shareable;
// and usable as a fork input only by its author until it is published.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type Registered, call, register } from "../helpers.js";
import { getBytes, sha256 } from "./support.js";

let server: RunningServer;
let alice: Registered;
let bob: Registered;

beforeAll(async () => {
  server = await startTestServer({ OTO_STARTER_TOKENS: "100" });
  alice = await register(server);
  bob = await register(server);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

async function agent(apiKey: string, kind: string, parameters: Record<string, number> = {}): Promise<string> {
  const res = await call(server, "POST", "/v1/agents", {
    apiKey,
    json: { name: `${kind} maker`, kind, cost_tokens: 1, default_parameters: parameters, color: "#336699" },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** Runs a generation and waits for it (Prefer: wait); answers the succeeded job. */
async function generate(apiKey: string, agentId: string, prompt: string, inputs: string[] = []) {
  const res = await call(server, "POST", "/v1/generations", {
    apiKey,
    json: { agent_id: agentId, prompt, ...(inputs.length > 0 ? { inputs } : {}) },
    headers: { prefer: "wait=60" },
  });
  return res;
}

describe("generation → creation", () => {
  const creations = new Map<string, any>();

  it("makes one draft creation per kind with the sniffed type and the file's facts", async () => {
    const cases: { kind: string; parameters: Record<string, number>; mediaType: string }[] = [
      { kind: "text", parameters: {}, mediaType: "text/markdown; charset=utf-8" },
      { kind: "image", parameters: { width: 320, height: 240 }, mediaType: "image/png" },
      { kind: "voice", parameters: { duration_s: 2 }, mediaType: "audio/wav" },
      { kind: "video", parameters: { width: 160, height: 90, duration_s: 1 }, mediaType: "image/webp" },
    ];
    for (const c of cases) {
      const agentId = await agent(alice.apiKey, c.kind, c.parameters);
      const job = await generate(alice.apiKey, agentId, `a ${c.kind} about the sea`);
      expect(job.status, job.text).toBe(200);
      expect(job.body.status).toBe("succeeded");
      const creation = await call(server, "GET", `/v1/creations/${job.body.creation_id}`, { apiKey: alice.apiKey });
      expect(creation.status).toBe(200);
      expect(creation.body).toMatchObject({
        kind: c.kind,
        state: "draft",
        job_id: job.body.id,
        title: `a ${c.kind} about the sea`,
        agents: [{ id: agentId, kind: c.kind, color: "#336699" }],
        generator_notice: expect.stringContaining("not AI"),
        file: { media_type: c.mediaType },
      });
      creations.set(c.kind, creation.body);
    }
    expect(creations.get("image").file).toMatchObject({ width: 320, height: 240, has_thumbnail: true, duration_s: null });
    expect(creations.get("voice").file).toMatchObject({ has_thumbnail: false, width: null });
    expect(creations.get("voice").file.duration_s).toBeCloseTo(2, 2);
    expect(creations.get("video").file).toMatchObject({ width: 160, height: 90, has_thumbnail: true });
    expect(creations.get("video").file.duration_s).toBeCloseTo(1, 1);
    expect(creations.get("text").file).toMatchObject({ has_thumbnail: false });
    expect(creations.get("text").file.filename).toMatch(/\.md$/);
  }, 120_000);

  it("downloads each file intact, with a poster for the video", async () => {
    for (const creation of creations.values()) {
      const file = await getBytes(server, `/v1/creations/${creation.id}/file`, { apiKey: alice.apiKey });
      expect(file.status).toBe(200);
      expect(sha256(file.bytes)).toBe(creation.file.sha256);
      expect(file.headers.get("content-type")).toBe(creation.file.media_type);
    }
    const poster = await getBytes(server, `/v1/creations/${creations.get("video").id}/thumbnail`, { apiKey: alice.apiKey });
    const meta = await sharp(poster.bytes, { animated: true }).metadata();
    expect([meta.format, meta.pages ?? 1, meta.width]).toEqual(["webp", 1, 160]);
  });

  it("lets only the author fork a draft; anyone may fork it once published", async () => {
    const image = creations.get("image");
    const bobsAgent = await agent(bob.apiKey, "image", { width: 128, height: 128 });
    const refused = await generate(bob.apiKey, bobsAgent, "a fork of a draft", [image.id]);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);

    expect((await call(server, "POST", `/v1/creations/${image.id}/publish`, { apiKey: alice.apiKey })).status).toBe(200);
    const fork = await generate(bob.apiKey, bobsAgent, "a fork of a published picture", [image.id]);
    expect(fork.status, fork.text).toBe(200);
    const forked = await call(server, "GET", `/v1/creations/${fork.body.creation_id}`, { apiKey: bob.apiKey });
    expect(forked.body).toMatchObject({ sources: [image.id], author: { id: bob.accountId }, state: "draft" });
    expect((await call(server, "GET", `/v1/creations/${fork.body.creation_id}`, { apiKey: alice.apiKey })).status).toBe(404);
  }, 120_000);

  it("shares a generated voice by link, readable and seekable without an account", async () => {
    const voice = creations.get("voice");
    const share = await call(server, "POST", `/v1/creations/${voice.id}/share`, { apiKey: alice.apiKey });
    const file = await getBytes(server, new URL(share.body.file_url).pathname, { headers: { range: "bytes=0-11" } });
    expect(file.status).toBe(206);
    expect(new TextDecoder().decode(file.bytes)).toBe("RIFF" + new TextDecoder().decode(file.bytes.subarray(4, 8)) + "WAVE");
    await call(server, "DELETE", `/v1/creations/${voice.id}/share`, { apiKey: alice.apiKey });
    expect((await getBytes(server, new URL(share.body.file_url).pathname)).status).toBe(404);
  });
});
