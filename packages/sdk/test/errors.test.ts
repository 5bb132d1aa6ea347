import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Oto,
  OtoApiError,
  OtoAuthError,
  OtoBadRequestError,
  OtoConflictError,
  OtoError,
  OtoInsufficientTokensError,
  OtoNotFoundError,
  OtoPayloadTooLargeError,
  OtoPermissionError,
  OtoRateLimitError,
} from "../src/index.js";
import { retryAfterSeconds } from "../src/errors.js";
import { sendProblem, startScriptedServer, type ScriptedServer } from "./support/scripted-server.js";

let server: ScriptedServer;
let oto: Oto;
let answer: (res: ServerResponse) => void = () => {};

beforeAll(async () => {
  server = await startScriptedServer((_req, res) => answer(res));
  oto = new Oto({ baseUrl: server.url, apiKey: "oto_test0000_secret", maxRetries: 0 });
});
afterAll(() => server.close());

/** Makes the next requests answer with `respond`, then calls the API and returns what it threw. */
async function failureOf(respond: (res: ServerResponse) => void): Promise<OtoError> {
  answer = respond;
  const error = await oto.me().catch((e: unknown) => e);
  if (!(error instanceof OtoError)) throw new Error(`expected an OtoError, got ${String(error)}`);
  return error;
}

function sendText(res: ServerResponse, status: number, contentType: string, text: string, headers = {}): void {
  res.writeHead(status, { "content-type": contentType, ...headers });
  res.end(text);
}

describe("problem+json responses", () => {
  it.each([
    [400, "validation_failed", OtoBadRequestError],
    [401, "invalid_api_key", OtoAuthError],
    [402, "insufficient_tokens", OtoInsufficientTokensError],
    [403, "forbidden", OtoPermissionError],
    [404, "not_found", OtoNotFoundError],
    [409, "handle_taken", OtoConflictError],
    [413, "payload_too_large", OtoPayloadTooLargeError],
    [415, "unsupported_media_type", OtoApiError],
    [429, "rate_limited", OtoRateLimitError],
    [500, "internal_error", OtoApiError],
    [503, "not_ready", OtoApiError],
  ] as const)("maps %i to the right subclass", async (status, code, ErrorClass) => {
    const error = await failureOf((res) => sendProblem(res, status, code, `Something about ${code}.`));

    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(OtoError);
    expect(error.name).toBe(ErrorClass.name);
    expect(error).toMatchObject({
      status,
      code,
      detail: `Something about ${code}.`,
      title: `Title for ${status}`,
      requestId: `req_${status}`,
    });
    expect(error.problem).toMatchObject({ status, code, request_id: `req_${status}` });
  });

  it("reads as one line: detail, code, status and request id", async () => {
    const error = await failureOf((res) =>
      sendProblem(res, 409, "handle_taken", 'The handle "ada" is already taken.', { body: { request_id: "req_abc123" } }),
    );

    expect(error.message).toBe('The handle "ada" is already taken. (handle_taken, HTTP 409, request req_abc123)');
  });

  it("falls back to the X-Request-Id header and flattens a multi-line detail", async () => {
    const error = await failureOf((res) => {
      const body = JSON.stringify({ title: "Invalid request", status: 400, code: "validation_failed", detail: "body/handle:\n  too short" });
      sendText(res, 400, "application/problem+json", body, { "x-request-id": "req_fromheader" });
    });

    expect(error).toBeInstanceOf(OtoBadRequestError);
    expect(error.requestId).toBe("req_fromheader");
    expect(error.message).toBe("body/handle: too short (validation_failed, HTTP 400, request req_fromheader)");
  });

  it("carries retry_after_s of a rate-limit problem", async () => {
    const error = await failureOf((res) =>
      sendProblem(res, 429, "rate_limited", "Too many attempts; try again in 3600 seconds.", {
        headers: { "retry-after": "3600" },
        body: { retry_after_s: 3600 },
      }),
    );

    expect(error).toBeInstanceOf(OtoRateLimitError);
    expect(error.retryAfterS).toBe(3600);
  });
});

describe("responses that are not problem documents", () => {
  it("turns a plain-text body into a readable error", async () => {
    const error = await failureOf((res) =>
      sendText(res, 502, "text/plain", "upstream connect error\nor disconnect/reset before headers", { "x-request-id": "req_proxy" }),
    );

    expect(error).toBeInstanceOf(OtoApiError);
    expect(error).toMatchObject({ status: 502, code: "http_502", title: "Bad Gateway", requestId: "req_proxy" });
    expect(error.problem).toBeUndefined();
    expect(error.message).toBe(
      "upstream connect error or disconnect/reset before headers (http_502, HTTP 502, request req_proxy)",
    );
  });

  it("does not use an HTML page as the detail", async () => {
    const error = await failureOf((res) =>
      sendText(res, 504, "text/html", "<html>\n<head><title>504 Gateway Time-out</title></head>\n</html>"),
    );

    expect(error.message).toBe("The server answered HTTP 504 Gateway Timeout. (http_504, HTTP 504)");
  });

  it("handles an empty error body", async () => {
    const error = await failureOf((res) => {
      res.writeHead(500, { "content-length": "0" });
      res.end();
    });

    expect(error).toBeInstanceOf(OtoApiError);
    expect(error.message).toBe("The server answered HTTP 500 Internal Server Error. (http_500, HTTP 500)");
  });

  it("uses the message of a JSON error that is not a problem document", async () => {
    const error = await failureOf((res) =>
      sendText(res, 404, "application/json", JSON.stringify({ statusCode: 404, error: "Not Found", message: "Route GET:/v1/me not found" })),
    );

    expect(error).toBeInstanceOf(OtoNotFoundError);
    expect(error).toMatchObject({ code: "http_404", detail: "Route GET:/v1/me not found" });
  });
});

describe("a success answer that is not JSON", () => {
  it("is an OtoApiError naming the server, not a SyntaxError", async () => {
    const error = await failureOf((res) => sendText(res, 200, "text/html", "<!doctype html><title>Welcome to nginx</title>"));

    expect(error).toBeInstanceOf(OtoApiError);
    expect(error).toMatchObject({ status: 0, code: "invalid_response" });
    expect(error.message).toBe(`${server.url} answered with something that is not JSON: is it an oTo server?`);
  });
});

describe("retryAfterSeconds", () => {
  const now = Date.parse("2026-11-26T10:00:00Z");

  it("reads seconds and HTTP dates", () => {
    expect(retryAfterSeconds("30", now)).toBe(30);
    expect(retryAfterSeconds(" 0 ", now)).toBe(0);
    expect(retryAfterSeconds("Thu, 26 Nov 2026 10:01:30 GMT", now)).toBe(90);
    expect(retryAfterSeconds("Thu, 26 Nov 2026 09:00:00 GMT", now)).toBe(0);
  });

  it("ignores what it cannot read", () => {
    expect(retryAfterSeconds(null, now)).toBeUndefined();
    expect(retryAfterSeconds("soon", now)).toBeUndefined();
    expect(retryAfterSeconds("-5", now)).toBeUndefined();
  });
});
