// oTo's per-kind output contract and RunPod's failure forms, read without any network.
import { describe, expect, it } from "vitest";
import { interpretRunpodOutput, isAllowedHost, readableRunpodError } from "../../src/generation/runpod/index.js";

function parts(output: unknown) {
  const result = interpretRunpodOutput(output);
  if (!result.ok) throw new Error(result.error);
  return result.parts.map(({ kind, filename, mediaType, source, metadata }) => ({ kind, filename, mediaType, source: source.type, metadata }));
}

describe("interpretRunpodOutput", () => {
  it("recognises every documented shape", () => {
    expect(parts({ text: "# hi", format: "markdown" })).toEqual([
      { kind: "text", filename: "output.md", mediaType: "text/markdown", source: "inline", metadata: { format: "markdown" } },
    ]);
    expect(parts({ text: "hi", format: "plain" })[0]).toMatchObject({ filename: "output.txt", mediaType: "text/plain" });
    expect(parts("just a string")[0]).toMatchObject({ kind: "text", mediaType: "text/plain" });
    expect(parts([{ choices: [{ tokens: ["a"] }, { text: "b" }] }])).toHaveLength(2);
    expect(parts({ images: [{ filename: "out/../x.JPG", type: "base64", data: "AAAA" }] })[0]).toMatchObject({
      kind: "image",
      filename: "x.JPG",
      mediaType: "image/jpeg",
      source: "base64",
    });
    expect(parts({ audio: "https://cdn.example.com/a/voice.mp3" })[0]).toMatchObject({
      kind: "voice",
      filename: "voice.mp3",
      mediaType: "audio/mpeg",
      source: "url",
    });
    expect(parts({ audio: "UklGRg==", format: "ogg" })[0]).toMatchObject({ mediaType: "audio/ogg", source: "base64" });
    expect(parts({ video: "https://cdn.example.com/v.webm" })[0]).toMatchObject({ mediaType: "video/webm", filename: "video.webm" });
    expect(parts({ video: "AAAA", format: "webp" })[0]).toMatchObject({ kind: "video", mediaType: "image/webp" });
    expect(parts({ filename: "clip.mp4", data: "AAAA" })[0]).toMatchObject({ kind: "video", metadata: { output_shape: "animatediff" } });
  });

  it("keeps ComfyUI's non-fatal errors as a warning on the files", () => {
    expect(parts({ images: [{ filename: "a.png", type: "url", data: "https://x/a.png" }], errors: ["node 9 skipped"] })[0]?.metadata).toEqual({
      worker_warnings: '["node 9 skipped"]',
    });
  });

  it.each([
    [null, /completed without an output/],
    [{ images: [] }, /image output contract.*images/],
    [{ images: [{ filename: "a.exe", type: "base64", data: "AAAA" }] }, /not a png, jpg, webp or gif/],
    [{ audio: "AAAA", format: "flac" }, /voice output contract/],
    [{ audio_base64: "https://x/a.wav" }, /audio_base64 holds a URL/],
    [{ filename: "x.png", data: "AAAA" }, /not an mp4, webm or webp/],
    [{ text: 42 }, /text output contract.*text/],
    [{ something: 1 }, /no known output key.*got something/],
    [[{ nope: true }], /vLLM/],
  ])("rejects %j clearly", (output, message) => {
    const result = interpretRunpodOutput(output);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toMatch(message);
    expect(result.ok ? "" : result.error).toMatch(/docs\/generation-outputs\.md/);
  });
});

describe("readableRunpodError", () => {
  it("reads the JSON-encoded exception form", () => {
    const error = JSON.stringify({ error_type: "<class 'torch.OutOfMemoryError'>", error_message: "CUDA out of memory", error_traceback: "..." });
    expect(readableRunpodError(error)).toBe("torch.OutOfMemoryError: CUDA out of memory");
  });

  it("reads the handler's {error, details} form and plain strings", () => {
    expect(readableRunpodError("Workflow validation failed", { details: ["a", { b: 1 }] })).toBe(
      'Workflow validation failed (details: a; {"b":1})',
    );
    expect(readableRunpodError("  worker crashed  ")).toBe("worker crashed");
    expect(readableRunpodError({ error: { message: "nested" } })).toBe("nested");
    expect(readableRunpodError("{not json")).toBe("{not json");
    expect(readableRunpodError(undefined)).toMatch(/without an error message/);
    expect(readableRunpodError("x".repeat(5000)).length).toBeLessThanOrEqual(1000);
  });
});

describe("isAllowedHost", () => {
  it("matches exact hosts and *.suffix wildcards, case-insensitively", () => {
    const list = ["Bucket.S3.amazonaws.com", "*.r2.cloudflarestorage.com", "::1"];
    expect(isAllowedHost("bucket.s3.amazonaws.com", list)).toBe(true);
    expect(isAllowedHost("abc.r2.cloudflarestorage.com", list)).toBe(true);
    expect(isAllowedHost("r2.cloudflarestorage.com", list)).toBe(false);
    expect(isAllowedHost("evilr2.cloudflarestorage.com", list)).toBe(false);
    expect(isAllowedHost("other.s3.amazonaws.com", list)).toBe(false);
    expect(isAllowedHost("[::1]", list)).toBe(true);
  });
});
