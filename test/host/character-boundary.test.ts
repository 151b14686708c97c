import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { CharacterBoundaries, sequenceEnd, WALK_BACK_BYTES } from "../../host/character-boundary.js";
import { cutWindow, SEGMENT_BYTES } from "../../host/document-window.js";
import { textCodec } from "../../host/text-codec.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const MULTI_BYTE = ["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"] as const;

/** Character starts of `bytes` walked from the start (the codec's own walk), and the end. */
function referenceBoundaries(encoding: string, bytes: Uint8Array): Set<number> {
  const starts = new Set<number>([0]);
  for (let at = 0; at < bytes.length; ) {
    at = sequenceEnd(encoding, bytes, at);
    starts.add(at);
  }
  return starts;
}

const reader = (bytes: Uint8Array) => ({
  length: bytes.length,
  read: (start: number, end: number) => bytes.subarray(start, end),
});

/** Bytes that play every role: ASCII (a few low), leads, trails, digits, line feeds. */
const anyByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0x81, max: 0xfe }),
  fc.integer({ min: 0x30, max: 0x39 }),
  fc.constant(0x0a),
);

describe("character boundaries in the multi-byte sets", () => {
  it.each(MULTI_BYTE)("%s: every answer is the walk from the start's", (encoding) => {
    fc.assert(
      fc.property(fc.array(anyByte, { maxLength: 300 }), fc.boolean(), (values, remember) => {
        const bytes = Uint8Array.from(values);
        const truth = referenceBoundaries(encoding, bytes);
        const boundaries = new CharacterBoundaries(encoding, reader(bytes), remember);
        for (let offset = 0; offset <= bytes.length; offset++) {
          let expected = offset;
          while (!truth.has(expected)) expected++;
          expect(boundaries.atOrAfter(offset)).toBe(expected);
          expect(boundaries.isBoundary(offset)).toBe(truth.has(offset));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("questions in increasing order read each part of the text about once", () => {
    const bytes = iconv.encode("ソ表能\\ 予定表 C:\\logs\\ソフト\n".repeat(40_000), "shift_jis");
    let reads = 0;
    let readBytes = 0;
    const counted = {
      length: bytes.length,
      read: (start: number, end: number) => {
        reads++;
        readBytes += end - start;
        return bytes.subarray(start, end);
      },
    };
    const boundaries = new CharacterBoundaries("shift_jis", counted);
    let kept = 0;
    for (let at = bytes.indexOf(0x5c); at >= 0; at = bytes.indexOf(0x5c, at + 1)) {
      if (boundaries.isBoundary(at) && boundaries.isBoundary(at + 1)) kept++;
    }
    expect(kept).toBe(3 * 40_000);
    expect(readBytes).toBeLessThan(2 * bytes.length);
    expect(reads).toBeLessThan((2 * bytes.length) / (32 * 1024));
  });

  it("finds the character holding ASCII-looking second bytes (Shift_JIS ソ is 83 5C)", () => {
    const bytes = iconv.encode("aソ表\\", "shift_jis"); // 61 83 5C 95 5C 5C
    const boundaries = new CharacterBoundaries("shift_jis", reader(bytes));
    expect([...bytes].map((_, at) => boundaries.isBoundary(at))).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it("a run of lead-and-trail bytes longer than the look-back: exact from the last boundary, bounded otherwise", () => {
    // 0xA1 0xA1 … is GBK/EUC-KR text ("　" repeated) with no certain cut anywhere in it.
    const run = 3 * WALK_BACK_BYTES;
    const bytes = Buffer.concat([Buffer.from("x\n"), Buffer.alloc(run, 0xa1), Buffer.from("\n")]);
    const inOrder = new CharacterBoundaries("gbk", reader(bytes));
    for (let offset = 2; offset < bytes.length; offset += 997) {
      expect(inOrder.isBoundary(offset)).toBe((offset - 2) % 2 === 0);
    }
    // Asked alone, far into the run: walked from the bound back, in time, and still a 2-byte step.
    const alone = new CharacterBoundaries("gbk", reader(bytes), false);
    const started = performance.now();
    const answer = alone.atOrAfter(2 * WALK_BACK_BYTES + 1);
    expect(performance.now() - started).toBeLessThan(200);
    expect(answer - (2 * WALK_BACK_BYTES + 1)).toBeLessThanOrEqual(1);
  });
});

/** A line of `length` random bytes (no CR, no LF) from `seed`: a third of them leads, a sixth digits. */
function randomLine(seed: number, length: number): Buffer {
  let state = seed;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const line = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const value = next();
    const kind = value % 6;
    let byte =
      kind < 2
        ? 0x81 + ((value >>> 8) % 0x7e)
        : kind === 2
          ? 0x30 + ((value >>> 8) % 10)
          : (value >>> 8) & 0xff;
    if (byte === 0x0a || byte === 0x0d) byte = 0x20;
    line[i] = byte;
  }
  return line;
}

describe("long lines in a multi-byte set are cut between characters", () => {
  async function segmentsOf(encoding: string, content: Buffer) {
    const dir = tempDir();
    const path = join(dir, "d.txt");
    writeFileSync(path, content);
    const doc = await open(path, { stateDir: join(dir, "state") });
    try {
      await doc.whenIndexed();
      const codec = textCodec(encoding);
      const window = cutWindow(
        doc,
        { anchor: { line: 0 }, linesBefore: 0, linesAfter: 10_000 },
        1,
        () => true,
        (bytes) => codec.decode(bytes),
        encoding,
      );
      // Byte ranges of the window's lines, from their text (every byte written back as itself).
      const ranges: Array<[number, number]> = [];
      let at = window.start;
      window.lines.forEach((text, i) => {
        const length = codec.encode(text).length;
        ranges.push([at, at + length]);
        at += length + (window.breaks[i] ?? 0);
      });
      return { window, ranges };
    } finally {
      await doc.close();
    }
  }

  it.each([
    ["shift_jis", "日本語"],
    ["gbk", "中文字"],
    ["gb18030", "中文字😀"],
    ["big5", "中文字"],
    ["euc-kr", "한국어"],
    ["euc-jp", "日本語"],
  ])("%s: a line of %s after one ASCII byte shows every segment decoded", async (encoding, unit) => {
    const text = `a${unit.repeat(3000)}`;
    const content = iconv.encode(`${text}\n`, encoding);
    const { window } = await segmentsOf(encoding, content);
    expect(window.lines.length).toBeGreaterThan(2);
    // No escaped byte anywhere: each segment starts on a character.
    for (const line of window.lines) expect(line).not.toMatch(/[\udc00-\udcff]/);
    expect(window.lines.join("")).toBe(text);
  });

  it.each(MULTI_BYTE)(
    "%s: segments of random lines concatenate to the line, each starting on a character",
    async (encoding) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 0x7fffffff }),
          fc.integer({ min: 2 * SEGMENT_BYTES, max: 5 * SEGMENT_BYTES }),
          async (seed, length) => {
            const line = randomLine(seed, length);
            const { window, ranges: all } = await segmentsOf(
              encoding,
              Buffer.concat([line, Buffer.from("\n")]),
            );
            // The line's segments: up to the one its line feed ends (the empty last line follows).
            const ranges = all.slice(0, window.breaks.findIndex((bytes) => bytes > 0) + 1);
            const truth = referenceBoundaries(encoding, line);
            expect(ranges[0]![0]).toBe(0);
            for (let i = 1; i < ranges.length; i++) {
              expect(ranges[i]![0]).toBe(ranges[i - 1]![1]); // segments meet (no line break inside)
              expect(truth.has(ranges[i]![0])).toBe(true);
            }
            expect(ranges[ranges.length - 1]![1]).toBe(line.length);
            expect(ranges.length).toBeGreaterThan(1);
          },
        ),
        { numRuns: 8 },
      );
    },
  );
});
