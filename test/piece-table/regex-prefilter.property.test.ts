// The regex prefilter (native candidate lines, then the regex over them on workers) against the
// plain chunked scan and against String.prototype.matchAll, on generated text and patterns, with
// edits (added pieces, literals across piece borders), ranges and tiny native batches.
import { isUtf8 } from "node:buffer";
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { configureScan } from "../../native/index.js";
import { open } from "../../piece-table/index.js";
import { isLineLocal, requiredLiteralOf } from "../../piece-table/regex-source.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const initial = configureScan();

afterEach(() => {
  configureScan(initial);
});

const atoms = fc.constantFrom(
  "abc",
  "ERR",
  "a1 ",
  "bca",
  "[a-c]",
  "\\d",
  ".",
  "x?",
  "b+",
  "c*",
  "(?:ab|c)",
  "(a|b)",
  "R{2}",
  "^",
  "$",
  "\\b",
  "(?<=a)",
  "(?!b)",
  "é",
  "[^a]",
  "\\s",
  "\\n?",
  "[\\t-\\r]",
);
const patterns = fc
  .array(atoms, { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(""))
  .filter((source) => {
    try {
      new RegExp(source, "u");
      return true;
    } catch {
      return false;
    }
  });
const texts = fc
  .array(fc.constantFrom("a", "b", "c", "E", "R", "1", " ", "\n", "é", "abc", "ERR", "bca"), {
    maxLength: 120,
  })
  .map((parts) => parts.join(""));

async function collect(iterable: AsyncIterable<{ start: number; end: number }>): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for await (const match of iterable) out.push([match.start, match.end]);
  return out;
}

/** Non-empty matches as the engine reports them, with byte offsets, the obvious way. */
function matchAll(text: string, source: string): [number, number][] {
  const regex = new RegExp(source, "gmu");
  const out: [number, number][] = [];
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const start = Buffer.byteLength(text.slice(0, match.index));
    out.push([start, start + Buffer.byteLength(match[0])]);
  }
  return out;
}

