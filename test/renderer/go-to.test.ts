import { describe, expect, it } from "vitest";
import { parseGoTo } from "../../renderer/go-to.js";

describe("the Go to box", () => {
  const length = 10 * 1024 ** 3;
  it("takes 1-based lines, with separators, and clamps past the end", () => {
    expect(parseGoTo("1", length, 1000)).toEqual({ anchor: { line: 0 }, description: "line 1" });
    expect(parseGoTo(" 1,234_567 ", length, null)).toEqual({
      anchor: { line: 1234566 },
      description: "line 1234567",
    });
    expect(parseGoTo("5000", length, 1000)).toEqual({
      anchor: { line: 999 },
      description: "line 1000 (the last)",
    });
    expect(parseGoTo("0", length, 1000)).toEqual({ error: "Lines start at 1" });
  });

  it("takes +bytes with binary suffixes, and percentages by line or by byte", () => {
    expect(parseGoTo("+4096", length, null)).toEqual({ anchor: { byte: 4096 }, description: "byte 4096" });
    expect(parseGoTo("+1.5G", length, null)).toEqual({
      anchor: { byte: 1.5 * 1024 ** 3 },
      description: `byte ${1.5 * 1024 ** 3}`,
    });
    expect(parseGoTo("+2kib", length, null)).toMatchObject({ anchor: { byte: 2048 } });
    expect(parseGoTo("+20G", length, null)).toEqual({
      error: `Byte ${20 * 1024 ** 3} is past the end (${length} bytes)`,
    });
    expect(parseGoTo("50%", 100_000, 1001)).toEqual({ anchor: { line: 500 }, description: "line 501" });
    expect(parseGoTo("50%", length, null)).toEqual({
      anchor: { byte: length / 2 },
      description: `byte ${length / 2}`,
    });
    expect(parseGoTo("100%", 100, 10)).toEqual({ anchor: { line: 9 }, description: "line 10" });
    expect(parseGoTo("150%", 100, 10)).toEqual({ error: "A percentage goes up to 100%" });
  });

  it("takes percentages of bytes in files of very long lines (a one-line JSON)", () => {
    const json = 256 * 1024 ** 2;
    expect(parseGoTo("50%", json, 1)).toEqual({
      anchor: { byte: json / 2 },
      description: `byte ${json / 2}`,
    });
    expect(parseGoTo("90%", json, 1)).toMatchObject({ anchor: { byte: Math.floor(json * 0.9) } });
    // 8 KiB a line on average is still lines; one byte more is bytes.
    expect(parseGoTo("50%", 8192 * 100, 100)).toMatchObject({ anchor: { line: 49 } });
    expect(parseGoTo("50%", 8192 * 100 + 100, 100)).toMatchObject({
      anchor: { byte: (8192 * 100 + 100) / 2 },
    });
  });

  it("explains what it did not understand", () => {
    expect(parseGoTo("", length, null)).toMatchObject({ error: expect.stringMatching(/Type a line number/) });
    expect(parseGoTo("abc", length, null)).toEqual({ error: "Not a line, +bytes or percentage: abc" });
  });
});
