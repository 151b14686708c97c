// Bulk scans read a mapped file either through the mapping or with pread into per-thread
// buffers (issue #19). Both must give exactly the same answers; tiny buffers and batches put
// buffer, batch and chunk edges everywhere in small random files.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { configureScan, type MappedFile, openMappedFile, type ScanSettings } from "../../native/index.js";
import { LineIndex } from "../../piece-table/line-index.js";
import { countLf, useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const initial = configureScan();

afterEach(() => {
  configureScan(initial);
});

/** Bytes over a small alphabet, so LFs, CRLF pairs and needle matches are frequent. */
const contents = fc
  .array(fc.constantFrom(10, 13, 97, 98), { maxLength: 3000 })
  .map((bytes) => Uint8Array.from(bytes));
const needles = fc
  .array(fc.constantFrom(10, 13, 97, 98), { minLength: 1, maxLength: 6 })
  .map((bytes) => Buffer.from(bytes));

interface Scans {
  lineFeeds: number[];
  crlfPairs: number;
  count: number;
  chunks: number[];
  matches: number[];
  found: number[];
}

async function scanAll(
  file: MappedFile,
  settings: Partial<ScanSettings>,
  chunkSize: number,
  needle: Buffer,
  range: [number, number],
): Promise<Scans> {
  configureScan(settings);
  const index = await file.startChunkIndex(chunkSize).promise;
  const [start, end] = range;
  return {
    lineFeeds: [...index.lineFeeds],
    crlfPairs: index.crlfPairs,
    count: file.countNewlines(start, end),
    chunks: [...file.countChunks(chunkSize, 0, Math.ceil(file.size / chunkSize))],
    matches: [...(await file.startFind(needle, start, end).promise)],
    found: [...file.findAll(needle, start, end)],
  };
}

/** Leftmost non-overlapping matches, the slow obvious way. */
function naiveMatches(bytes: Uint8Array, needle: Uint8Array, start: number, end: number): number[] {
  const found: number[] = [];
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let at = haystack.indexOf(needle, start); at >= 0 && at + needle.length <= end; ) {
    found.push(at);
    at = haystack.indexOf(needle, at + needle.length);
  }
  return found;
}

