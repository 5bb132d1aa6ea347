// Titles and download names derived when a creation is recorded.
import { describe, expect, it } from "vitest";
import { TITLE_MAX, downloadFilename, titleFromPrompt } from "../../src/creations/store.js";

describe("titleFromPrompt", () => {
  it("keeps a short first line, whitespace collapsed", () => {
    expect(titleFromPrompt("  A red   fox\nat dawn, in the snow")).toBe("A red fox");
    expect(titleFromPrompt("\n\n  \nSecond line wins\n")).toBe("Second line wins");
    expect(titleFromPrompt("   ")).toBe("Untitled");
  });

  it("cuts long prompts at a word boundary to at most 80 characters, with an ellipsis", () => {
    const prompt = "An extraordinarily detailed panorama of a medieval harbour town at sunset with ships and gulls";
    const title = titleFromPrompt(prompt);
    expect(Array.from(title).length).toBeLessThanOrEqual(TITLE_MAX);
    expect(title.endsWith("…")).toBe(true);
    expect(prompt.startsWith(title.slice(0, -1))).toBe(true);
    expect(title.slice(0, -1)).not.toMatch(/\s$/);
    expect(prompt[title.length - 1]).toBe(" "); // cut between words
  });

  it("never splits a character made of two UTF-16 units", () => {
    const title = titleFromPrompt("🦊".repeat(100));
    expect(Array.from(title)).toHaveLength(TITLE_MAX);
    expect(title).toBe(`${"🦊".repeat(TITLE_MAX - 1)}…`);
  });
});

describe("downloadFilename", () => {
  it("uses the sniffed extension, drops path parts, quotes and control characters", () => {
    expect(downloadFilename("notes.txt", "png")).toBe("notes.png");
    expect(downloadFilename("../../etc/passwd", "txt")).toBe("passwd.txt");
    expect(downloadFilename("C:\\\\Users\\\\x\\\\evil\".exe", "bin")).toBe("evil.bin");
    expect(downloadFilename("line\nbreak.md", "md")).toBe("linebreak.md");
    expect(downloadFilename("...", "wav")).toBe("creation.wav");
    expect(downloadFilename("café ☕.md", "md")).toBe("café ☕.md");
    expect(Array.from(downloadFilename("x".repeat(300), "webp").replace(/\.webp$/, ""))).toHaveLength(110);
  });
});
