// The response checker on file answers: a download's real media type stands in for the spec's
// application/octet-stream, but a file answer missing its declared headers, a body on a 304 or a thumbnail in
// an undeclared type is an off-spec response (500, recorded, and close() fails).
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../../src/testing.js";
import { call, register } from "../helpers.js";
import { getBytes, seedCreation } from "./support.js";

describe("response checking of file answers", () => {
  it("accepts the real handlers' files, ranges and 304s", async () => {
    const server = await startTestServer();
    const account = await register(server);
    const creation = await seedCreation(server, account.accountId, "image", "checked");
    const path = `/v1/creations/${creation.id}/file`;
    expect((await getBytes(server, path, { apiKey: account.apiKey })).status).toBe(200);
    expect((await getBytes(server, path, { apiKey: account.apiKey, headers: { range: "bytes=0-9" } })).status).toBe(206);
    expect((await getBytes(server, path, { apiKey: account.apiKey, headers: { "if-none-match": `"${creation.sha256}"` } })).status).toBe(304);
    expect((await getBytes(server, `/v1/creations/${creation.id}/thumbnail`, { apiKey: account.apiKey })).status).toBe(200);
    expect(server.app.responseViolations).toEqual([]);
    await server.close();
  });

  it("refuses a file without its declared headers, a 304 with a body and a thumbnail of an undeclared type", async () => {
    const server = await startTestServer(
      {},
      {
        handlers: {
          async downloadCreation({ reply, request }) {
            if (request.headers["if-none-match"]) {
              reply.header("etag", '"x"');
              return { status: 304, body: undefined as never } as never;
            }
            reply.header("content-type", "image/png");
            return { status: 200, body: Readable.from([Buffer.from("not really a png")]) };
          },
          async getCreationThumbnail({ reply }) {
            reply.header("content-type", "image/png").header("etag", '"y"');
            return { status: 200, body: Buffer.from("png bytes") };
          },
          async downloadSharedCreation({ reply }) {
            reply.header("etag", '"z"');
            return { status: 304, body: Buffer.from("a body where none may be") as never } as never;
          },
        },
      },
    );
    const id = "cr_00000000000000000000000000";
    const noEtag = await call(server, "GET", `/v1/creations/${id}/file`);
    expect(noEtag.status).toBe(500);
    expect(noEtag.body.code).toBe("internal_error");
    expect(noEtag.headers.get("content-disposition")).toBeNull();
    expect((await call(server, "GET", `/v1/creations/${id}/thumbnail`)).status).toBe(500);
    expect((await call(server, "GET", `/v1/shared/s_${"a".repeat(32)}/file`)).status).toBe(500);

    const problems = server.app.responseViolations.flatMap((v) => v.problems);
    expect(problems).toContain("header ETag is missing");
    expect(problems).toContain("header Accept-Ranges is missing");
    expect(problems.some((p) => /image\/png is not declared as a file for getCreationThumbnail/.test(p))).toBe(true);
    expect(problems).toContain("status 304 of downloadSharedCreation must have no body");
    await expect(server.close()).rejects.toThrow(/did not follow openapi.yaml/);
  });
});
