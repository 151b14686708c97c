/**
 * Searches over a range (find with start/end, countMatches, and so the host's findNext,
 * findInRange and counts) see the text around the range: the regex runs from the range's start
 * as a global RegExp whose lastIndex is there would — lookbehind, \b and ^ see the bytes before
 * it, lookahead and $ the bytes after its end — and only matches ending by the range's end count.
 * Property: over random lines and ranges, the engine's matches are exactly those of that
 * reference run over the whole text, for patterns with and without the native prefilter; and
 * replacing a found match's range replaces exactly it (findNext and Replace agree).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** The non-empty matches of `pattern` from `start` that end by `end`, as find gives them. */
function reference(text: string, pattern: RegExp, start: number, end: number) {
  const regex = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  regex.lastIndex = start;
  const matches: { start: number; end: number }[] = [];
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const matchEnd = match.index + match[0].length;
    if (matchEnd > end) break;
    matches.push({ start: match.index, end: matchEnd });
  }
  return matches;
}

async function documentOf(text: string): Promise<Document> {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, text);
  return open(path, { stateDir: join(dir, "state") });
}

const PATTERNS = [
  /\bfoo\d/, // a required literal, line-local: the native prefilter when the range starts a line
  /(?<=x)y+/,
  /^ab/m,
  /ab$/m,
  /a+|b/,
  /\bab\b/,
  /foo(?=\d)/,
];

const line = fc
  .array(fc.constantFrom("a", "b", "x", "y", " ", "foo", "1", "2", "ab", "xyy"), { maxLength: 12 })
  .map((parts) => parts.join(""));

describe("a range searched in its context", () => {
  it("finds and counts what a regex run from the range's start finds, up to its end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...PATTERNS),
        fc.nat(),
        fc.nat(),
        async (lines, pattern, a, b) => {
          const text = lines.join("\n");
          const [start, end] = [a % (text.length + 1), b % (text.length + 1)].sort((x, y) => x - y) as [
            number,
            number,
          ];
          const doc = await documentOf(text);
          try {
            const found = [];
            for await (const match of doc.find(pattern, { start, end })) found.push(match);
            const expected = reference(text, pattern, start, end);
            expect(found).toEqual(expected);
            expect(await doc.countMatches(pattern, { start, end })).toBe(expected.length);
          } finally {
            await doc.discard();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("replacing the range of a match found from any offset replaces exactly it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...PATTERNS),
        fc.nat(),
        async (lines, pattern, a) => {
          const text = lines.join("\n");
          const from = a % (text.length + 1);
          const [match] = reference(text, pattern, from, text.length);
          if (!match) return;
          const doc = await documentOf(text);
          try {
            expect(await doc.replaceAll(pattern, "#", { start: match.start, end: match.end })).toBe(1);
            expect(doc.getText()).toBe(`${text.slice(0, match.start)}#${text.slice(match.end)}`);
          } finally {
            await doc.discard();
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("examples: \\b and lookbehind at a range that starts mid-word", async () => {
    const doc = await documentOf("xfoo1 foo2\nyyy");
    try {
      const at = async (pattern: RegExp, start: number, end: number) => {
        const found = [];
        for await (const match of doc.find(pattern, { start, end })) found.push(match);
        return found;
      };
      // "foo1" at 1 is no word start (x before it): only "foo2".
      expect(await at(/\bfoo\d/, 1, 14)).toEqual([{ start: 6, end: 10 }]);
      // "yy" after the first y: the lookbehind sees it.
      expect(await at(/(?<=y)y+/, 12, 14)).toEqual([{ start: 12, end: 14 }]);
      // ^ at a range start mid-line is not a line start.
      expect(await at(/^foo/m, 6, 14)).toEqual([]);
    } finally {
      await doc.discard();
    }
  });
});
