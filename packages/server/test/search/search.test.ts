// Full-text search over HTTP: accounts and published creations only, ranked, filtered, keyset-paged without gaps
// or repeats, safe for any text, and each hit located on the wall.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { homeCell } from "../../src/wall/placement/index.js";
import { seedCreation } from "../creations/support.js";
import { type Registered, PASSWORD, call, expectProblem, register, uniqueHandle } from "../helpers.js";

let server: RunningServer;
let ada: Registered;
let bob: Registered;

async function registerNamed(handle: string, displayName: string): Promise<Registered> {
  const res = await call(server, "POST", "/v1/accounts", { json: { handle, password: PASSWORD, display_name: displayName } });
  expect(res.status, res.text).toBe(201);
  return { handle, password: PASSWORD, apiKey: res.body.api_key.secret, accountId: res.body.account.id, keyId: res.body.api_key.id };
}

async function published(owner: Registered, kind: "text" | "image" | "voice" | "video", prompt: string): Promise<string> {
  const { id } = await seedCreation(server, owner.accountId, kind, prompt);
  const res = await call(server, "POST", `/v1/creations/${id}/publish`, { apiKey: owner.apiKey });
  expect(res.status, res.text).toBe(200);
  return id;
}

const search = (query: string, apiKey?: string) => call(server, "GET", `/v1/search?${query}`, apiKey ? { apiKey } : {});
const q = (text: string, extra = "") => search(`q=${encodeURIComponent(text)}${extra}`);
const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((hit) => hit.id);

// Unique words so that hits from other tests in this file never interfere.
const W = `zq${Date.now().toString(36)}`;

let lighthouseTitle: string;
let lighthousePrompt: string;
let draftId: string;

