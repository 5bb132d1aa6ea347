// Every creations and shared operation over real HTTP: visibility (drafts are 404 to everyone but their author),
// optional authentication, downloads (headers, ETag/304, ranges 206/416), thumbnails, publish, share links.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { type Registered, call, expectProblem, register } from "../helpers.js";
import { type Seeded, getBytes, seedCreation, sha256 } from "./support.js";

let server: RunningServer;
let alice: Registered;
let bob: Registered;
let painter: { id: string; name: string; color: string };
let narrator: { id: string; name: string; color: string };
let image: Seeded;
let voice: Seeded;
let text: Seeded;
let video: Seeded;
let bobs: Seeded;

async function createAgent(apiKey: string, body: Record<string, unknown>) {
  const res = await call(server, "POST", "/v1/agents", { apiKey, json: body });
  if (res.status !== 201) throw new Error(`createAgent: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; color: string };
}

beforeAll(async () => {
  server = await startTestServer();
  alice = await register(server);
  bob = await register(server);
  painter = await createAgent(alice.apiKey, { name: "Painter", kind: "image", color: "#ff8800" });
  narrator = await createAgent(alice.apiKey, { name: "Narrator", kind: "voice", color: "#0088ff" });
  // Created one after the other, so the listing order (newest first) is known.
  image = await seedCreation(server, alice.accountId, "image", "A lighthouse at dusk, seen from the sea", {
    agentIds: [narrator.id, painter.id],
  });
  voice = await seedCreation(server, alice.accountId, "voice", "a calm voice", { agentIds: [narrator.id] });
  text = await seedCreation(server, alice.accountId, "text", "a story", { filename: "café ☕ story.md", sourceIds: [image.id] });
  video = await seedCreation(server, alice.accountId, "video", "orbits");
  bobs = await seedCreation(server, bob.accountId, "image", "bob's picture");
}, 60_000);

afterAll(async () => {
  await server?.close(); // fails if any response broke openapi.yaml
});

describe("getCreation: drafts are visible to their author only", () => {
  it("shows the author a draft with its file, agents in order, sources and provenance", async () => {
    const res = await call(server, "GET", `/v1/creations/${image.id}`, { apiKey: alice.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: image.id,
      author: { id: alice.accountId, handle: alice.handle },
      kind: "image",
      title: "A lighthouse at dusk, seen from the sea",
      state: "draft",
      published_at: null,
      share: null,
      sources: [],
      generator_notice: expect.stringContaining("not AI"),
      file: { sha256: image.sha256, media_type: "image/png", width: 640, height: 480, has_thumbnail: true, duration_s: null },
    });
    expect(res.body.agents).toEqual([
      { id: narrator.id, name: "Narrator", kind: "voice", color: "#0088ff" },
      { id: painter.id, name: "Painter", kind: "image", color: "#ff8800" },
    ]);
    expect(res.body.file.size_bytes).toBe(image.bytes.byteLength);
    expect(res.body.file.filename).toMatch(/\.png$/);
  });

  it("answers 404 for someone else's draft and for an anonymous caller, exactly as for a creation that does not exist", async () => {
    const asBob = await call(server, "GET", `/v1/creations/${image.id}`, { apiKey: bob.apiKey });
    const anonymous = await call(server, "GET", `/v1/creations/${image.id}`);
    const missingId = "cr_00000000000000000000000000";
    const missing = await call(server, "GET", `/v1/creations/${missingId}`, { apiKey: bob.apiKey });
    for (const res of [asBob, anonymous, missing]) expectProblem(res, 404, "not_found");
    expect(asBob.body.detail).toBe(missing.body.detail.replace(missingId, image.id));
  });

  it("answers 400 for a malformed id", async () => {
    expectProblem(await call(server, "GET", "/v1/creations/nope"), 400, "validation_failed");
  });
});

describe("optional authentication (security: [{}, {bearerAuth: []}])", () => {
  let published: Seeded;
  beforeAll(async () => {
    published = await seedCreation(server, alice.accountId, "image", "published for everyone");
    expect((await call(server, "POST", `/v1/creations/${published.id}/publish`, { apiKey: alice.apiKey })).status).toBe(200);
  });

  it("serves a published creation to anonymous callers and to other accounts, without its share link", async () => {
    await call(server, "POST", `/v1/creations/${published.id}/share`, { apiKey: alice.apiKey });
    const anonymous = await call(server, "GET", `/v1/creations/${published.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.state).toBe("published");
    expect(anonymous.body.share).toBeNull();
    const asBob = await call(server, "GET", `/v1/creations/${published.id}`, { apiKey: bob.apiKey });
    expect(asBob.status).toBe(200);
    expect(asBob.body.share).toBeNull();
    const asAlice = await call(server, "GET", `/v1/creations/${published.id}`, { apiKey: alice.apiKey });
    expect(asAlice.body.share?.token).toMatch(/^s_/);
  });

  it.each([
    ["a malformed key", "Bearer not-a-key"],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["an unknown key", "Bearer oto_zzzzzzzz_0123456789abcdefABCDEF0123456789"],
    ["an empty header", ""],
  ])("refuses %s with 401 even where anonymous callers are welcome", async (_, authorization) => {
    const res = await call(server, "GET", `/v1/creations/${published.id}`, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.body.code).toMatch(/^(invalid_api_key|missing_api_key)$/);
    const file = await getBytes(server, `/v1/creations/${published.id}/file`, { headers: { authorization } });
    expect(file.status).toBe(401);
  });

  it("refuses a revoked key with 401 invalid_api_key", async () => {
    const extra = await call(server, "POST", "/v1/api-keys", { apiKey: bob.apiKey, json: { name: "short-lived" } });
    await call(server, "DELETE", `/v1/api-keys/${extra.body.id}`, { apiKey: bob.apiKey });
    expectProblem(await call(server, "GET", `/v1/creations/${published.id}`, { apiKey: extra.body.secret }), 401, "invalid_api_key");
  });

  it("keeps author-only operations closed to anonymous callers", async () => {
    expectProblem(await call(server, "GET", "/v1/creations"), 401, "missing_api_key");
    expectProblem(await call(server, "POST", `/v1/creations/${published.id}/publish`), 401, "missing_api_key");
    expectProblem(await call(server, "POST", `/v1/creations/${published.id}/share`), 401, "missing_api_key");
    expectProblem(await call(server, "DELETE", `/v1/creations/${published.id}/share`), 401, "missing_api_key");
  });
});

