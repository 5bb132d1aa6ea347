import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Oto,
  OtoConflictError,
  OtoGenerationFailedError,
  OtoInsufficientTokensError,
  OtoNotFoundError,
  OtoPermissionError,
  type Agent,
  type Generation,
  type OutputKind,
} from "../src/index.js";
import { type RunningServer, startTestServer } from "./support/real-server.js";

// Agents, generations, creations, tokens and admin through the SDK against the real server (built
// @oto/server, in-memory PGlite, or PostgreSQL when OTO_TEST_DATABASE_URL is set), local provider.


const password = "correct horse battery staple";
const STARTER = 50;
const COST: Record<OutputKind, number> = { text: 1, image: 4, voice: 3, video: 10 };

/** What the first bytes of each kind's file must be, so the file opens in its usual player. */
function expectPlayable(kind: OutputKind, bytes: Uint8Array, mediaType: string): void {
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString("latin1");
  if (kind === "text") {
    expect(mediaType).toMatch(/^text\/markdown/);
    expect(Buffer.from(bytes).toString("utf8")).toMatch(/^#|\S/);
  } else if (kind === "image") {
    expect(mediaType).toBe("image/png");
    expect(ascii(1, 4)).toBe("PNG");
  } else if (kind === "voice") {
    expect(mediaType).toBe("audio/wav");
    expect([ascii(0, 4), ascii(8, 12)]).toEqual(["RIFF", "WAVE"]);
  } else {
    expect(["image/webp", "video/webm"]).toContain(mediaType);
  }
}

describe("SDK: agents → generations → creations → tokens, on the real server", () => {
  let server: RunningServer;
  let ada: Oto;
  let anonymous: Oto;
  const agents = {} as Record<OutputKind, Agent>;
  const made = {} as Record<OutputKind, Generation>;

  beforeAll(async () => {
    server = await startTestServer({ OTO_ADMIN_HANDLES: "root", OTO_STARTER_TOKENS: String(STARTER) });
    anonymous = new Oto({ baseUrl: server.url, apiKey: "" });
    const { api_key } = await anonymous.register({ handle: "ada", password });
    ada = new Oto({ baseUrl: server.url, apiKey: api_key.secret });
  }, 60_000);
  afterAll(() => server?.close());

  it("creates an agent of each kind, with the kind's standard cost", async () => {
    for (const kind of ["text", "image", "voice", "video"] as const) {
      agents[kind] = await ada.agents.create({ name: `Local ${kind}`, kind });
      expect(agents[kind]).toMatchObject({ kind, cost_tokens: COST[kind], provider: { type: "local" } });
    }
    const mine = [];
    for await (const agent of ada.agents.listAll({ owner: "me", limit: 2 })) mine.push(agent.kind);
    expect(mine.sort()).toEqual(["image", "text", "video", "voice"]);
    await expect(anonymous.agents.get(agents.image.id)).resolves.toMatchObject({ name: "Local image" });
  });

  it("quotes a run without holding anything", async () => {
    const quote = await ada.generations.quote({ agent_id: agents.video.id, prompt: "waves" });
    expect(quote).toEqual({ tokens: COST.video, available: STARTER, sufficient: true });
    expect(await ada.tokens.balance()).toEqual({ available: STARTER, held: 0 });
  });

  it("generateAndWait makes one creation of each kind, reporting progress, and its file downloads intact", async () => {
    for (const kind of ["text", "image", "voice", "video"] as const) {
      const seen: Generation[] = [];
      const done = await ada.generateAndWait(
        { agent_id: agents[kind].id, prompt: `a lighthouse, as ${kind}` },
        { onProgress: (g) => seen.push(g) },
      );
      made[kind] = done;
      expect(done).toMatchObject({ status: "succeeded", cost: { quoted: COST[kind], held: 0, charged: COST[kind] } });
      expect(seen[0]?.status).toMatch(/queued|running/);
      expect(seen.at(-1)).toEqual(done);

      const creation = await ada.creations.get(done.creation_id as string);
      const file = await ada.creations.download(creation.id);
      expect(createHash("sha256").update(file.bytes).digest("hex")).toBe(creation.file.sha256);
      expect(file).toMatchObject({ sha256: creation.file.sha256, filename: creation.file.filename, status: 200 });
      expect(file.bytes.byteLength).toBe(creation.file.size_bytes);
      expect(file.mediaType).toBe(creation.file.media_type);
      expectPlayable(kind, file.bytes, file.mediaType);
    }
  }, 120_000);

  it("the balance moved by exactly the prices, with a hold and a capture per job", async () => {
    const spent = COST.text + COST.image + COST.voice + COST.video;
    expect(await ada.tokens.balance()).toEqual({ available: STARTER - spent, held: 0 });
    const entries = [];
    for await (const entry of ada.tokens.historyAll({ limit: 3 })) entries.push(entry);
    for (const kind of ["text", "image", "voice", "video"] as const) {
      const forJob = entries.filter((entry) => entry.job_id === made[kind].id).map((entry) => entry.kind);
      expect(forJob.sort()).toEqual(["capture", "hold"]);
    }
    expect(entries.at(-1)).toMatchObject({ kind: "starter_grant", amount: STARTER });
  });

  it("downloads a byte range and streams a file", async () => {
    const id = made.voice.creation_id as string;
    const whole = await ada.creations.download(id);
    const part = await ada.creations.download(id, { range: { start: 10, end: 109 } });
    expect(part.status).toBe(206);
    expect(part.range).toEqual({ start: 10, end: 109, size: whole.bytes.byteLength });
    expect(Buffer.from(part.bytes).equals(Buffer.from(whole.bytes.subarray(10, 110)))).toBe(true);

    const streamed = await ada.creations.download(id, { stream: true });
    const bytes = Buffer.from(await new Response(streamed.stream).arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(whole.sha256);
    const error = await ada.creations.download(id, { range: { start: 10_000_000 } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 416, code: "range_not_satisfiable" });
  });

  it("serves a WebP thumbnail for an image; none for text", async () => {
    const thumbnail = await ada.creations.thumbnail(made.image.creation_id as string);
    expect(thumbnail.mediaType).toBe("image/webp");
    expect(Buffer.from(thumbnail.bytes.subarray(8, 12)).toString("latin1")).toBe("WEBP");
    await expect(ada.creations.thumbnail(made.text.creation_id as string)).rejects.toBeInstanceOf(OtoNotFoundError);
  });

  it("drafts are private; publish shows a creation to anyone, unpublish hides it again", async () => {
    const id = made.image.creation_id as string;
    await expect(anonymous.creations.get(id)).rejects.toBeInstanceOf(OtoNotFoundError);
    expect((await ada.creations.list({ state: "draft", kind: "image" })).data.map((c) => c.id)).toContain(id);

    expect(await ada.creations.publish(id)).toMatchObject({ id, state: "published" });
    await expect(anonymous.creations.get(id)).resolves.toMatchObject({ id, state: "published", share: null });
    expect((await anonymous.creations.download(id)).sha256).toBe((await ada.creations.get(id)).file.sha256);

    expect(await ada.creations.unpublish(id)).toMatchObject({ state: "draft", published_at: null });
    await expect(anonymous.creations.get(id)).rejects.toBeInstanceOf(OtoNotFoundError);
  });

  it("a share link opens without an account until it is revoked", async () => {
    const id = made.text.creation_id as string;
    const share = await ada.creations.share(id);
    expect(share.token).toMatch(/^s_[0-9A-Za-z]{32}$/);
    expect(await ada.creations.share(id)).toEqual(share);

    await expect(anonymous.shared.get(share.token)).resolves.toMatchObject({ id });
    const file = await anonymous.shared.download(share.token);
    expect(file.sha256).toBe((await ada.creations.get(id)).file.sha256);

    expect((await ada.creations.revokeShare(id)).share).toBeNull();
    await expect(anonymous.shared.get(share.token)).rejects.toBeInstanceOf(OtoNotFoundError);
  });

  it("follows events, waits with Prefer: wait, cancels, and forks from a creation", async () => {
    const waited = await ada.generations.create(
      { agent_id: agents.text.id, prompt: "a haiku", inputs: [made.text.creation_id as string] },
      { wait: 30 },
    );
    expect(waited).toMatchObject({ status: "succeeded", inputs: [made.text.creation_id] });
    expect((await ada.creations.get(waited.creation_id as string)).sources).toEqual([made.text.creation_id]);

    const ended: string[] = [];
    for await (const g of ada.generations.events(waited.id)) ended.push(g.status);
    expect(ended).toEqual(["succeeded"]);
    expect((await ada.generations.cancel(waited.id)).status).toBe("succeeded");

    const before = await ada.tokens.balance();
    const queued = await ada.generations.create({ agent_id: agents.text.id, prompt: "never mind" });
    const canceled = await ada.generations.cancel(queued.id);
    // The local provider is quick: the job may have ended before the cancel. Either way the ledger adds up.
    expect(["canceled", "succeeded"]).toContain(canceled.status);
    const charged = canceled.status === "canceled" ? 0 : COST.text;
    expect(canceled.cost).toMatchObject({ held: 0, charged });
    expect(await ada.tokens.balance()).toEqual({ available: before.available - charged, held: 0 });
    if (canceled.status === "canceled") {
      await expect(ada.generations.wait(queued.id)).rejects.toMatchObject({ code: "canceled" });
    }
    const listed = await ada.generations.list({ limit: 100 });
    expect(listed.data.map((g) => g.id)).toContain(queued.id);
  }, 60_000);

  it("a job that fails rejects generateAndWait with OtoGenerationFailedError and costs nothing", async () => {
    // This server has no RunPod key: a RunPod agent's job fails, and its hold is released.
    const remote = await ada.agents.create({
      name: "Remote",
      kind: "text",
      provider: { type: "runpod", endpoint_id: "e1" },
    });
    const before = await ada.tokens.balance();
    const error = await ada.generateAndWait({ agent_id: remote.id, prompt: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoGenerationFailedError);
    const failed = error as OtoGenerationFailedError;
    expect(failed.generation).toMatchObject({ status: "failed", cost: { charged: 0, held: 0 } });
    expect(failed.code).toBe(failed.generation.error?.code);
    expect(await ada.tokens.balance()).toEqual(before);
  });

  it("402 names the price and the balance; archived agents do not run", async () => {
    const pricey = await ada.agents.create({ name: "Pricey", kind: "image", cost_tokens: 10_000 });
    const error = await ada.generations.create({ agent_id: pricey.id, prompt: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoInsufficientTokensError);
    expect((error as OtoInsufficientTokensError).problem).toMatchObject({
      price: 10_000,
      available: expect.any(Number),
    });

    const updated = await ada.agents.update(pricey.id, { cost_tokens: 0, description: "free now" });
    expect(updated).toMatchObject({ cost_tokens: 0, description: "free now", kind: "image" });
    const archived = await ada.agents.archive(pricey.id);
    expect(archived.archived_at).toEqual(expect.any(String));
    await expect(ada.generations.create({ agent_id: pricey.id, prompt: "x" })).rejects.toBeInstanceOf(OtoConflictError);
  });

  it("lists packs; buying answers payments_not_configured without Stripe keys", async () => {
    const packs = await anonymous.tokens.packs();
    expect(packs.payments_enabled).toBe(false);
    expect(packs.data.length).toBeGreaterThan(0);
    const error = await ada.tokens.checkout({ pack_id: packs.data[0]?.id as string }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: "payments_not_configured" });
  });

  it("admin.grant credits an account (admin role only)", async () => {
    const { api_key } = await anonymous.register({ handle: "root", password });
    const root = new Oto({ baseUrl: server.url, apiKey: api_key.secret });
    const before = await ada.tokens.balance();
    const entry = await root.admin.grant({ handle: "ada", tokens: 25, reason: "e2e" });
    expect(entry).toMatchObject({ kind: "adjustment", amount: 25, available_after: before.available + 25 });
    expect((await ada.tokens.balance()).available).toBe(before.available + 25);
    await expect(ada.admin.grant({ handle: "root", tokens: 5, reason: "me too" })).rejects.toBeInstanceOf(
      OtoPermissionError,
    );
  });
});