describe("bulk scans: pread and the mapping agree", () => {
  it("gives the same LF counts, CRLF pairs and literal matches on random files (tiny buffers)", async () => {
    await fc.assert(
      fc.asyncProperty(
        contents,
        needles,
        fc.integer({ min: 1, max: 97 }),
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1, max: 200 }),
        fc.nat(),
        fc.nat(),
        async (bytes, needle, chunkSize, bufferBytes, batchBytes, a, b) => {
          const path = join(tempDir(), "random.bin");
          writeFileSync(path, bytes);
          const file = openMappedFile(path);
          try {
            const start = a % (bytes.length + 1);
            const end = start + (b % (bytes.length - start + 1));
            const mapped = await scanAll(file, { strategy: "mmap", batchBytes }, chunkSize, needle, [
              start,
              end,
            ]);
            const read = await scanAll(
              file,
              { strategy: "pread", bufferBytes, batchBytes },
              chunkSize,
              needle,
              [start, end],
            );
            expect(read).toEqual(mapped);
            // auto: each batch by whether its pages are cached (here they all are).
            const auto = await scanAll(
              file,
              { strategy: "auto", bufferBytes, batchBytes },
              chunkSize,
              needle,
              [start, end],
            );
            expect(auto).toEqual(mapped);
            // And both are right.
            expect(mapped.count).toBe(countLf(bytes, start, end));
            expect(mapped.matches).toEqual(naiveMatches(bytes, needle, start, end));
            expect(mapped.lineFeeds.reduce((sum, n) => sum + n, 0)).toBe(countLf(bytes));
            let pairs = 0;
            for (let i = 1; i < bytes.length; i++) if (bytes[i] === 10 && bytes[i - 1] === 13) pairs++;
            expect(mapped.crlfPairs).toBe(pairs);
          } finally {
            file.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("takes the bulk path for large counts and searches (page-aligned reads), with the same answers", async () => {
    // Over 4 MiB: countNewlines runs on all cores, findAll reads with pread.
    const line = Buffer.from("a\r\nbb\nneedle-ab\n");
    const bytes = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let at = 0; at < bytes.length; at += line.length) line.copy(bytes, at);
    const path = join(tempDir(), "large.bin");
    writeFileSync(path, bytes);
    const file = openMappedFile(path);
    try {
      const needle = Buffer.from("needle-a");
      for (const strategy of ["mmap", "pread", "auto"] as const) {
        configureScan({ strategy, bufferBytes: 64 * 1024 + 3, batchBytes: 1024 * 1024 + 5 });
        expect(file.countNewlines(1, bytes.length - 1)).toBe(countLf(bytes, 1, bytes.length - 1));
        expect([...file.findAll(needle, 7, bytes.length)]).toEqual(
          naiveMatches(bytes, needle, 7, bytes.length),
        );
        expect(file.findAll(needle, 0, bytes.length, 3).length).toBe(3);
        // Reads of a 64 KiB buffer start on page boundaries, matches from anywhere.
        expect([...(await file.startFind(needle, 4097, bytes.length - 5).promise)]).toEqual(
          naiveMatches(bytes, needle, 4097, bytes.length - 5),
        );
        const odd = Buffer.from("b\nneedle-ab\na\r");
        expect([...(await file.startFind(odd, 3, bytes.length).promise)]).toEqual(
          naiveMatches(bytes, odd, 3, bytes.length),
        );
      }
    } finally {
      file.close();
    }
  });

  it("line counts over long uncounted spans (countChunks) match with either strategy", () => {
    const bytes = Buffer.alloc(9 * 1024 * 1024 + 77, "x");
    for (let at = 5; at < bytes.length; at += 4099) bytes[at] = 10;
    const path = join(tempDir(), "lines.bin");
    writeFileSync(path, bytes);
    for (const strategy of ["mmap", "pread", "auto"] as const) {
      configureScan({ strategy });
      const file = openMappedFile(path);
      try {
        const index = new LineIndex(file);
        // No build: the count scans what it needs, a long run of chunks in one call.
        expect(index.count(3, bytes.length - 2)).toBe(countLf(bytes, 3, bytes.length - 2));
        expect(index.count(100_000, 7_000_000)).toBe(countLf(bytes, 100_000, 7_000_000));
        expect(index.count(0, bytes.length)).toBe(countLf(bytes));
      } finally {
        file.close();
      }
    }
  });

  it("reads uncached batches with pread under auto, with the same answers", async () => {
    const bytes = Buffer.alloc(6 * 1024 * 1024 + 9, "ab\r\nfind-me ");
    const path = join(tempDir(), "uncached.bin");
    writeFileSync(path, bytes);
    const file = openMappedFile(path);
    try {
      configureScan({ strategy: "mmap" });
      const mapped = await file.startChunkIndex(64 * 1024).promise;
      const needle = Buffer.from("me ab");
      const found = await file.startFind(needle, 0, file.size).promise;
      configureScan({ strategy: "auto", batchBytes: 512 * 1024 });
      // Drop the file's pages where we can (a page still cached elsewhere is read mapped: the
      // answers are the same either way).
      spawnSync("dd", [`if=${path}`, "iflag=nocache", "count=0", "status=none"]);
      expect(await file.startChunkIndex(64 * 1024).promise).toEqual(mapped);
      expect(await file.startFind(needle, 0, file.size).promise).toEqual(found);
    } finally {
      file.close();
    }
  });

  it("reports ETRUNCATED when the file is truncated under a pread scan", async () => {
    const path = join(tempDir(), "shrinks.bin");
    writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, "a\n"));
    const file = openMappedFile(path);
    try {
      configureScan({ strategy: "pread", bufferBytes: 64 * 1024, batchBytes: 256 * 1024 });
      expect(spawnSync("truncate", ["-s", "4096", path]).status).toBe(0);
      const truncated = expect.objectContaining({
        code: "ETRUNCATED",
        message: expect.stringContaining("file was truncated on disk"),
      });
      await expect(file.startChunkIndex(64 * 1024).promise).rejects.toEqual(truncated);
      await expect(file.startFind(Buffer.from("a\na"), 0, file.size).promise).rejects.toEqual(truncated);
      expect(() => file.countNewlines(0, file.size)).toThrow(truncated);
      expect(() => file.countChunks(64 * 1024, 0, 128)).toThrow(truncated);
      expect(() => file.findAll(Buffer.from("zz"), 0, file.size)).toThrow(truncated);
    } finally {
      file.close();
    }
  });

  it("validates its settings", () => {
    expect(() => configureScan({ strategy: "mapped" as "mmap" })).toThrow(/strategy/);
    expect(() => configureScan({ bufferBytes: 1 })).toThrow(RangeError);
    expect(() => configureScan({ batchBytes: 0 })).toThrow(RangeError);
    expect(configureScan()).toEqual(initial);
  });
});