describe("the regex prefilter", () => {
  it("finds exactly what the plain scan and matchAll find", async () => {
    let prefiltered = 0;
    await fc.assert(
      fc.asyncProperty(
        texts,
        fc.array(fc.tuple(fc.nat(), texts), { maxLength: 6 }),
        patterns,
        fc.integer({ min: 1, max: 64 }),
        fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
        async (text, inserts, source, batchBytes, range) => {
          configureScan({ batchBytes });
          if (requiredLiteralOf(source, "mu") && isLineLocal(source, "mu")) prefiltered++;
          const path = join(tempDir(), "doc.txt");
          writeFileSync(path, text);
          const doc = await open(path, { stateDir: join(tempDir(), "state") });
          try {
            for (const [at, piece] of inserts) doc.insert(at % (doc.length + 1), piece);
            const options = { regex: true } as { regex: boolean; start?: number; end?: number };
            if (range) {
              options.start = range[0] % (doc.length + 1);
              options.end = options.start + (range[1] % (doc.length - options.start + 1));
            }
            const found = await collect(doc.find(source, options));
            expect(await doc.countMatches(source, options)).toBe(found.length);
            // An insert may split a character. Invalid UTF-8 is matched as Latin-1 (byte offsets
            // stay exact), decided per text the regex sees: per candidate line here, per chunk in
            // the plain scan, so a pattern that can match a non-ASCII character may differ there.
            const bytes = doc.read();
            if (!isUtf8(bytes)) return;
            // The same pattern behind an alternation has no required literal: the plain scan.
            const plain = await collect(doc.find(`(?:${source})|(?!)`, options));
            expect(found).toEqual(plain);
            if (!range) expect(found).toEqual(matchAll(bytes.toString("utf8"), source));
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 250 },
    );
    // The generator reaches the prefiltered path often.
    expect(prefiltered).toBeGreaterThan(50);
  });
});

describe("the regex prefilter's limits", () => {
  it("stops at the limit and on an abort signal", async () => {
    const path = join(tempDir(), "log.txt");
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++)
      lines.push(i % 7 === 0 ? `t=${i} ERROR [worker-1${i % 10}] x` : `t=${i} ok`);
    writeFileSync(path, lines.join("\n"));
    configureScan({ batchBytes: 4096 });
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    try {
      const all = await collect(doc.find(/ERROR \[worker-1\d\]/));
      expect(all.length).toBe(Math.ceil(50_000 / 7));
      expect(await collect(doc.find(/ERROR \[worker-1\d\]/, { limit: 3 }))).toEqual(all.slice(0, 3));
      expect(await doc.countMatches(/ERROR \[worker-1\d\]/, { limit: 5 })).toBe(5);
      const controller = new AbortController();
      const seen: number[] = [];
      await expect(async () => {
        for await (const match of doc.find(/ERROR \[worker-1\d\]/, { signal: controller.signal })) {
          seen.push(match.start);
          controller.abort();
        }
      }).rejects.toThrow(/abort/i);
      expect(seen).toEqual([all[0]![0]]);
    } finally {
      await doc.close();
    }
  });
});

describe("the regex prefilter on a line longer than a regex chunk", () => {
  it("cuts the line where the chunked scan cuts it (every 64 MiB from its start)", async () => {
    const path = join(tempDir(), "one-line.bin");
    const size = 70 * 1024 * 1024;
    const fd = openSync(path, "w");
    ftruncateSync(fd, size);
    const placed = [10, 64 * 1024 * 1024 - 3, 66 * 1024 * 1024];
    for (const at of placed) writeSync(fd, Buffer.from("NEEDLE"), 0, 6, at);
    closeSync(fd);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    try {
      const found = await collect(doc.find(/NEED+LE/));
      expect(found).toEqual(await collect(doc.find(/(?:NEED+LE)|(?!)/)));
      // The match across the cut is not seen by either (as a chunk edge hides it).
      expect(found).toEqual([
        [10, 16],
        [66 * 1024 * 1024, 66 * 1024 * 1024 + 6],
      ]);
    } finally {
      await doc.close();
    }
  });
});

describe("reading a pattern's source", () => {
  it("finds a required literal only where every match has it", () => {
    expect(requiredLiteralOf("x{123}abc")).toBe("abc");
    expect(requiredLiteralOf("\\u0041BCD")).toBe("BCD");
    expect(requiredLiteralOf("\\p{Letter}+xy")).toBe("xy");
    expect(requiredLiteralOf("\\k<name>ab(?<name>q)")).toBe("ab");
    expect(requiredLiteralOf("\\bcat(?:s|z)\\b")).toBe("cat");
    expect(requiredLiteralOf("\\b(?:concat)\\b")).toBe("concat");
    expect(requiredLiteralOf("(?:abcd)?x")).toBe("x");
    expect(requiredLiteralOf("(?=abcd)x")).toBe("x");
    expect(requiredLiteralOf("(?<!abcd)x")).toBe("x");
    expect(requiredLiteralOf("(?:ab|cd)")).toBeNull();
    expect(requiredLiteralOf("abc", "i")).toBeNull();
    expect(requiredLiteralOf("éabc")).toBe("abc");
  });

  it("calls a pattern line-local only when no match can hold a line feed", () => {
    for (const source of ["a.b", "[a-z]+", "\\d\\w", "[ -~]", "\\r", "(?<=x)y", "\\x41"]) {
      expect(isLineLocal(source, "mu"), source).toBe(true);
    }
    for (const source of [
      "a\\sb",
      "[^a]",
      "[\\t-\\r]",
      "[\\x00-\\x7f]",
      "\\x0a",
      "\\u{a}",
      "\\cJ",
      "\\012",
      "a\nb",
      "\\p{Any}",
    ]) {
      expect(isLineLocal(source, "mu"), source).toBe(false);
    }
    expect(isLineLocal("a.b", "s")).toBe(false);
  });
});
