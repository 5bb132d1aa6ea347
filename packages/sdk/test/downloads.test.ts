import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { filenameFromDisposition, Oto, OtoApiError, OtoError, OtoNotFoundError } from "../src/index.js";
import {
  sendJson,
  sendProblem,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from "./support/scripted-server.js";

// Binary downloads (no JSON parsing, Range, Content-Disposition, integrity) and waitForCredit,
// against a scripted HTTP server on 127.0.0.1.

const CREATION = "cr_01jd3x9v6q8r5m2k7n4p0w1z3y";
const FILE = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
const SHA = createHash("sha256").update(FILE).digest("hex");

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script): Promise<{ oto: Oto; server: ScriptedServer }> {
  server = await startScriptedServer(script);
  return { oto: new Oto({ baseUrl: server.url, apiKey: "oto_test0000_secret", retryBaseDelayMs: 10 }), server };
}

/** Serves FILE like the API does: media type, attachment name, ETag, and one byte range. */
const fileServer =
  (etag = SHA): Script =>
  (req, res) => {
    const headers = {
      "content-type": "image/png",
      "content-disposition": `attachment; filename="lighthouse.png"; filename*=UTF-8''lighth%C3%B6use.png`,
      etag: `"${etag}"`,
      "accept-ranges": "bytes",
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (!range) {
      res.writeHead(200, { ...headers, "content-length": FILE.length });
      return res.end(FILE);
    }
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) : FILE.length - 1;
    if (start >= FILE.length) return sendProblem(res, 416, "range_not_satisfiable", "The range starts past the end.");
    res.writeHead(206, {
      ...headers,
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${FILE.length}`,
    });
    res.end(FILE.subarray(start, end + 1));
  };

describe("creations.download", () => {
  it("answers the exact bytes, media type, file name and verified sha256", async () => {
    const { oto, server } = await serve(fileServer());

    const file = await oto.creations.download(CREATION);

    expect(Buffer.from(file.bytes).equals(FILE)).toBe(true);
    expect(file).toMatchObject({
      mediaType: "image/png",
      filename: "lighthöuse.png",
      sha256: SHA,
      status: 200,
      contentLength: FILE.length,
      range: undefined,
    });
    expect(server.requests[0]).toMatchObject({ method: "GET", url: `/v1/creations/${CREATION}/file` });
    expect(server.requests[0]?.headers["accept"]).toBe("*/*");
  });

  it("asks for a range and reports it", async () => {
    const { oto, server } = await serve(fileServer());

    const part = await oto.creations.download(CREATION, { range: { start: 100, end: 199 } });

    expect(server.requests[0]?.headers["range"]).toBe("bytes=100-199");
    expect(Buffer.from(part.bytes).equals(FILE.subarray(100, 200))).toBe(true);
    expect(part).toMatchObject({ status: 206, sha256: SHA, range: { start: 100, end: 199, size: FILE.length } });
  });

  it("streams the body when asked", async () => {
    const { oto } = await serve(fileServer());
    const file = await oto.creations.download(CREATION, { stream: true });
    const body = Buffer.from(await new Response(file.stream).arrayBuffer());
    expect(body.equals(FILE)).toBe(true);
    expect(file.sha256).toBe(SHA);
  });

  it("a file that does not match its ETag is an integrity_error", async () => {
    const { oto } = await serve(fileServer("0".repeat(64)));
    const error = await oto.creations.download(CREATION).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoApiError);
    expect(error).toMatchObject({ code: "integrity_error" });
  });

  it("errors are parsed from problem+json even though the body is not read as JSON on success", async () => {
    const { oto } = await serve(fileServer());
    const error = await oto.creations.download(CREATION, { range: "bytes=5000-" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 416, code: "range_not_satisfiable" });

    server!.script = (_req, res) => sendProblem(res, 404, "not_found", `No creation ${CREATION}.`);
    await expect(oto.creations.download(CREATION, { stream: true })).rejects.toBeInstanceOf(OtoNotFoundError);
  });

  it("shared.download goes through the share token, without needing a key", async () => {
    const { server } = await serve(fileServer());
    const anonymous = new Oto({ baseUrl: server.url, apiKey: "" });
    const token = `s_${"a".repeat(32)}`;
    const file = await anonymous.shared.download(token);
    expect(file.filename).toBe("lighthöuse.png");
    expect(server.requests[0]?.url).toBe(`/v1/shared/${token}/file`);
    expect(server.requests[0]?.headers["authorization"]).toBeUndefined();
  });
});

describe("filenameFromDisposition", () => {
  it.each([
    ['attachment; filename="a b.txt"', "a b.txt"],
    ["attachment; filename=plain.wav", "plain.wav"],
    [`attachment; filename="x.png"; filename*=UTF-8''%E2%9C%93.png`, "✓.png"],
    ['inline; filename="../../etc/passwd"', "passwd"],
    ['attachment; filename="say \\"hi\\".md"', 'say "hi".md'],
    ["attachment", undefined],
    ['attachment; filename=".."', undefined],
  ])("%s → %s", (header, name) => {
    expect(filenameFromDisposition(header)).toBe(name);
  });
});

describe("tokens.waitForCredit", () => {
  const purchase = (status: string) => ({
    session_id: "cs_test_1",
    pack_id: "starter",
    tokens: 100,
    status,
    credited_at: status === "credited" ? "2026-11-26T10:00:00.000Z" : null,
    created_at: "2026-11-26T09:59:00.000Z",
  });

  it("asks until the purchase is credited", async () => {
    const statuses = ["open", "paid", "credited"];
    const { oto, server } = await serve((_req, res, n) => sendJson(res, 200, purchase(statuses[n] ?? "credited")));
    const seen: string[] = [];
    const done = await oto.tokens.waitForCredit("cs_test_1", { intervalMs: 10, onStatus: (p) => seen.push(p.status) });
    expect(done.status).toBe("credited");
    expect(seen).toEqual(statuses);
    expect(server.requests.map((r) => r.url)).toEqual(Array(3).fill("/v1/tokens/checkout/cs_test_1"));
  });

  it("rejects when the session expired", async () => {
    const { oto } = await serve((_req, res) => sendJson(res, 200, purchase("expired")));
    const error = await oto.tokens.waitForCredit("cs_test_1", { intervalMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtoError);
    expect(error).toMatchObject({ code: "checkout_expired" });
  });

  it("stops on the signal", async () => {
    const { oto } = await serve((_req, res) => sendJson(res, 200, purchase("open")));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("enough")), 50);
    await expect(oto.tokens.waitForCredit("cs_test_1", { intervalMs: 10, signal: controller.signal })).rejects.toEqual(
      new Error("enough"),
    );
  });
});
