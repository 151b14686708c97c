/**
 * The UTF-16 line-feed rule in the native scans: counts, n-th line feed, CRLF pairs and aligned
 * literal search over code units, held to a naive model on random bytes full of 0x0A bytes that
 * are not line feeds, through the mapping and with pread in tiny odd-sized buffers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  configureScan,
  countNewlinesInBytes,
  type LineFeedRule,
  openMappedFile,
} from "../../native/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const initial = configureScan();
afterEach(() => {
  configureScan(initial);
});

const UNIT_RULES: LineFeedRule[] = ["utf-16le", "utf-16be"];

/** The line feed's raw bytes in a rule's byte order. */
function unitBytes(rule: LineFeedRule, code: number): [number, number] {
  return rule === "utf-16le" ? [code, 0] : [0, code];
}

/** Offsets (last bytes) of the unit line feeds wholly in [start & ~1, end), naively. */
function naiveLineFeeds(bytes: Uint8Array, start: number, end: number, rule: LineFeedRule): number[] {
  const [first, second] = unitBytes(rule, 10);
  const found: number[] = [];
  for (let p = start - (start % 2); p + 2 <= end; p += 2) {
    if (bytes[p] === first && bytes[p + 1] === second) found.push(p + 1);
  }
  return found;
}

function naiveCrlf(bytes: Uint8Array, rule: LineFeedRule): number {
  const [lf0, lf1] = unitBytes(rule, 10);
  const [cr0, cr1] = unitBytes(rule, 13);
  let pairs = 0;
  for (let p = 2; p + 2 <= bytes.length; p += 2) {
    if (bytes[p] === lf0 && bytes[p + 1] === lf1 && bytes[p - 2] === cr0 && bytes[p - 1] === cr1) pairs++;
  }
  return pairs;
}

/** Bytes drawn mostly from 0x00, 0x0A, 0x0D and 0x4E, so line feeds, CRs and 上 (0A 4E) abound. */
const bytesArbitrary = fc
  .array(fc.constantFrom(0x00, 0x0a, 0x0d, 0x4e, 0x41), { minLength: 0, maxLength: 3000 })
  .map((values) => Uint8Array.from(values));