beforeAll(async () => {
  server = await startTestServer();
  ada = await registerNamed(uniqueHandle("ada"), `Ada Lovelace${W}`);
  bob = await register(server);
  lighthouseTitle = await published(ada, "image", `Lighthouses in storms ${W}`);
  lighthousePrompt = await published(bob, "text", `A quiet harbour ${W}\nwith a lighthouse far away`);
  draftId = (await seedCreation(server, ada.accountId, "text", `a secret lighthouse draft ${W}`)).id;
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("search", () => {
  it("finds published creations with English stemming, title matches ranked above prompt matches", async () => {
    const res = await q(`lighthouse storm ${W}`);
    expect(res.status, res.text).toBe(200);
    expect(ids(res)).toEqual([lighthouseTitle]);
    const both = await q(`lighthouse ${W}`);
    expect(ids(both)).toEqual([lighthouseTitle, lighthousePrompt]);
    expect(both.body.data[0].rank).toBeGreaterThan(both.body.data[1].rank);
    expect(both.body.data[0]).toMatchObject({
      type: "creation",
      title: `Lighthouses in storms ${W}`,
      subtitle: `image by @${ada.handle}`,
      kind: "image",
      author: { id: ada.accountId, handle: ada.handle, display_name: `Ada Lovelace${W}` },
      thumbnail_url: `${server.url}/v1/creations/${lighthouseTitle}/thumbnail`,
    });
    expect(both.body.data[1]).toMatchObject({ kind: "text", thumbnail_url: null, subtitle: `text by @${bob.handle}` });
  });

  it("never shows drafts, and follows publish and unpublish at once", async () => {
    expect(ids(await q(`secret ${W}`))).toEqual([]);
    const pub = await call(server, "POST", `/v1/creations/${draftId}/publish`, { apiKey: ada.apiKey });
    expect(pub.status, pub.text).toBe(200);
    expect(ids(await q(`secret ${W}`))).toEqual([draftId]);
    const unpub = await call(server, "POST", `/v1/creations/${draftId}/unpublish`, { apiKey: ada.apiKey });
    expect(unpub.status, unpub.text).toBe(200);
    expect(ids(await q(`secret ${W}`))).toEqual([]);
    // Not even for the author.
    expect(ids(await search(`q=secret%20${W}`, ada.apiKey))).toEqual([]);
  });

  it("finds accounts by handle and display name, located at their home", async () => {
    const byName = await q(`lovelace${W}`);
    expect(ids(byName)).toEqual([ada.accountId]);
    const rows = await server.app.db.query<{ home_index: number }>("SELECT home_index FROM accounts WHERE id = $1", [ada.accountId]);
    expect(byName.body.data[0]).toEqual({
      type: "account",
      id: ada.accountId,
      rank: expect.any(Number),
      title: `Ada Lovelace${W}`,
      subtitle: `@${ada.handle}`,
      kind: null,
      author: null,
      thumbnail_url: null,
      location: homeCell(rows[0]!.home_index),
    });
    // The handle (its parts split at "_") and the whole "@handle".
    expect(ids(await q(`@${ada.handle}`))).toContain(ada.accountId);
    expect(ids(await q(bob.handle, "&type=account"))).toEqual([bob.accountId]);
  });

  it("completes the last word as a prefix, but not a negated or quoted one", async () => {
    expect(ids(await q(`${W} lighth`))).toEqual([lighthouseTitle, lighthousePrompt]);
    expect(ids(await q(`${W} harb`))).toEqual([lighthousePrompt]);
    expect(ids(await q(`lovelace${W.slice(0, -1)}`, "&type=account"))).toEqual([ada.accountId]);
    // "-storm" excludes; a prefix is never guessed for it.
    expect(ids(await q(`${W} lighthouse -storm`))).toEqual([lighthousePrompt]);
    expect(ids(await q(`"${W} lighth"`))).toEqual([]);
  });

  it("filters by type and kind", async () => {
    expect(ids(await q(`${W} lighthouse`, "&kind=image"))).toEqual([lighthouseTitle]);
    expect(ids(await q(`${W} lighthouse`, "&kind=voice"))).toEqual([]);
    expect(ids(await q(`${W} lighthouse`, "&type=account"))).toEqual([]);
    const ada1 = await q(`lovelace${W}`, "&type=creation");
    expect(ids(ada1)).toEqual([]);
    expectProblem(await q(W, "&type=account&kind=image"), 400, "validation_failed");
  });

  it("locates a creation at its post-it, and answers null when it has none", async () => {
    const id = await published(ada, "text", `pinned note ${W}`);
    const pinned = await server.app.db.query<{ x: number; y: number }>("SELECT x, y FROM wall_postits WHERE id = $1", [id]);
    let where = pinned[0];
    if (!where) {
      // Publishing does not pin yet in this build: pin it by hand, as the wall does.
      where = { x: 1_000_080, y: -999_840 };
      await server.app.db.query(
        `INSERT INTO wall_postits (id, type, account_id, home_index, kind, x, y, rotation, colour, placed_at)
         SELECT $1, 'creation', id, home_index, 'text', $2, $3, 0, '#fff59d', now() FROM accounts WHERE id = $4`,
        [id, where.x, where.y, ada.accountId],
      );
    }
    expect((await q(`pinned ${W}`)).body.data[0].location).toEqual({ x: where.x, y: where.y });
    await server.app.db.query("DELETE FROM wall_postits WHERE id = $1", [id]);
    expect((await q(`pinned ${W}`)).body.data[0].location).toBeNull();
  });

  it("works without an account and refuses a bad key", async () => {
    expect((await q(`lighthouse ${W}`)).status).toBe(200);
    expectProblem(await search(`q=${W}`, "oto_bad_key"), 401, "invalid_api_key");
  });
});

describe("search pages", () => {
  const P = `${W}page`;
  const made: string[] = [];

  beforeAll(async () => {
    // Ranks tie in groups (same text) and differ across groups (more occurrences), so both halves of the
    // (rank, id) keyset are exercised.
    const owner = await register(server);
    for (let i = 0; i < 23; i++) {
      const repeat = Array.from({ length: (i % 3) + 1 }, () => P).join(" ");
      made.push(await published(owner, "text", `${repeat} number ${i}`));
    }
  }, 60_000);

  it("walks every hit exactly once, best first, whatever the page size", async () => {
    const all = await q(P, "&limit=100");
    expect(all.body.data).toHaveLength(23);
    expect(all.body.next_cursor).toBeNull();
    const order = ids(all);
    expect(new Set(order)).toEqual(new Set(made));
    const ranks = all.body.data.map((hit: { rank: number }) => hit.rank);
    expect(new Set(ranks).size).toBe(3);
    for (let i = 1; i < ranks.length; i++) {
      expect(ranks[i]).toBeLessThanOrEqual(ranks[i - 1]);
      if (ranks[i] === ranks[i - 1]) expect(order[i]! < order[i - 1]!).toBe(true);
    }
    for (const limit of [1, 4, 7]) {
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await q(P, `&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status, res.text).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(limit);
        walked.push(...ids(res));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(walked).toEqual(order);
    }
  });

  it("refuses a cursor from another search, or one it never made", async () => {
    const first = await q(P, "&limit=2");
    const cursor = first.body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    expectProblem(await q(`${P} number`, `&limit=2&cursor=${cursor}`), 400, "validation_failed");
    expectProblem(await q(P, `&limit=2&kind=text&cursor=${cursor}`), 400, "validation_failed");
    for (const bad of ["abc", Buffer.from("0.5|cr_x|zz").toString("base64url"), Buffer.from("NaN|cr_01jd3x9v6q8r5m2k7n4p0w1z3y|x").toString("base64url")]) {
      expectProblem(await q(P, `&cursor=${bad}`), 400, "validation_failed");
    }
  });
});

describe("search input", () => {
  it("answers 400 for a missing, empty, too long or ill-typed query", async () => {
    expectProblem(await search(""), 400, "validation_failed");
    expectProblem(await search("q="), 400, "validation_failed");
    expectProblem(await q("x".repeat(201)), 400, "validation_failed");
    expectProblem(await q("x", "&limit=0"), 400, "validation_failed");
    expectProblem(await q("x", "&limit=101"), 400, "validation_failed");
    expectProblem(await q("x", "&type=agent"), 400, "validation_failed");
    expectProblem(await q("x", "&kind=music"), 400, "validation_failed");
  });

  it("never fails on operators, quotes, stop words or control characters", async () => {
    const texts = [
      `"unclosed ${W}`,
      "' OR 1=1; --",
      "a & b | !c <-> d:* (e",
      "\\",
      ":*",
      "-",
      "or",
      "the",
      "   ",
      "\u0000 nul",
      "tab\tnew\nline",
      "%",
      "🦊",
      "x".repeat(200),
    ];
    for (const text of texts) {
      const res = await q(text);
      expect(res.status, `${JSON.stringify(text)}: ${res.text}`).toBe(200);
      expect(Array.isArray(res.body.data)).toBe(true);
    }
  });

  it("matches unicode words: accents, scripts without spaces, emoji-adjacent text", async () => {
    const owner = await registerNamed(uniqueHandle("uni"), `Zoë Ångström${W}`);
    const cafe = await published(owner, "text", `Café crème à Paris ${W}`);
    const tokyo = await published(owner, "image", `東京タワー ${W}`);
    const greek = await published(owner, "voice", `Καλημέρα κόσμε ${W}`);
    expect(ids(await q(`café ${W}`))).toEqual([cafe]);
    expect(ids(await q(`CAFÉ ${W}`))).toEqual([cafe]);
    // NFD input (e + combining acute) is normalised to the stored NFC form.
    expect(ids(await q(`cafe\u0301 ${W}`))).toEqual([cafe]);
    expect(ids(await q(`${W} 東京タワー`))).toEqual([tokyo]);
    expect(ids(await q(`${W} καλημ`))).toEqual([greek]);
    expect(ids(await q(`ångström${W}`, "&type=account"))).toEqual([owner.accountId]);
    expect(ids(await q(`🦊 ${W} café`))).toEqual([cafe]);
  });
});
