/**
 * replaceAll with a range (the editor's Replace on one match): the pattern sees the document
 * around the range — lookbehind, lookahead, \b, ^ and $ — and only matches that start inside the
 * range and end by its end are replaced. Property: replacing the range of any one match of the
 * whole document replaces that match and nothing else.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { contextAround } from "../../piece-table/replace-context.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** Replaces in [start, end) of a document holding `text`; the count and the text after. */
async function replaceInRange(
  text: string | Buffer,
  pattern: RegExp | string,
  replacement: string,
  range: { start: number; end: number },
  options: { regex?: boolean; wholeWord?: boolean } = {},
) {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, text);
  const doc = await open(path, { stateDir: join(dir, "state") });
  try {
    const count = await doc.replaceAll(pattern, replacement, { ...options, ...range });
    return { count, after: doc.read().toString("latin1") };
  } finally {
    await doc.discard();
  }
}

describe("replaceAll in a range sees the text around it", () => {
  it("lookbehind: (?<=a)b is replaced after a, not after x", async () => {
    expect(await replaceInRange("abc xbc", /(?<=a)b/, "B", { start: 1, end: 2 })).toEqual({
      count: 1,
      after: "aBc xbc",
    });
    expect(await replaceInRange("abc xbc", /(?<=a)b/, "B", { start: 5, end: 6 })).toEqual({
      count: 0,
      after: "abc xbc",
    });
  });

  it("lookahead: a(?=b) is replaced before b only", async () => {
    expect(await replaceInRange("ab ac", /a(?=b)/, "A", { start: 0, end: 1 })).toEqual({
      count: 1,
      after: "Ab ac",
    });
    expect(await replaceInRange("ab ac", /a(?=b)/, "A", { start: 3, end: 4 })).toEqual({
      count: 0,
      after: "ab ac",
    });
  });

  it("\\b and whole word: id inside xid is not a word", async () => {
    expect(await replaceInRange("xid id", /\bid\b/, "ID", { start: 1, end: 3 })).toMatchObject({ count: 0 });
    expect(await replaceInRange("xid id", /\bid\b/, "ID", { start: 4, end: 6 })).toEqual({
      count: 1,
      after: "xid ID",
    });
    expect(
      await replaceInRange("xid id", "id", "ID", { start: 1, end: 3 }, { wholeWord: true }),
    ).toMatchObject({ count: 0 });
  });

  it("^ and $ (m): a line's whole text, not the range's", async () => {
    const text = "ax\nx\r\nxa\n";
    expect(await replaceInRange(text, /^x$/m, "X", { start: 1, end: 2 })).toMatchObject({ count: 0 });
    expect(await replaceInRange(text, /^x\r?$/m, "X", { start: 3, end: 5 })).toEqual({
      count: 1,
      after: "ax\nX\nxa\n",
    });
    expect(await replaceInRange(text, /^x/m, "X", { start: 6, end: 7 })).toEqual({
      count: 1,
      after: "ax\nx\r\nXa\n",
    });
    expect(await replaceInRange(text, /x$/m, "X", { start: 6, end: 7 })).toMatchObject({ count: 0 });
  });

  it("a match must end by the range's end: \\d+ over id=12 in [3, 4) replaces nothing", async () => {
    expect(await replaceInRange("id=12", /\d+/, "N", { start: 3, end: 4 })).toMatchObject({ count: 0 });
    expect(await replaceInRange("id=12", /\d+/, "N", { start: 3, end: 5 })).toEqual({
      count: 1,
      after: "id=N",
    });
  });

  it("matches from the range's start as a regex run from there would (the text before it in view)", async () => {
    // As findNext from offset 1 finds it: "aa" at 1, then "b" — not "aaa" from 0.
    expect(await replaceInRange("aaa b", /a+|b/, "X", { start: 1, end: 5 })).toEqual({
      count: 2,
      after: "aX X",
    });
    // Lookbehind sees the byte before the range: "a" at 1 follows an "a".
    expect(await replaceInRange("aaa b", /(?<=a)a/, "X", { start: 1, end: 3 })).toEqual({
      count: 2,
      after: "aXX b",
    });
  });

  it("groups see their match in context: (?<=(\\w))id=(\\d+) with $1 and $2", async () => {
    expect(await replaceInRange("xid=1 yid=2", /(?<=(\w))id=(\d+)/, "<$1$2>", { start: 7, end: 11 })).toEqual(
      { count: 1, after: "xid=1 y<y2>" },
    );
  });

  it("bytes that are not UTF-8 around the range stay as they were", async () => {
    const text = Buffer.from("\xffid=1 x\r\nid=22 y\xff\n", "latin1");
    expect(await replaceInRange(text, /(?<=\n)id=(\d+)/, "<$1>", { start: 9, end: 14 })).toEqual({
      count: 1,
      after: "\xffid=1 x\r\n<22> y\xff\n",
    });
  });
});

