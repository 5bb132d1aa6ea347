// The official `runpod-sdk` npm client, pointed at the local fake, shows the fake speaks RunPod's protocol.
import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fixtures, fixtureText, startFakeRunpod, type FakeRunpod } from "../support/fake-runpod.js";

let fake: FakeRunpod;

beforeAll(async () => {
  fake = await startFakeRunpod({
    workers: { "ep-text": fixtures.text(), "ep-slow": fixtures.slow(300_000), "ep-llm": fixtures.vllm() },
    workersMax: 1,
  });
});

afterAll(async () => {
  await fake.close();
});

describe("runpod-sdk against the fake", () => {
  it("run → status until COMPLETED → cancel → health → purgeQueue", async () => {
    const sdk = runpodSdk(fake.apiKey, { baseUrl: fake.baseUrl });
    const endpoint = sdk.endpoint("ep-text");
    if (!endpoint) throw new Error("runpod-sdk returned no endpoint");

    const started = await endpoint.run({ input: { prompt: "hello sdk" } });
    expect(started).toMatchObject({ status: "IN_QUEUE" });
    expect(started.id).toMatch(/-u1$/);

    let status = await endpoint.status(started.id);
    for (let i = 0; i < 200 && !["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"].includes(status.status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      status = await endpoint.status(started.id);
    }
    expect(status).toMatchObject({
      id: started.id,
      status: "COMPLETED",
      output: { text: fixtureText("hello sdk"), format: "markdown" },
      started: true,
      completed: true,
      succeeded: true,
    });

    const slow = sdk.endpoint("ep-slow");
    if (!slow) throw new Error("runpod-sdk returned no endpoint");
    const running = await slow.run({ input: { prompt: "take your time" } });
    const waiting = await slow.run({ input: { prompt: "behind the first" } });
    await fake.waitFor(() => fake.job(running.id)?.status === "IN_PROGRESS");
    const cancelled = await slow.cancel(running.id);
    expect(cancelled).toMatchObject({ id: running.id, status: "CANCELLED" });
    expect(await slow.status(running.id)).toMatchObject({ status: "CANCELLED", completed: true, succeeded: false });

    const third = await slow.run({ input: { prompt: "queued behind the second" } });
    await fake.waitFor(() => fake.job(waiting.id)?.status === "IN_PROGRESS");
    expect(await slow.purgeQueue()).toEqual({ removed: 1, status: "completed" });
    expect(fake.job(third.id)?.status).toBe("CANCELLED");

    const health = await endpoint.health();
    expect(health).toMatchObject({ jobs: { completed: 1, failed: 0, inQueue: 0 }, workers: { idle: 1 } });

    expect(fake.requests.filter((entry) => entry.endpointId).every((entry) => entry.auth === "bearer")).toBe(true);
  });

  it("runSync (/runsync then /status-sync) and stream (/stream) work unchanged", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined); // runSync prints progress lines
    try {
      const sdk = runpodSdk(fake.apiKey, { baseUrl: fake.baseUrl });
      const endpoint = sdk.endpoint("ep-text");
      if (!endpoint) throw new Error("runpod-sdk returned no endpoint");
      const result = await endpoint.runSync({ input: { prompt: "right now" } });
      expect(result).toMatchObject({ status: "COMPLETED", output: { text: fixtureText("right now") } });
      expect(result.id).toMatch(/^sync-/);

      const llm = sdk.endpoint("ep-llm");
      if (!llm) throw new Error("runpod-sdk returned no endpoint");
      const job = await llm.run({ input: { prompt: "stream me please" } });
      const chunks: unknown[] = [];
      for await (const chunk of llm.stream(job.id)) chunks.push(chunk);
      const text = chunks
        .map((chunk) => (chunk as { output: { choices: Array<{ tokens: string[] }> } }).output.choices[0]!.tokens.join(""))
        .join("");
      expect(text).toBe(fixtureText("stream me please"));
    } finally {
      log.mockRestore();
    }
  });
});
