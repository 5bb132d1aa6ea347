// The local provider's job lifecycle: queued → running (with progress) → succeeded / failed / canceled, and
// "expired" for ids it does not know (after a restart), after which a re-submit gives the same bytes.
import { describe, expect, it } from "vitest";
import type { GenerationProvider, GenerationRequest, ProviderStatus } from "../../src/generation/provider.js";
import { LocalProvider } from "../../src/generation/local/index.js";

const request = (jobId: string, overrides: Partial<GenerationRequest> = {}): GenerationRequest => ({
  jobId,
  kind: "image",
  prompt: "a lantern in the fog",
  parameters: { width: 96, height: 96 },
  inputs: [],
  agent: { id: "agt_test", name: "Local test agent" },
  ...overrides,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(provider: GenerationProvider, externalId: string, done: (status: ProviderStatus) => boolean): Promise<ProviderStatus[]> {
  const seen: ProviderStatus[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await provider.status(externalId);
    seen.push(status);
    if (done(status)) return seen;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last status ${JSON.stringify(status)}`);
    await sleep(5);
  }
}
const finished = (status: ProviderStatus) => !["queued", "running"].includes(status.state);

describe("LocalProvider lifecycle", () => {
  it("is named local and implements the provider interface", () => {
    const provider: GenerationProvider = new LocalProvider();
    expect(provider.name).toBe("local");
  });

  it("runs asynchronously: queued/running with progress, then succeeded with the file", async () => {
    const provider = new LocalProvider({ delayMs: 300 });
    const { externalId } = await provider.submit(request("job_life1"));
    expect(externalId).toBe("local_job_life1");
    const seen = await until(provider, externalId, finished);
    expect(["queued", "running"]).toContain(seen[0]!.state);
    const progress = seen.flatMap((s) => (s.state === "running" && s.progress !== undefined ? [s.progress] : []));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.some((p) => p > 0 && p < 1)).toBe(true);
    const last = seen.at(-1)!;
    expect(last.state).toBe("succeeded");
    if (last.state === "succeeded") {
      expect(last.outputs[0]!.mediaType).toBe("image/png");
      expect(last.outputs[0]!.bytes.length).toBeGreaterThan(100);
    }
  });

  it("cancel stops a running job, which stays canceled", async () => {
    const provider = new LocalProvider({ delayMs: 400 });
    const { externalId } = await provider.submit(request("job_cancel1"));
    await until(provider, externalId, (s) => s.state === "running");
    await provider.cancel(externalId);
    expect(await provider.status(externalId)).toEqual({ state: "canceled" });
    await sleep(600);
    expect(await provider.status(externalId)).toEqual({ state: "canceled" });
  });

  it("cancel works on a queued job and frees nothing twice", async () => {
    const provider = new LocalProvider({ delayMs: 200, concurrency: 1 });
    const first = await provider.submit(request("job_q1"));
    const second = await provider.submit(request("job_q2"));
    await until(provider, first.externalId, (s) => s.state === "running");
    expect((await provider.status(second.externalId)).state).toBe("queued");
    await provider.cancel(second.externalId);
    const third = await provider.submit(request("job_q3"));
    expect((await until(provider, first.externalId, finished)).at(-1)!.state).toBe("succeeded");
    expect((await until(provider, third.externalId, finished)).at(-1)!.state).toBe("succeeded");
    expect(await provider.status(second.externalId)).toEqual({ state: "canceled" });
  });

  it("a finished job stays finished when canceled", async () => {
    const provider = new LocalProvider();
    const { externalId } = await provider.submit(request("job_done1", { kind: "text", parameters: {} }));
    const last = (await until(provider, externalId, finished)).at(-1)!;
    expect(last.state).toBe("succeeded");
    await provider.cancel(externalId);
    expect(await provider.status(externalId)).toBe(last);
  });

  it("reports bad parameters as a readable, non-retryable failure", async () => {
    const provider = new LocalProvider();
    const { externalId } = await provider.submit(request("job_bad1", { kind: "voice", parameters: { duration_s: "long" } }));
    const last = (await until(provider, externalId, finished)).at(-1)!;
    expect(last).toEqual({ state: "failed", error: 'parameter duration_s must be a number between 1 and 30 (got "long")', retryable: false });
  });

  it("rejects an unknown kind readably", async () => {
    const provider = new LocalProvider();
    const bogus = request("job_kind1", { kind: "hologram" as unknown as GenerationRequest["kind"] });
    const { externalId } = await provider.submit(bogus);
    const last = (await until(provider, externalId, finished)).at(-1)!;
    expect(last).toEqual({ state: "failed", error: 'the local generator cannot make output of kind "hologram"', retryable: false });
  });

  it("answers expired for unknown ids; re-submitting after a restart gives identical bytes", async () => {
    const before = new LocalProvider();
    const { externalId } = await before.submit(request("job_restart1"));
    const original = (await until(before, externalId, finished)).at(-1)!;
    const afterRestart = new LocalProvider();
    expect(await afterRestart.status(externalId)).toEqual({ state: "expired" });
    expect(await afterRestart.status("local_job_never")).toEqual({ state: "expired" });
    await afterRestart.cancel("local_job_never"); // best effort, no throw
    const again = await afterRestart.submit(request("job_restart1"));
    expect(again.externalId).toBe(externalId);
    const rerun = (await until(afterRestart, externalId, finished)).at(-1)!;
    if (original.state !== "succeeded" || rerun.state !== "succeeded") throw new Error("expected both runs to succeed");
    expect(Buffer.from(rerun.outputs[0]!.bytes).equals(Buffer.from(original.outputs[0]!.bytes))).toBe(true);
  });

  it("forgets finished jobs after retainMs", async () => {
    const provider = new LocalProvider({ retainMs: 50 });
    const { externalId } = await provider.submit(request("job_retain1", { kind: "text", parameters: {} }));
    await until(provider, externalId, finished);
    await sleep(120);
    expect(await provider.status(externalId)).toEqual({ state: "expired" });
  });

  it("submitting the same job twice while it runs does not start it again", async () => {
    const provider = new LocalProvider({ delayMs: 300 });
    const a = await provider.submit(request("job_twice1"));
    const running = (await until(provider, a.externalId, (s) => s.state === "running" && (s.progress ?? 0) > 0)).at(-1)!;
    const b = await provider.submit(request("job_twice1"));
    expect(b.externalId).toBe(a.externalId);
    // A fresh run would be back at "queued" with no progress.
    const now = await provider.status(a.externalId);
    expect(now.state).toBe("running");
    expect(now.state === "running" && running.state === "running" && (now.progress ?? 0) >= (running.progress ?? 0)).toBe(true);
    expect((await until(provider, a.externalId, finished)).at(-1)!.state).toBe("succeeded");
  });

  it("refuses a submit whose signal is already aborted", async () => {
    const provider = new LocalProvider();
    const controller = new AbortController();
    controller.abort();
    await expect(provider.submit(request("job_abort1"), { signal: controller.signal })).rejects.toThrow();
    expect(await provider.status("local_job_abort1")).toEqual({ state: "expired" });
  });
});