describe("the UTF-16 line-feed rule", () => {
  it("counts only even-aligned units in bytes (上 is 0A 4E, not a line feed)", () => {
    const le = Buffer.from("上\n上\r\n", "utf16le");
    expect(countNewlinesInBytes(le)).toBe(4);
    expect(countNewlinesInBytes(le, "utf-16le")).toBe(2);
    expect(countNewlinesInBytes(Buffer.from(le).swap16(), "utf-16be")).toBe(2);
    expect(() => countNewlinesInBytes(le, "utf-16" as LineFeedRule)).toThrow(/line feed rule/);
  });

  for (const strategy of ["mmap", "pread"] as const) {
    it(`counts, finds the n-th line feed and CRLF pairs like a naive model (${strategy})`, async () => {
      const folder = tempDir();
      let file = 0;
      await fc.assert(
        fc.asyncProperty(
          bytesArbitrary,
          fc.constantFrom(...UNIT_RULES),
          fc.nat(),
          fc.nat(),
          async (bytes, rule, a, b) => {
            configureScan({ strategy, bufferBytes: 2 + 2 * (a % 7) + (b % 2), batchBytes: 1 + (a % 97) });
            const path = join(folder, `f${file++}`);
            writeFileSync(path, bytes);
            const mapped = openMappedFile(path);
            try {
              const size = bytes.length;
              const start = size === 0 ? 0 : a % (size + 1);
              const end = start + (size === 0 ? 0 : b % (size - start + 1));
              const expected = naiveLineFeeds(bytes, start, end, rule);
              expect(mapped.countNewlines(start, end, rule)).toBe(expected.length);
              // Additive wherever the range is cut, odd offsets included.
              const middle = start + Math.floor((end - start) / 2);
              expect(
                mapped.countNewlines(start, middle, rule) + mapped.countNewlines(middle, end, rule),
              ).toBe(expected.length);
              for (const n of [0, 1, expected.length - 1, expected.length]) {
                if (n < 0) continue;
                expect(mapped.nthNewline(start, end, n, rule)).toBe(expected[n] ?? -1);
              }
              const chunk = 2 * (1 + (a % 9));
              const chunks = Math.ceil(size / chunk);
              const counts = Array.from(mapped.countChunks(chunk, 0, chunks, rule));
              const naive = Array.from(
                { length: chunks },
                (_, i) => naiveLineFeeds(bytes, i * chunk, Math.min(size, (i + 1) * chunk), rule).length,
              );
              expect(counts).toEqual(naive);
              const index = await mapped.startChunkIndex(chunk, undefined, false, rule).promise;
              expect(Array.from(index.lineFeeds)).toEqual(naive);
              expect(index.crlfPairs).toBe(naiveCrlf(bytes, rule));
            } finally {
              mapped.close();
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it("counts a large range on all cores like the model (accumulators flushed, bulk batches)", () => {
    // 9 MiB + 3 bytes: past the 4 MiB bulk threshold and many kernel flushes.
    const size = 9 * 1024 * 1024 + 3;
    const bytes = new Uint8Array(size);
    let seed = 7;
    for (let i = 0; i < size; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const pick = seed >>> 29;
      bytes[i] = pick < 3 ? 0x0a : pick < 5 ? 0 : pick === 5 ? 0x0d : 0x4e;
    }
    const path = join(tempDir(), "large");
    writeFileSync(path, bytes);
    const mapped = openMappedFile(path);
    for (const strategy of ["mmap", "pread"] as const) {
      configureScan({ strategy, batchBytes: 1024 * 1024 + 1 });
      for (const rule of UNIT_RULES) {
        const expected = naiveLineFeeds(bytes, 1, size, rule);
        expect(mapped.countNewlines(1, size, rule)).toBe(expected.length);
        expect(mapped.nthNewline(0, size, expected.length - 1, rule)).toBe(expected.at(-1));
      }
    }
    mapped.close();
  });

  it("refuses an odd chunk size under a UTF-16 rule", () => {
    const path = join(tempDir(), "odd");
    writeFileSync(path, Buffer.from("a\nb\n", "utf16le"));
    const mapped = openMappedFile(path);
    expect(() => mapped.countChunks(3, 0, 3, "utf-16le")).toThrow(/even/);
    expect(() => mapped.startChunkIndex(3, undefined, false, "utf-16le")).toThrow(/even/);
    mapped.close();
  });

  it("finds a literal only at even offsets, even where an odd false hit overlaps a real one", async () => {
    // Six zero bytes from offset 1: "00 00 00 00" (two NUL units) matches at 1 (odd) and 2.
    const bytes = Buffer.from([0x41, 0, 0, 0, 0, 0, 0, 0x41]);
    const path = join(tempDir(), "nul");
    writeFileSync(path, bytes);
    const mapped = openMappedFile(path);
    const needle = Buffer.from([0, 0, 0, 0]);
    expect(Array.from(mapped.findAll(needle, 0, bytes.length))).toEqual([1]);
    expect(Array.from(mapped.findAll(needle, 0, bytes.length, undefined, "utf-16le"))).toEqual([2]);
    expect(
      Array.from(await mapped.startFind(needle, 0, bytes.length, undefined, "utf-16le").promise),
    ).toEqual([2]);
    mapped.close();
  });

  for (const strategy of ["mmap", "pread"] as const) {
    it(`finds aligned literals like a naive model (${strategy})`, async () => {
      const folder = tempDir();
      let file = 0;
      await fc.assert(
        fc.asyncProperty(
          bytesArbitrary,
          fc.array(fc.constantFrom(0x00, 0x0a, 0x4e), { minLength: 2, maxLength: 6 }),
          fc.nat(),
          async (bytes, needleValues, a) => {
            configureScan({ strategy, bufferBytes: 8 + (a % 13), batchBytes: 1 + (a % 61) });
            const needle = Uint8Array.from(
              needleValues.length % 2 === 0 ? needleValues : needleValues.slice(1),
            );
            const path = join(folder, `g${file++}`);
            writeFileSync(path, bytes);
            const mapped = openMappedFile(path);
            try {
              const expected: number[] = [];
              const haystack = Buffer.from(bytes);
              for (let p = 0; p + needle.length <= bytes.length; ) {
                if (p % 2 === 0 && haystack.subarray(p, p + needle.length).equals(needle)) {
                  expected.push(p);
                  p += needle.length;
                } else p++;
              }
              expect(Array.from(mapped.findAll(needle, 0, bytes.length, undefined, "utf-16le"))).toEqual(
                expected,
              );
              const job = mapped.startFind(needle, 0, bytes.length, undefined, "utf-16be");
              expect(Array.from(await job.promise)).toEqual(expected);
            } finally {
              mapped.close();
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
