// Helpers shared by the generation job tests: agents, jobs and balances through real HTTP.
import { expect } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { call } from "../helpers.js";

type Server = Pick<RunningServer, "url">;

export const TERMINAL = ["succeeded", "failed", "canceled", "timed_out"];

export async function createAgent(server: Server, apiKey: string, body: Record<string, unknown>): Promise<any> {
  const res = await call(server, "POST", "/v1/agents", { apiKey, json: body });
  if (res.status !== 201) throw new Error(`createAgent failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function generate(
  server: Server,
  apiKey: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<any> {
  const res = await call(server, "POST", "/v1/generations", { apiKey, json: body, headers });
  if (res.status !== 202 && res.status !== 200) throw new Error(`createGeneration failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function getJob(server: Server, apiKey: string, jobId: string): Promise<any> {
  const res = await call(server, "GET", `/v1/generations/${jobId}`, { apiKey });
  if (res.status !== 200) throw new Error(`getGeneration failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Polls the job until `done(job)` holds (default: it ended). */
export async function waitForJob(
  server: Server,
  apiKey: string,
  jobId: string,
  options: { timeoutMs?: number; done?: (job: any) => boolean } = {},
): Promise<any> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const done = options.done ?? ((job: any) => TERMINAL.includes(job.status));
  for (;;) {
    const job = await getJob(server, apiKey, jobId);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not get there in time: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function balance(server: Server, apiKey: string): Promise<{ available: number; held: number }> {
  const res = await call(server, "GET", "/v1/tokens/balance", { apiKey });
  if (res.status !== 200) throw new Error(`getTokenBalance failed: ${res.status} ${res.text}`);
  return { available: res.body.available, held: res.body.held };
}

/** The account's ledger entries about one job, oldest first. */
export async function jobEntries(server: RunningServer, jobId: string): Promise<{ kind: string; amount: number }[]> {
  return server.app.db.query<{ kind: string; amount: number }>(
    "SELECT kind, amount FROM ledger_entries WHERE job_id = $1 ORDER BY created_at, id",
    [jobId],
  );
}

/** The job cost nothing: released in full, nothing charged or held. */
export async function expectRefunded(server: RunningServer, job: any): Promise<void> {
  expect(job.cost).toEqual({ quoted: job.cost.quoted, held: 0, charged: 0 });
  expect(job.creation_id).toBeNull();
  const entries = await jobEntries(server, job.id);
  expect(entries.map((e) => e.kind)).toEqual(["hold", "release"]);
}

/** The job was charged its price exactly once. */
export async function expectCharged(server: RunningServer, job: any): Promise<void> {
  expect(job.cost).toEqual({ quoted: job.cost.quoted, held: 0, charged: job.cost.quoted });
  expect(job.creation_id).toMatch(/^cr_[0-9a-z]{26}$/);
  const entries = await jobEntries(server, job.id);
  expect(entries.map((e) => e.kind)).toEqual(["hold", "capture"]);
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a server-sent-events answer until the server closes it; every `generation` event parsed. */
export async function readEvents(
  server: Server,
  apiKey: string,
  jobId: string,
  onEvent: (event: SseEvent) => void = () => {},
): Promise<{ status: number; contentType: string; events: SseEvent[]; comments: string[] }> {
  const response = await fetch(`${server.url}/v1/generations/${jobId}/events`, {
    headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" },
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const contentType = response.headers.get("content-type") ?? "";
  if (!response.body) return { status: response.status, contentType, events, comments };
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) comments.push(line.slice(1).trim());
        else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) {
        const parsed = { event, data: JSON.parse(data.join("\n")) };
        events.push(parsed);
        onEvent(parsed);
      }
    }
  }
  return { status: response.status, contentType, events, comments };
}