describe("listCreations", () => {
  it("lists the caller's own creations, newest first, drafts and published", async () => {
    const res = await call(server, "GET", "/v1/creations?limit=100", { apiKey: alice.apiKey });
    expect(res.status).toBe(200);
    const ids = res.body.data.map((c: { id: string }) => c.id);
    expect(ids.slice(-4)).toEqual([video.id, text.id, voice.id, image.id]);
    expect(ids).not.toContain(bobs.id);
    const bobsList = await call(server, "GET", "/v1/creations", { apiKey: bob.apiKey });
    expect(bobsList.body.data.map((c: { id: string }) => c.id)).toEqual([bobs.id]);
    expect(bobsList.body.next_cursor).toBeNull();
  });

  it("filters by state and kind", async () => {
    const voices = await call(server, "GET", "/v1/creations?kind=voice", { apiKey: alice.apiKey });
    expect(voices.body.data.map((c: { id: string }) => c.id)).toEqual([voice.id]);
    expect(voices.body.data[0].agents).toEqual([{ id: narrator.id, name: "Narrator", kind: "voice", color: "#0088ff" }]);
    const published = await call(server, "GET", "/v1/creations?state=published", { apiKey: alice.apiKey });
    expect(published.body.data.every((c: { state: string }) => c.state === "published")).toBe(true);
    const drafts = await call(server, "GET", "/v1/creations?state=draft&kind=text", { apiKey: alice.apiKey });
    expect(drafts.body.data.map((c: { id: string }) => c.id)).toEqual([text.id]);
    expect(drafts.body.data[0].sources).toEqual([image.id]);
    expectProblem(await call(server, "GET", "/v1/creations?state=deleted", { apiKey: alice.apiKey }), 400, "validation_failed");
  });

  it("pages with next_cursor until null, each creation once", async () => {
    const all = (await call(server, "GET", "/v1/creations?limit=100", { apiKey: alice.apiKey })).body.data.map((c: { id: string }) => c.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await call(server, "GET", `/v1/creations?limit=2${query}`, { apiKey: alice.apiKey });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expectProblem(await call(server, "GET", "/v1/creations?cursor=bm90IGEgY3Vyc29y", { apiKey: alice.apiKey }), 400, "validation_failed");
  });
});

describe("downloadCreation", () => {
  it("sends the file with its sniffed type, a safe Content-Disposition, a strong ETag and range support", async () => {
    const res = await getBytes(server, `/v1/creations/${image.id}/file`, { apiKey: alice.apiKey });
    expect(res.status).toBe(200);
    expect(sha256(res.bytes)).toBe(image.sha256);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-length")).toBe(String(image.bytes.byteLength));
    expect(res.headers.get("etag")).toBe(`"${image.sha256}"`);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="a-lighthouse-at-dusk-seen-from-the-sea\.png"$/);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");

    const head = await fetch(`${server.url}/v1/creations/${image.id}/file`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${alice.apiKey}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(image.bytes.byteLength));
    expect(head.headers.get("etag")).toBe(`"${image.sha256}"`);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("offers inline display on request, and an RFC 6266 filename* for names beyond ASCII", async () => {
    const res = await getBytes(server, `/v1/creations/${text.id}/file?disposition=inline`, { apiKey: alice.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const disposition = res.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^inline; filename="cafe _ story\.md"; filename\*=UTF-8''caf%C3%A9%20%E2%98%95%20story\.md$/);
    expect(new TextDecoder().decode(res.bytes)).toContain("not AI");
  });

  it("answers 404 to others for a draft, and serves a published file to anyone with public caching", async () => {
    expect((await getBytes(server, `/v1/creations/${image.id}/file`, { apiKey: bob.apiKey })).status).toBe(404);
    expect((await getBytes(server, `/v1/creations/${image.id}/file`)).status).toBe(404);
    await call(server, "POST", `/v1/creations/${video.id}/publish`, { apiKey: alice.apiKey });
    const res = await getBytes(server, `/v1/creations/${video.id}/file`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(sha256(res.bytes)).toBe(video.sha256);
    await call(server, "POST", `/v1/creations/${video.id}/unpublish`, { apiKey: alice.apiKey });
  });

  it("answers If-None-Match with 304 (strong, weak or *), and sends the file for another tag", async () => {
    const path = `/v1/creations/${voice.id}/file`;
    for (const tag of [`"${voice.sha256}"`, `W/"${voice.sha256}"`, `"other", "${voice.sha256}"`, "*"]) {
      const res = await getBytes(server, path, { apiKey: alice.apiKey, headers: { "if-none-match": tag } });
      expect(res.status, tag).toBe(304);
      expect(res.bytes.byteLength).toBe(0);
      expect(res.headers.get("etag")).toBe(`"${voice.sha256}"`);
    }
    const other = await getBytes(server, path, { apiKey: alice.apiKey, headers: { "if-none-match": '"something-else"' } });
    expect(other.status).toBe(200);
    expect(other.bytes.byteLength).toBe(voice.bytes.byteLength);
  });

  it("sends one byte range with 206: the first bytes, a suffix, an open end", async () => {
    const path = `/v1/creations/${voice.id}/file`;
    const size = voice.bytes.byteLength;
    const cases: [string, number, number][] = [
      ["bytes=0-43", 0, 43],
      ["bytes=-100", size - 100, size - 1],
      ["bytes=1000-", 1000, size - 1],
      [`bytes=${size - 10}-${size + 500}`, size - 10, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await getBytes(server, path, { apiKey: alice.apiKey, headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get("content-length")).toBe(String(end - start + 1));
      expect(res.headers.get("etag")).toBe(`"${voice.sha256}"`);
      expect(res.headers.get("content-type")).toBe("audio/wav");
      expect(Buffer.from(res.bytes).equals(Buffer.from(voice.bytes.subarray(start, end + 1))), range).toBe(true);
    }
    const header = await getBytes(server, path, { apiKey: alice.apiKey, headers: { range: "bytes=0-3" } });
    expect(new TextDecoder().decode(header.bytes)).toBe("RIFF");
  });

  it("answers a range outside the file with 416 range_not_satisfiable and Content-Range: bytes */size", async () => {
    const size = voice.bytes.byteLength;
    const res = await call(server, "GET", `/v1/creations/${voice.id}/file`, {
      apiKey: alice.apiKey,
      headers: { range: `bytes=${size}-` },
    });
    expectProblem(res, 416, "range_not_satisfiable");
    expect(res.headers.get("content-range")).toBe(`bytes */${size}`);
    expect(res.headers.get("content-disposition")).toBeNull();
  });

  it("sends the whole file for several ranges, other units, unparsable ranges and a stale If-Range", async () => {
    const path = `/v1/creations/${voice.id}/file`;
    const variants: Record<string, string>[] = [
      { range: "bytes=0-1,5-9" },
      { range: "items=0-5" },
      { range: "bytes=garbage" },
      { range: "bytes=0-9", "if-range": '"stale"' },
    ];
    for (const headers of variants) {
      const res = await getBytes(server, path, { apiKey: alice.apiKey, headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.bytes.byteLength).toBe(voice.bytes.byteLength);
    }
    const current = await getBytes(server, path, { apiKey: alice.apiKey, headers: { range: "bytes=0-9", "if-range": `"${voice.sha256}"` } });
    expect(current.status).toBe(206);
  });
});

describe("getCreationThumbnail", () => {
  it("sends a WebP at most 512 px wide for an image and a poster for a video, with ETag and 304", async () => {
    for (const creation of [image, video]) {
      const res = await getBytes(server, `/v1/creations/${creation.id}/thumbnail`, { apiKey: alice.apiKey });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/webp");
      const meta = await sharp(res.bytes).metadata();
      expect(meta.format).toBe("webp");
      expect(meta.width).toBeLessThanOrEqual(512);
      const etag = res.headers.get("etag")!;
      expect(etag).toBe(`"${sha256(res.bytes)}"`);
      const again = await getBytes(server, `/v1/creations/${creation.id}/thumbnail`, {
        apiKey: alice.apiKey,
        headers: { "if-none-match": etag },
      });
      expect(again.status).toBe(304);
    }
  });

  it("answers 404 for text and voice, and for someone else's draft", async () => {
    expectProblem(await call(server, "GET", `/v1/creations/${text.id}/thumbnail`, { apiKey: alice.apiKey }), 404, "not_found");
    expectProblem(await call(server, "GET", `/v1/creations/${voice.id}/thumbnail`, { apiKey: alice.apiKey }), 404, "not_found");
    expectProblem(await call(server, "GET", `/v1/creations/${image.id}/thumbnail`, { apiKey: bob.apiKey }), 404, "not_found");
  });
});

describe("publishCreation / unpublishCreation", () => {
  it("publishes for everyone, idempotently; unpublishing hides it again at once", async () => {
    const first = await call(server, "POST", `/v1/creations/${voice.id}/publish`, { apiKey: alice.apiKey });
    expect(first.status).toBe(200);
    expect(first.body.state).toBe("published");
    expect(first.body.published_at).toEqual(expect.any(String));
    const again = await call(server, "POST", `/v1/creations/${voice.id}/publish`, { apiKey: alice.apiKey });
    expect(again.body.published_at).toBe(first.body.published_at);
    expect((await call(server, "GET", `/v1/creations/${voice.id}`)).status).toBe(200);

    const unpublished = await call(server, "POST", `/v1/creations/${voice.id}/unpublish`, { apiKey: alice.apiKey });
    expect(unpublished.body).toMatchObject({ state: "draft", published_at: null });
    expect((await call(server, "POST", `/v1/creations/${voice.id}/unpublish`, { apiKey: alice.apiKey })).body.state).toBe("draft");
    expectProblem(await call(server, "GET", `/v1/creations/${voice.id}`), 404, "not_found");
    expect((await getBytes(server, `/v1/creations/${voice.id}/file`)).status).toBe(404);
  });

  it("answers 404 when the creation is not the caller's, even a published one", async () => {
    expectProblem(await call(server, "POST", `/v1/creations/${image.id}/publish`, { apiKey: bob.apiKey }), 404, "not_found");
    await call(server, "POST", `/v1/creations/${bobs.id}/publish`, { apiKey: bob.apiKey });
    expectProblem(await call(server, "POST", `/v1/creations/${bobs.id}/unpublish`, { apiKey: alice.apiKey }), 404, "not_found");
    expect((await call(server, "GET", `/v1/creations/${bobs.id}`)).body.state).toBe("published");
  });
});

describe("share links", () => {
  it("opens a draft without an account, and stops working the moment it is revoked", async () => {
    const shared = await call(server, "POST", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey });
    expect(shared.status).toBe(200);
    const { token, url, file_url } = shared.body;
    expect(token).toMatch(/^s_[0-9A-Za-z]{32}$/);
    expect(url).toBe(`${server.url}/v1/shared/${token}`);
    expect(file_url).toBe(`${url}/file`);
    // Sharing again answers the same link.
    expect((await call(server, "POST", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey })).body.token).toBe(token);
    expect((await call(server, "GET", `/v1/creations/${image.id}`, { apiKey: alice.apiKey })).body.share).toEqual(shared.body);

    // No account: the creation (without the share field), the file, ranges.
    const opened = await call(server, "GET", `/v1/shared/${token}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ id: image.id, state: "draft", share: null });
    const file = await getBytes(server, `/v1/shared/${token}/file`);
    expect(file.status).toBe(200);
    expect(sha256(file.bytes)).toBe(image.sha256);
    expect(file.headers.get("cache-control")).toBe("private, no-cache");
    const part = await getBytes(server, `/v1/shared/${token}/file`, { headers: { range: "bytes=1-3" } });
    expect(part.status).toBe(206);
    expect(new TextDecoder().decode(part.bytes)).toBe("PNG");
    // Share links never read the Authorization header: even a bad one is ignored.
    expect((await call(server, "GET", `/v1/shared/${token}`, { headers: { authorization: "Bearer nonsense" } })).status).toBe(200);
    // The draft itself stays invisible to others.
    expectProblem(await call(server, "GET", `/v1/creations/${image.id}`), 404, "not_found");

    const revoked = await call(server, "DELETE", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey });
    expect(revoked.status).toBe(200);
    expect(revoked.body.share).toBeNull();
    expectProblem(await call(server, "GET", `/v1/shared/${token}`), 404, "not_found");
    expect((await getBytes(server, `/v1/shared/${token}/file`)).status).toBe(404);
    // Revoking again changes nothing; sharing again makes a new link, the old one stays dead.
    expect((await call(server, "DELETE", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey })).status).toBe(200);
    const renewed = await call(server, "POST", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey });
    expect(renewed.body.token).not.toBe(token);
    expect((await call(server, "GET", `/v1/shared/${renewed.body.token}`)).status).toBe(200);
    expectProblem(await call(server, "GET", `/v1/shared/${token}`), 404, "not_found");
    await call(server, "DELETE", `/v1/creations/${image.id}/share`, { apiKey: alice.apiKey });
  });

  it("lets only the author share or revoke (404 for others), and refuses malformed tokens", async () => {
    expectProblem(await call(server, "POST", `/v1/creations/${image.id}/share`, { apiKey: bob.apiKey }), 404, "not_found");
    expectProblem(await call(server, "POST", `/v1/creations/${bobs.id}/share`, { apiKey: alice.apiKey }), 404, "not_found");
    expectProblem(await call(server, "DELETE", `/v1/creations/${bobs.id}/share`, { apiKey: alice.apiKey }), 404, "not_found");
    expectProblem(await call(server, "GET", "/v1/shared/s_short"), 400, "validation_failed");
    expectProblem(await call(server, "GET", `/v1/shared/s_${"A".repeat(32)}`), 404, "not_found");
  });

  it("builds links on OTO_PUBLIC_URL when it is set", async () => {
    const other = await startTestServer({ OTO_PUBLIC_URL: "https://oto.example/" });
    try {
      const carol = await register(other);
      const creation = await seedCreation(other, carol.accountId, "text", "public url");
      const shared = await call(other, "POST", `/v1/creations/${creation.id}/share`, { apiKey: carol.apiKey });
      expect(shared.body.url).toBe(`https://oto.example/v1/shared/${shared.body.token}`);
      expect(shared.body.file_url).toBe(`https://oto.example/v1/shared/${shared.body.token}/file`);
    } finally {
      await other.close();
    }
  });
});
