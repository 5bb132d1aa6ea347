// Search and the wall through the SDK against the real server (built @oto/server, in-memory PGlite, or
// PostgreSQL when OTO_TEST_DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Oto, OtoBadRequestError, OtoNotFoundError, type Creation } from "../src/index.js";
import { type RunningServer, startTestServer } from "./support/real-server.js";

let server: RunningServer;
let ada: Oto;
let anonymous: Oto;
let handle: string;
let agentId: string;
const made: Creation[] = [];
const word = `sdkwall${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "1000" });
  anonymous = new Oto({ baseUrl: server.url, apiKey: "" });
  handle = `sdk${Date.now().toString(36)}`;
  const registered = await anonymous.register({ handle, password: "correct horse battery staple", display_name: "Ada Wall" });
  ada = new Oto({ baseUrl: server.url, apiKey: registered.api_key.secret });
  const agent = await ada.agents.create({ name: "Tile painter", kind: "image", cost_tokens: 1, default_parameters: { width: 64, height: 64 } });
  agentId = agent.id;
  for (const prompt of [`${word} lighthouse`, `${word} harbour`, `${word} lighthouse keeper`]) {
    const job = await ada.generateAndWait({ agent_id: agent.id, prompt });
    made.push(await ada.creations.publish(job.creation_id!));
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe("search", () => {
  it("answers ranked pages and follows them with searchAll", async () => {
    const page = await anonymous.search(`${word} lighthouse`);
    expect(page.data.map((hit) => hit.id).sort()).toEqual([made[0]!.id, made[2]!.id].sort());
    expect(page.data[0]).toMatchObject({ type: "creation", kind: "image", author: { handle } });
    const ids: string[] = [];
    for await (const hit of anonymous.searchAll(word, { limit: 1 })) ids.push(hit.id);
    expect(ids.sort()).toEqual(made.map((c) => c.id).sort());
    expect((await anonymous.search(handle, { type: "account" })).data[0]).toMatchObject({ type: "account", subtitle: `@${handle}` });
    await expect(anonymous.search(word, { type: "account", kind: "image" })).rejects.toBeInstanceOf(OtoBadRequestError);
  });
});

describe("wall", () => {
  it("info, locate, tile (with revalidation) and tiles", async () => {
    const info = await anonymous.wall.info();
    expect(info.counts).toMatchObject({ accounts: 1, agents: 1, creations: 3 });

    const where = await anonymous.wall.locate({ creation: made[0]!.id });
    expect(where).toMatchObject({ type: "creation", id: made[0]!.id, x: made[0]!.placement!.x, y: made[0]!.placement!.y });
    expect((await anonymous.wall.locate({ agent: agentId })).type).toBe("agent");
    expect((await anonymous.wall.locate({ handle: `@${handle}` })).type).toBe("home");
    await expect(anonymous.wall.locate({ handle: "nobody-here" })).rejects.toBeInstanceOf(OtoNotFoundError);

    const [z, x, y] = where.tile.split("/").map(Number) as [number, number, number];
    const tile = await anonymous.wall.tile(z, x, y);
    if (tile.type !== "items") throw new Error("expected an items tile");
    expect(tile.postits.map((p) => p.id)).toContain(made[0]!.id);
    expect(await anonymous.wall.tile(z, x, y, { ifNoneMatch: tile.etag })).toBeNull();
    const onlyText = await anonymous.wall.tile(z, x, y, { kinds: ["text"] });
    if (onlyText.type !== "items") throw new Error("expected an items tile");
    expect(onlyText.postits.filter((p) => p.type === "creation")).toEqual([]);

    const batch = await anonymous.wall.tiles([[0, 0, 0], where.tile]);
    expect(batch.tiles.map((t) => t.type)).toEqual(["aggregate", "items"]);
  });
});
