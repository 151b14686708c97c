// startFindLines: the lines around the matches of a literal (the regex prefilter's candidates),
// against the obvious scan, with tiny batches so lines and matches cross batch edges.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { configureScan, openMappedFile } from "../../native/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const initial = configureScan();

afterEach(() => {
  configureScan(initial);
});

/** Every occurrence (overlapping too) starting in [start, end), each with its line, lines joined. */
function naiveLines(
  bytes: Buffer,
  needle: Buffer,
  start: number,
  end: number,
  floor: number,
  ceiling: number,
): number[] {
  const spans: number[] = [];
  for (let at = bytes.indexOf(needle, start); at >= 0 && at < end; at = bytes.indexOf(needle, at + 1)) {
    if (at + needle.length > ceiling) break;
    const before = at > floor ? bytes.lastIndexOf(10, at - 1) : -1;
    const lineStart = before >= floor ? before + 1 : floor;
    const after = bytes.indexOf(10, at + needle.length - 1);
    const lineEnd = after >= 0 && after < ceiling ? after + 1 : ceiling;
    const last = spans.length - 1;
    if (last > 0 && lineStart < spans[last]!) spans[last] = Math.max(spans[last]!, lineEnd);
    else spans.push(lineStart, lineEnd);
  }
  return spans;
}

describe("startFindLines", () => {
  it("gives the lines around every match, once each, in order, with their bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(10, 97, 98), { maxLength: 400 }).map((b) => Buffer.from(b)),
        fc.array(fc.constantFrom(10, 97, 98), { minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom("mmap" as const, "pread" as const, "auto" as const),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (bytes, needle, batchBytes, strategy, a, b, c, d) => {
          const path = join(tempDir(), "lines.txt");
          writeFileSync(path, bytes);
          const file = openMappedFile(path);
          try {
            configureScan({ strategy, batchBytes });
            const floor = a % (bytes.length + 1);
            const ceiling = floor + (b % (bytes.length - floor + 1));
            const start = floor + (c % (ceiling - floor + 1));
            const end = start + (d % (ceiling - start + 1));
            const found = await file.startFindLines(needle, start, end, floor, ceiling).promise;
            const expected = naiveLines(bytes, needle, start, end, floor, ceiling);
            expect([...found.spans]).toEqual(expected);
            const joined: Buffer[] = [];
            for (let i = 0; i < expected.length; i += 2)
              joined.push(bytes.subarray(expected[i], expected[i + 1]));
            expect(found.bytes.equals(Buffer.concat(joined))).toBe(true);
          } finally {
            file.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("checks its ranges and can be cancelled", async () => {
    const path = join(tempDir(), "lines.txt");
    writeFileSync(path, "abc\nxbc\n".repeat(1000));
    const file = openMappedFile(path);
    try {
      expect(() => file.startFindLines(Buffer.from("bc"), 4, 8, 5, 8)).toThrow(RangeError);
      expect(() => file.startFindLines(Buffer.from("bc"), 0, 9000)).toThrow(RangeError);
      const whole = await file.startFindLines(Buffer.from("xb"), 0, file.size).promise;
      expect(whole.spans.length).toBe(2000);
      expect(whole.bytes.toString()).toBe("xbc\n".repeat(1000));
    } finally {
      file.close();
    }
    // Cancelled: on a file big enough that the scan cannot be done before cancel() (8 KB could).
    const bigPath = join(tempDir(), "many-lines.txt");
    writeFileSync(bigPath, "abc\nxbc\n".repeat(1_000_000));
    const big = openMappedFile(bigPath);
    try {
      configureScan({ batchBytes: 16 });
      const job = big.startFindLines(Buffer.from("bc"), 0, big.size);
      job.cancel();
      await expect(job.promise).rejects.toThrow(/cancel/);
    } finally {
      big.close();
    }
  });
});
