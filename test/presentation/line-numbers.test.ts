import { describe, expect, it } from "vitest";
import { estimatedLineCount } from "../../presentation/line-numbers.js";

describe("the line count the gutter is sized for, before the index has counted", () => {
  it("is exact for a window holding the whole document", () => {
    expect(
      estimatedLineCount(20, { start: 0, end: 20, breaks: [1, 2, 0, 1], atStart: true, atEnd: true }),
    ).toBe(4);
  });

  it("scales the window's density of line breaks (not segments) to the document", () => {
    // 100 lines of 100 bytes in a 1 MB document: about 10 000 lines.
    const breaks = Array.from({ length: 99 }, () => 1);
    const estimate = estimatedLineCount(1_000_000, {
      start: 0,
      end: 9_999,
      breaks,
      atStart: true,
      atEnd: false,
    });
    expect(estimate).toBeGreaterThan(9_800);
    expect(estimate).toBeLessThan(10_200);
    // One long line in segments: still one line.
    expect(
      estimatedLineCount(256 << 20, {
        start: 0,
        end: 1 << 20,
        breaks: [0, 0, 0],
        atStart: true,
        atEnd: false,
      }),
    ).toBe(1);
  });
});
