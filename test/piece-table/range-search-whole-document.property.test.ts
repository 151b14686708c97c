/**
 * Differential: a search over a range (find and countMatches with start/end — what the host's
 * find next, matches in view and counts run) against the same search over the whole document,
 * filtered to the range — for a literal (the native path, across piece borders), case-insensitive
 * and whole-word text, and regexes with lookbehind, lookahead, \b, ^ and $ (with and without the
 * required-literal prefilter). The text is built by edits, so it is several pieces; ranges start
 * and end anywhere (mid-word, mid-line, inside a multi-byte character).
 *
 * The range's matches are those of the whole-document search lying in it (starting at or after its
 * start, ending by its end) whenever no whole-document match runs across the range's start. When
 * one does, the range search is run from the range's start as a global RegExp with its lastIndex
 * there (as find next from a cursor inside a match must; the host's multi-byte character filter
 * restarts a search that way too), which a RegExp over the whole string checks.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Document, type FindOptions, type Match, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

interface Query {
  pattern: string | RegExp;
  options: FindOptions;
  /** The same search as a JS RegExp, for the lastIndex reference. */
  regex: RegExp;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The RegExp a query runs as (^ and $ at line ends, as the engine takes them). */
function asRegex(source: string, flags: string): RegExp {
  return new RegExp(source, `${flags}gm`);
}

const QUERIES: Query[] = [
  { pattern: "ab", options: {}, regex: asRegex("ab", "u") },
  { pattern: "aa", options: {}, regex: asRegex("aa", "u") }, // overlaps itself
  { pattern: "é a", options: {}, regex: asRegex("é a", "u") },
  { pattern: "AB", options: { caseSensitive: false }, regex: asRegex("AB", "ui") },
  { pattern: "Foo", options: { caseSensitive: false }, regex: asRegex("Foo", "ui") },
  { pattern: "ab", options: { wholeWord: true }, regex: asRegex(`\\b(?:${escapeRegExp("ab")})\\b`, "u") },
  {
    pattern: "foo",
    options: { wholeWord: true, caseSensitive: false },
    regex: asRegex("\\b(?:foo)\\b", "ui"),
  },
  { pattern: "\\bfoo\\d", options: { regex: true }, regex: asRegex("\\bfoo\\d", "u") }, // prefilter
  { pattern: "(?<=x)y+", options: { regex: true }, regex: asRegex("(?<=x)y+", "u") },
  { pattern: "(?<!a)b", options: { regex: true }, regex: asRegex("(?<!a)b", "u") },
  { pattern: "foo(?=\\d)", options: { regex: true }, regex: asRegex("foo(?=\\d)", "u") },
  { pattern: "a(?!b)", options: { regex: true }, regex: asRegex("a(?!b)", "u") },
  { pattern: "^ab", options: { regex: true }, regex: asRegex("^ab", "u") },
  { pattern: "ab$", options: { regex: true }, regex: asRegex("ab$", "u") },
  { pattern: "^foo1$", options: { regex: true }, regex: asRegex("^foo1$", "u") }, // prefilter
  { pattern: "a+|b", options: { regex: true }, regex: asRegex("a+|b", "u") },
  // Lookbehinds that can see the line feed before a line (a range starting a line must show it).
  { pattern: "(?<=[^a])foo\\d", options: { regex: true }, regex: asRegex("(?<=[^a])foo\\d", "u") },
  { pattern: "(?<=\\s)foo", options: { regex: true }, regex: asRegex("(?<=\\s)foo", "u") },
  { pattern: /\bxy/, options: {}, regex: asRegex("\\bxy", "") },
  { pattern: /y\s+x/, options: {}, regex: asRegex("y\\s+x", "") }, // across lines
];

const word = fc.constantFrom("a", "b", "x", "y", " ", "foo", "Foo", "1", "2", "ab", "AB", "xyy", "é", "aa");
const line = fc.array(word, { maxLength: 10 }).map((parts) => parts.join(""));
const text = fc.array(line, { minLength: 1, maxLength: 8 }).map((lines) => lines.join("\n"));

/** Pieces: the file, then inserts at positions picked by the given fractions. */
const edits = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), line), { maxLength: 4 });

async function documentOf(
  file: string,
  inserts: [number, string][],
): Promise<{ doc: Document; bytes: Buffer }> {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, file);
  const doc = await open(path, { stateDir: join(dir, "state") });
  let bytes = Buffer.from(file);
  for (const [at, inserted] of inserts) {
    // A character boundary near the fraction (the document takes bytes; the reference, a string).
    let offset = Math.floor(at * bytes.length);
    while (offset > 0 && offset < bytes.length && (bytes[offset]! & 0xc0) === 0x80) offset--;
    doc.insert(offset, inserted);
    bytes = Buffer.concat([bytes.subarray(0, offset), Buffer.from(inserted), bytes.subarray(offset)]);
  }
  return { doc, bytes };
}

async function found(doc: Document, query: Query, range: FindOptions = {}): Promise<Match[]> {
  const matches: Match[] = [];
  for await (const match of doc.find(query.pattern, { ...query.options, ...range })) matches.push(match);
  return matches;
}

