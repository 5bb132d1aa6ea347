import { describe, expect, it } from "vitest";
import { decodeSearchCursor, encodeSearchCursor, searchScope } from "../../src/search/cursor.js";
import { parseSearchText } from "../../src/search/text.js";

describe("parseSearchText", () => {
  it("completes the last plain word", () => {
    expect(parseSearchText("  red lighth ")).toEqual({ full: "red lighth", head: "red ", prefix: "lighth" });
    expect(parseSearchText("東京タ")).toEqual({ full: "東京タ", head: "", prefix: "東京タ" });
    expect(parseSearchText("@ad")).toEqual({ full: "@ad", head: "@", prefix: "ad" });
    expect(parseSearchText("foo-ba")).toEqual({ full: "foo-ba", head: "foo-", prefix: "ba" });
  });

  it("does not complete a negated, quoted or operator word, nor trailing punctuation", () => {
    for (const text of ["red -storm", "-storm", '"red light', "cat or", "cat OR", 'red "light"', "red light!", ""]) {
      expect(parseSearchText(text).prefix, text).toBeNull();
    }
  });

  it("normalises to NFC and drops NUL", () => {
    expect(parseSearchText("cafe\u0301").full).toBe("café");
    expect(parseSearchText("a\u0000b").full).toBe("a b");
  });
});

describe("search cursors", () => {
  it("round-trips the rank exactly and is bound to its search", () => {
    const scope = searchScope(["storm", undefined, "image"]);
    const rank = Math.fround(0.0607927);
    const id = "cr_01jd3x9v6q8r5m2k7n4p0w1z3y";
    expect(decodeSearchCursor(encodeSearchCursor({ rank, id }, scope), scope)).toEqual({ rank, id });
    expect(() => decodeSearchCursor(encodeSearchCursor({ rank, id }, scope), searchScope(["storm", undefined, "text"]))).toThrow(
      /another search/,
    );
    expect(decodeSearchCursor(undefined, scope)).toBeUndefined();
  });
});
