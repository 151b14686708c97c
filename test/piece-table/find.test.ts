import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Document, open } from "../../piece-table/index.js";
import { requiredLiteralOf } from "../../piece-table/search.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

async function openText(content: string | Buffer): Promise<Document> {
  const path = join(tempDir(), "doc.txt");
  writeFileSync(path, content);
  return open(path, { stateDir: join(tempDir(), "state") });
}

async function collect(iterable: AsyncIterable<{ start: number; end: number }>): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for await (const match of iterable) out.push([match.start, match.end]);
  return out;
}

/** Leftmost non-overlapping matches, the obvious way. */
function scan(haystack: Buffer, needle: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) {
    out.push([at, at + needle.length]);
  }
  return out;
}

describe("find", () => {
  it("finds literal matches across piece borders like a scan of the bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[ab\n]{0,200}$/),
        fc.array(fc.tuple(fc.nat(), fc.stringMatching(/^[ab]{1,3}$/)), { maxLength: 60 }),
        fc.stringMatching(/^[ab]{1,4}$/),
        async (text, inserts, needle) => {
          const doc = await openText(text);
          try {
            for (const [at, piece] of inserts) doc.insert(at % (doc.length + 1), piece);
            const bytes = doc.read();
            const expected = scan(bytes, Buffer.from(needle));
            expect(await collect(doc.find(needle))).toEqual(expected);
            expect(await doc.countMatches(needle)).toBe(expected.length);
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("runs a RegExp with byte offsets on multi-byte text, and honours case and whole word", async () => {
    const doc = await openText("Élan vital\nélan ÉLAN\r\nsans élan 😀 élan\n");
    const text = doc.read();
    const byteOffsets = (pattern: RegExp): [number, number][] => {
      const decoded = text.toString("utf8");
      return [...decoded.matchAll(pattern)].map((m) => {
        const start = Buffer.byteLength(decoded.slice(0, m.index));
        return [start, start + Buffer.byteLength(m[0])];
      });
    };
    expect(await collect(doc.find(/élan/))).toEqual(byteOffsets(/élan/g));
    expect(await collect(doc.find("élan", { caseSensitive: false }))).toEqual(byteOffsets(/élan/giu));
    expect(await collect(doc.find(/^\S+/))).toEqual(byteOffsets(/^\S+/gmu));
    expect(await collect(doc.find("vital|sans", { regex: true }))).toEqual(byteOffsets(/vital|sans/gu));
    const words = await openText("cat concat cat_ cat.\ncat");
    expect(await collect(words.find("cat", { wholeWord: true }))).toEqual([
      [0, 3],
      [16, 19],
      [21, 24],
    ]);
    await words.close();
    await doc.close();
  });

  it("keeps byte offsets exact in text with invalid UTF-8", async () => {
    const doc = await openText(
      Buffer.from([0x61, 0x62, 0xff, 0x63, 0x64, 0x20, 0x61, 0x62, 0x0a, 0xc3, 0xa9, 0x61, 0x62]),
    );
    expect(await collect(doc.find(/ab/))).toEqual([
      [0, 2],
      [6, 8],
      [11, 13],
    ]);
    await doc.close();
  });

  it("respects start, end and limit, and stops on an abort signal", async () => {
    const doc = await openText("x.x.x.x.x.x");
    expect(await collect(doc.find("x", { start: 3, end: 9 }))).toEqual([
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect((await collect(doc.find("x", { limit: 2 }))).length).toBe(2);
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(async () => {
      for await (const match of doc.find("x", { signal: controller.signal })) {
        seen.push(match.start);
        controller.abort();
      }
    }).rejects.toThrow(/abort/i);
    expect(seen).toEqual([0]);
    expect(() => doc.find("")).toThrow(/empty pattern/);
    expect(() => doc.find("(", { regex: true })).toThrow(SyntaxError);
    expect(() => doc.find("x", { start: 5, end: 100 })).toThrow(RangeError);
    await doc.close();
  });

  it("finds matches across the native window edge and across regex chunk edges", async () => {
    const path = join(tempDir(), "big.log");
    const size = 70 * 1024 * 1024;
    const fd = openSync(path, "w");
    ftruncateSync(fd, size);
    const window = 64 * 1024 * 1024;
    const placed = [5, 4 * 1024 * 1024 - 3, window - 4, window + 10, size - 9];
    for (const at of placed) writeSync(fd, Buffer.from("NEEDLE\n"), 0, 7, at);
    closeSync(fd);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    const expected = placed.map((at) => [at, at + 6]);
    expect(await collect(doc.find("NEEDLE"))).toEqual(expected);
    expect(await collect(doc.find(/NEED+LE/))).toEqual(expected);
    expect(await doc.countMatches(/NEED+LE/)).toBe(expected.length);
    await doc.close();
  });
});

describe("the RegExp prefilter", () => {
  it("reads the literal every match must contain, conservatively", () => {
    expect(requiredLiteralOf("ERROR \\[worker-1\\d\\]")).toBe("ERROR [worker-1");
    expect(requiredLiteralOf("abc?d")).toBe("ab");
    expect(requiredLiteralOf("xa+bcd")).toBe("bcd");
    expect(requiredLiteralOf("(abc)?xy")).toBe("xy");
    expect(requiredLiteralOf("foo|bar")).toBeNull();
    expect(requiredLiteralOf("[abc]+\\d")).toBeNull();
    expect(requiredLiteralOf("a{2}bb")).toBe("bb");
  });

  it("finds the same matches with and without it, including lines packed with candidates", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++)
      lines.push(i % 3 === 0 ? `t=${i} ERROR [worker-${i % 20}] x` : `t=${i} INFO ok`);
    const text = `${lines.join("\n")}\nERROR [worker-1\nERROR [worker-17]`;
    const doc = await openText(text);
    const expected = [...text.matchAll(/ERROR \[worker-1\d\]/g)].map((m) => [m.index, m.index + m[0].length]);
    expect(await collect(doc.find(/ERROR \[worker-1\d\]/))).toEqual(expected);
    // A pattern that can cross lines is not cut into lines.
    expect(await collect(doc.find(/worker-1\nERROR/))).toEqual([
      [text.indexOf("worker-1\nERROR"), text.indexOf("worker-1\nERROR") + 14],
    ]);
    await doc.close();
  });
});

describe("replaceAll", () => {
  it("replaces literal matches across pieces as String.replaceAll does, in one undo step", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[ab\n]{0,100}$/),
        fc.array(fc.tuple(fc.nat(), fc.stringMatching(/^[ab]{1,3}$/)), { maxLength: 20 }),
        fc.stringMatching(/^[ab]{1,3}$/),
        fc.stringMatching(/^[xy\n]{0,3}$/),
        async (text, inserts, needle, replacement) => {
          const doc = await openText(text);
          try {
            for (const [at, piece] of inserts) doc.insert(at % (doc.length + 1), piece);
            const before = doc.read().toString("latin1");
            const count = await doc.replaceAll(needle, replacement);
            expect(count).toBe(before.split(needle).length - 1);
            expect(doc.read().toString("latin1")).toBe(before.replaceAll(needle, replacement));
            const lines = before.replaceAll(needle, replacement).split("\n");
            expect(doc.lineCount()).toBe(lines.length);
            expect(doc.getLine(lines.length - 1)).toBe(lines[lines.length - 1]);
            if (count > 0) {
              doc.undo();
              expect(doc.read().toString("latin1")).toBe(before);
            }
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("expands RegExp groups per match", async () => {
    const doc = await openText("user=alice id=1\nuser=bob id=22\n");
    expect(await doc.replaceAll(/user=(\w+)/, "name=<$1>")).toBe(2);
    expect(doc.getText()).toBe("name=<alice> id=1\nname=<bob> id=22\n");
    expect(await doc.replaceAll("id=", "", { caseSensitive: false })).toBe(2);
    expect(doc.getText()).toBe("name=<alice> 1\nname=<bob> 22\n");
    await doc.close();
  });
});
