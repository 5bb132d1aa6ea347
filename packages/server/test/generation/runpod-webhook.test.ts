// RunPod → oTo webhooks: delivery and retries by the fake, and the per-job URL token that authenticates them.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  readRunpodWebhookHint,
  RunPodProvider,
  runpodWebhookToken,
  runpodWebhookUrl,
  verifyRunpodWebhook,
} from "../../src/generation/runpod/index.js";
import type { ProviderStatus } from "../../src/generation/provider.js";
import { fixtures, startFakeRunpod, type FakeRunpod } from "../support/fake-runpod.js";

const SECRET = "server-secret-for-tests-0123456789";
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface ReceivedHook {
  jobId: string;
  tokenValid: boolean;
  body: unknown;
  answered: number;
}

/** A tiny oTo-like receiver: checks the URL token, answers from `answers` (last one repeats). */
async function startReceiver(answers: number[], onVerified?: (jobId: string, body: unknown) => Promise<void>) {
  const received: ReceivedHook[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://receiver.invalid");
        const jobId = decodeURIComponent(url.pathname.split("/").pop() ?? "");
        const tokenValid = verifyRunpodWebhook({ serverSecret: SECRET, jobId, token: url.searchParams.get("t") });
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const answered = tokenValid ? (answers[received.length] ?? answers.at(-1) ?? 200) : 401;
        received.push({ jobId, tokenValid, body, answered });
        if (tokenValid && answered === 200) await onVerified?.(jobId, body);
        res.writeHead(answered).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function setup() {
  const fake: FakeRunpod = await startFakeRunpod({ workers: { "ep-text": fixtures.text() } });
  cleanups.push(() => fake.close());
  const provider = new RunPodProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, sleep: async () => undefined });
  cleanups.push(() => provider.close());
  return { fake, provider };
}

const request = (jobId: string) => ({
  jobId,
  kind: "text" as const,
  prompt: "hello hooks",
  parameters: {},
  inputs: [],
  agent: { id: "agt_1", name: "Hooked", endpointId: "ep-text" },
});

describe("RunPod webhook delivery", () => {
  it("arrives with the job object, is retried after a 500, and the receiver re-reads /status before trusting it", async () => {
    const { fake, provider } = await setup();
    const settled: ProviderStatus[] = [];
    const hints: unknown[] = [];
    let externalId = "";
    const receiver = await startReceiver([500, 200], async (_jobId, body) => {
      // The body is only a hint: read the job back from RunPod before settling.
      hints.push(readRunpodWebhookHint(body));
      settled.push(await provider.status(externalId));
    });
    const webhookUrl = runpodWebhookUrl({ publicBaseUrl: receiver.origin, jobId: "job_hook1", serverSecret: SECRET });
    ({ externalId } = await provider.submit(request("job_hook1"), { webhookUrl }));

    await fake.waitFor(() => fake.webhookDeliveries.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 60)); // room for a wrong third attempt (spacing is 10 ms)
    expect(fake.webhookDeliveries.map((delivery) => [delivery.attempt, delivery.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(receiver.received).toHaveLength(2);
    for (const hook of receiver.received) {
      expect(hook).toMatchObject({ jobId: "job_hook1", tokenValid: true });
      expect(hook.body).toMatchObject({ id: externalId.split(":")[1], status: "COMPLETED", output: { format: "markdown" } });
    }
    expect(hints).toEqual([{ runpodJobId: externalId.split(":")[1], status: "COMPLETED" }]);
    expect(settled).toHaveLength(1);
    expect(settled[0]?.state).toBe("succeeded");
  });

  it("stops after 3 attempts when the receiver keeps failing", async () => {
    const { fake, provider } = await setup();
    const receiver = await startReceiver([500]);
    const webhookUrl = runpodWebhookUrl({ publicBaseUrl: receiver.origin, jobId: "job_hook2", serverSecret: SECRET });
    await provider.submit(request("job_hook2"), { webhookUrl });
    await fake.waitFor(() => fake.webhookDeliveries.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.webhookDeliveries.map((delivery) => delivery.attempt)).toEqual([1, 2, 3]);
    expect(receiver.received).toHaveLength(3);
  });

  it("a URL with a forged token is refused by the receiver", async () => {
    const { fake, provider } = await setup();
    const receiver = await startReceiver([200]);
    const forged = `${receiver.origin}/v1/hooks/runpod/job_hook3?t=${runpodWebhookToken(SECRET, "job_other")}`;
    await provider.submit(request("job_hook3"), { webhookUrl: forged });
    await fake.waitFor(() => fake.webhookDeliveries.length >= 3);
    expect(receiver.received.map((hook) => [hook.tokenValid, hook.answered])).toEqual([
      [false, 401],
      [false, 401],
      [false, 401],
    ]);
  });
});

describe("RunPod webhook token", () => {
  it("builds the URL with the HMAC-SHA256 token in base64url", () => {
    const url = new URL(
      runpodWebhookUrl({ publicBaseUrl: "https://oto.example/", jobId: "job_abc", serverSecret: SECRET }),
    );
    expect(url.origin + url.pathname).toBe("https://oto.example/v1/hooks/runpod/job_abc");
    const token = url.searchParams.get("t");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).toBe(runpodWebhookToken(SECRET, "job_abc"));
  });

  it("accepts the right token and rejects tampered, foreign, missing and wrongly keyed ones", () => {
    const token = runpodWebhookToken(SECRET, "job_abc");
    expect(verifyRunpodWebhook({ serverSecret: SECRET, jobId: "job_abc", token })).toBe(true);
    const tampered = (token[0] === "A" ? "B" : "A") + token.slice(1);
    expect(verifyRunpodWebhook({ serverSecret: SECRET, jobId: "job_abc", token: tampered })).toBe(false);
    expect(verifyRunpodWebhook({ serverSecret: SECRET, jobId: "job_abc", token: token.slice(0, -1) })).toBe(false);
    expect(verifyRunpodWebhook({ serverSecret: SECRET, jobId: "job_abd", token })).toBe(false);
    expect(verifyRunpodWebhook({ serverSecret: SECRET, jobId: "job_abc", token: null })).toBe(false);
    expect(verifyRunpodWebhook({ serverSecret: `${SECRET}x`, jobId: "job_abc", token })).toBe(false);
  });

  it("refuses a short secret", () => {
    expect(() => runpodWebhookToken("short", "job_abc")).toThrow(/at least 16 bytes/);
  });
});
