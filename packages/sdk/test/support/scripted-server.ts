import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers the n-th request (0-based); may leave it hanging or break the connection. */
export type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script for the requests to come. */
  script: Script;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that misbehaves on purpose, as told by its script,
 * and records every request it receives.
 */
export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const state: ScriptedServer = {
    url: "",
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const n = requests.length;
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      state.script(req, res, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": status >= 400 ? "application/problem+json" : "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  extra: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
): void {
  sendJson(
    res,
    status,
    {
      type: `https://oto.dev/problems/${code}`,
      title: `Title for ${status}`,
      status,
      code,
      detail,
      request_id: `req_${status}`,
      ...extra.body,
    },
    extra.headers,
  );
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sampleAccount = {
  id: "acc_01jd3x9v6q8r5m2k7n4p0w1z3y",
  handle: "ada",
  display_name: "Ada Lovelace",
  role: "user",
  home: { index: 0, x: 0, y: 0 },
  created_at: "2026-11-26T10:00:00.000Z",
};

export const sampleKey = {
  id: "key_01jd3x9v6q8r5m2k7n4p0w1z3y",
  name: "registration",
  prefix: "k7n4p0w1",
  created_at: "2026-11-26T10:00:00.000Z",
  last_used_at: null,
  revoked_at: null,
};

export const sampleAuthResult = {
  account: sampleAccount,
  api_key: { ...sampleKey, secret: "oto_k7n4p0w1_5hW2mZq8rT1vX9yB3nC6dF0gJ4kL7pS2" },
};