describe("replaceAll in a range of UTF-16 text", () => {
  it("sees whole code units around it: (?<=a)b after a only", async () => {
    const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    // a b c ␠ x b c after a 2-byte BOM: the first b is bytes [4, 6), the second [12, 14).
    const first = await replaceInRange(utf16("abc\nxbc"), /(?<=a)b/, "B", { start: 4, end: 6 });
    expect(first.count).toBe(1);
    expect(Buffer.from(first.after, "latin1").equals(utf16("aBc\nxbc"))).toBe(true);
    const second = await replaceInRange(utf16("abc\nxbc"), /(?<=a)b/, "B", { start: 12, end: 14 });
    expect(second.count).toBe(0);
  });
});

describe("contextAround", () => {
  it("reaches the line feed before the range's line and the end of its last line", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "one\ntwo three\nfour\n");
    const doc = await open(path, { stateDir: join(dir, "state") });
    try {
      // The version replaceAll reads (private to Document).
      const snapshot = (doc as unknown as { snapshot(): Parameters<typeof contextAround>[0] }).snapshot();
      expect(contextAround(snapshot, 8, 9)).toEqual({ from: 3, to: 14 });
      expect(contextAround(snapshot, 0, 2)).toEqual({ from: 0, to: 4 });
      expect(contextAround(snapshot, 15, 19)).toEqual({ from: 13, to: 19 });
      // UTF-16: whole code units either side of an even start.
      expect(contextAround(snapshot, 8, 10, 2)).toEqual({ from: 2, to: 14 });
    } finally {
      await doc.discard();
    }
  });
});

const TEXT_PARTS = ["a", "b", "c", "ab", " ", "\n", "\r\n", "é", "_", "1", "abc abc"];
/** Atoms of line-local patterns (no \s, no s flag): a match never holds a line feed. */
const ATOMS = [
  "a",
  "b",
  "[ab]",
  "\\b",
  "\\B",
  "^",
  "$",
  "(?<=a)",
  "(?<=\\n)",
  "(?=b)",
  "(?<!c)",
  "(?!a)",
  "(a)",
  "(b)?",
  "a*",
  "b?",
  "\\w+",
  ".",
  "é",
  "(?:ab|c)",
];

describe("replacing one match by its range", () => {
  it("replaces that match and nothing else, whichever match it is", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...TEXT_PARTS), { maxLength: 24 }).map((parts) => parts.join("")),
        fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join("")),
        fc.constantFrom("u", "iu"),
        fc.nat(),
        async (text, source, flags, pick) => {
          let global: RegExp;
          try {
            global = new RegExp(source, `${flags}gm`);
          } catch {
            fc.pre(false);
            return;
          }
          const bytesBefore = (index: number) => Buffer.byteLength(text.slice(0, index));
          const matches = [...text.matchAll(global)].map((m) => ({
            start: bytesBefore(m.index),
            end: bytesBefore(m.index + m[0].length),
          }));
          fc.pre(matches.length > 0);
          const length = Buffer.byteLength(text);
          const range = matches[pick % matches.length]!;
          // Which matches the range holds: inside it; one empty at its end only if it is empty
          // or ends the text.
          const inside = (m: { start: number; end: number }) =>
            m.start >= range.start &&
            m.end <= range.end &&
            (m.start < range.end || range.start === range.end || range.end === length);
          let index = 0;
          const expected = text.replace(global, (matched) => (inside(matches[index++]!) ? "<>" : matched));
          const result = await replaceInRange(text, new RegExp(source, flags), "<>", range);
          expect(Buffer.from(result.after, "latin1").toString("utf8")).toBe(expected);
          expect(result.count).toBe(matches.filter(inside).length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