/** The non-empty matches of the query from byte `start` (a character boundary) that end by `end`. */
function fromStart(bytes: Buffer, query: Query, start: number, end: number): Match[] {
  const subject = bytes.toString("utf8");
  const regex = new RegExp(query.regex.source, query.regex.flags);
  regex.lastIndex = bytes.subarray(0, start).toString("utf8").length;
  const matches: Match[] = [];
  for (let match = regex.exec(subject); match !== null; match = regex.exec(subject)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const matchStart = Buffer.byteLength(subject.slice(0, match.index));
    const matchEnd = matchStart + Buffer.byteLength(match[0]);
    if (matchEnd > end) break;
    matches.push({ start: matchStart, end: matchEnd });
  }
  return matches;
}

const isBoundary = (bytes: Buffer, offset: number) =>
  offset === 0 || offset === bytes.length || (bytes[offset]! & 0xc0) !== 0x80;

describe("a range search is the whole-document search filtered to the range", () => {
  it("for literal, case-insensitive, whole-word and regex queries, over pieces, from any offset", async () => {
    let straddled = 0;
    let clean = 0;
    await fc.assert(
      fc.asyncProperty(text, edits, fc.nat(), fc.nat(), async (file, inserts, a, b) => {
        const { doc, bytes } = await documentOf(file, inserts);
        try {
          expect(doc.read(0, doc.length).equals(bytes)).toBe(true);
          const [start, end] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y) as [
            number,
            number,
          ];
          for (const query of QUERIES) {
            const whole = await found(doc, query);
            const inRange = await found(doc, query, { start, end });
            expect(await doc.countMatches(query.pattern, { ...query.options, start, end })).toBe(
              inRange.length,
            );
            const across = whole.some((match) => match.start < start && match.end > start);
            if (!across) {
              clean++;
              const filtered = whole.filter((match) => match.start >= start && match.end <= end);
              expect(inRange, `${query.pattern} in ${start}..${end}`).toEqual(filtered);
            } else straddled++;
            if (isBoundary(bytes, start)) {
              expect(inRange, `${query.pattern} from ${start}`).toEqual(fromStart(bytes, query, start, end));
            }
          }
        } finally {
          await doc.discard();
        }
      }),
      { numRuns: 120 },
    );
    // Both kinds of range were tried (the property is not vacuous).
    expect(clean).toBeGreaterThan(1000);
    expect(straddled).toBeGreaterThan(10);
  });

  it("examples at a range's edges: mid-word, mid-line, after its end", async () => {
    const { doc } = await documentOf("xfoo1 foo2\nab aab\nzab", []);
    try {
      const within = async (pattern: string, options: FindOptions, start: number, end: number) =>
        found(doc, QUERIES.find((q) => q.pattern === pattern && q.options.wholeWord === options.wholeWord)!, {
          start,
          end,
        });
      // \bfoo\d from inside "xfoo1": the x before it is seen, so only "foo2".
      expect(await within("\\bfoo\\d", {}, 1, 11)).toEqual([{ start: 6, end: 10 }]);
      // Whole word "ab" inside "aab": no word; as a literal it is there.
      expect(await within("ab", { wholeWord: true }, 15, 17)).toEqual([]);
      expect(await within("ab", {}, 15, 17)).toEqual([{ start: 15, end: 17 }]);
      // foo(?=\d) ending at the range's end sees the digit after it.
      expect(await within("foo(?=\\d)", {}, 6, 9)).toEqual([{ start: 6, end: 9 }]);
      // ^ab from mid-line is no line start; ab$ ending mid-line is no line end.
      expect(await within("^ab", {}, 15, 17)).toEqual([]);
      expect(await within("^ab", {}, 11, 13)).toEqual([{ start: 11, end: 13 }]);
      expect(await within("ab$", {}, 11, 13)).toEqual([]);
      expect(await within("ab$", {}, 14, 17)).toEqual([{ start: 15, end: 17 }]);
      expect(await within("ab$", {}, 19, 21)).toEqual([{ start: 19, end: 21 }]);
    } finally {
      await doc.discard();
    }
  });

  it("in UTF-16 too: the context is read in whole code units", async () => {
    const dir = tempDir();
    const path = join(dir, "utf16.txt");
    // BOM, then "xfoo1 foo2\n(foo3)": each character two bytes.
    writeFileSync(
      path,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("xfoo1 foo2\n(foo3)", "utf16le")]),
    );
    const doc = await open(path, { stateDir: join(dir, "state") });
    try {
      expect(doc.encoding).toBe("utf-16le");
      const at = (char: number) => 2 + 2 * char;
      const within = async (pattern: RegExp, start: number, end: number) => {
        const matches: Match[] = [];
        for await (const match of doc.find(pattern, { start, end })) matches.push(match);
        return matches;
      };
      // From the "f" of "xfoo1" (and from inside its first unit): the x before it is seen.
      expect(await within(/\bfoo\d/, at(1), doc.length)).toEqual([
        { start: at(6), end: at(10) },
        { start: at(12), end: at(16) },
      ]);
      expect(await within(/\bfoo\d/, at(1) - 1, doc.length)).toEqual([
        { start: at(6), end: at(10) },
        { start: at(12), end: at(16) },
      ]);
      expect(await within(/(?<=\()foo/, at(12), at(15))).toEqual([{ start: at(12), end: at(15) }]);
      expect(await within(/^foo/m, at(7), doc.length)).toEqual([]);
      expect(await doc.replaceAll(/(?<=\()foo/, "#", { start: at(12), end: at(15) })).toBe(1);
      expect(doc.getText()).toBe("xfoo1 foo2\n(#3)");
    } finally {
      await doc.discard();
    }
  });
});
