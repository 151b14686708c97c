/**
 * The line index of the original file (piece-table/line-index.ts): its lifecycle (the background
 * build completes, reports progress, can be stopped) and its answers (LF counts and n-th LF
 * offsets, exact before, during and after the build). Small chunk sizes put many chunks in a small
 * file, so the prefix-sum path is reached without megabytes of test data.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MappedFile, openMappedFile } from "../../native/index.js";
import { type Document, open } from "../../piece-table/index.js";
import { type IndexProgress, LineIndex, type LineIndexSizes } from "../../piece-table/line-index.js";
import { countLf, useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** Offset of the n-th LF in [start, end), or -1: the slow obvious way. */
function nthLf(bytes: Uint8Array, start: number, end: number, n: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === 10 && n-- === 0) return i;
  return -1;
}

function crlfPairs(bytes: Uint8Array): number {
  let pairs = 0;
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) pairs++;
  return pairs;
}

/** A background build of a MemoryFile that the test finishes, fails or sees cancelled. */
interface PendingBuild {
  chunkSize: number;
  foreground: boolean | undefined;
  cancelled: boolean;
  /** Reports bytesDone of the total, as the native job does from its threads. */
  report(bytesDone: number): void;
  finish(): void;
  fail(error: Error): void;
}

/**
 * An in-memory stand-in for the mapped original, with the calls LineIndex uses. Its background
 * build waits for the test; ranges out of the file throw (as the native calls do); every byte
 * scanned is counted, so tests can hold the index to its promise of small scans once complete.
 */
class MemoryFile {
  readonly path = "memory";
  readonly builds: PendingBuild[] = [];
  scannedBytes = 0;
  bulkCalls = 0;

  constructor(readonly bytes: Buffer) {}

  get size(): number {
    return this.bytes.length;
  }

  private check(start: number, end: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.size || start > end) {
      throw new RangeError(`range [${start}, ${end}) outside a file of ${this.size} bytes`);
    }
  }

  read(start: number, end: number): Buffer {
    this.check(start, end);
    return Buffer.from(this.bytes.subarray(start, end));
  }

  countNewlines(start: number, end: number): number {
    this.check(start, end);
    this.scannedBytes += end - start;
    return countLf(this.bytes, start, end);
  }

  nthNewline(start: number, end: number, n: number): number {
    this.check(start, end);
    const found = nthLf(this.bytes, start, end, n);
    this.scannedBytes += (found < 0 ? end : found + 1) - start;
    return found;
  }

  countChunks(chunkSize: number, firstChunk: number, endChunk: number): Uint32Array {
    const chunks = Math.ceil(this.size / chunkSize);
    if (firstChunk < 0 || endChunk > chunks || firstChunk > endChunk)
      throw new RangeError("chunks out of range");
    this.bulkCalls++;
    const counts = new Uint32Array(endChunk - firstChunk);
    for (let chunk = firstChunk; chunk < endChunk; chunk++) {
      const start = chunk * chunkSize;
      counts[chunk - firstChunk] = countLf(this.bytes, start, Math.min(this.size, start + chunkSize));
    }
    this.scannedBytes += Math.min(this.size, endChunk * chunkSize) - firstChunk * chunkSize;
    return counts;
  }

  startChunkIndex(
    chunkSize: number,
    onProgress?: (bytesDone: number, bytesTotal: number) => void,
    foreground?: boolean,
  ): { promise: Promise<{ lineFeeds: Uint32Array; crlfPairs: number }>; cancel(): void } {
    let resolve!: (value: { lineFeeds: Uint32Array; crlfPairs: number }) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<{ lineFeeds: Uint32Array; crlfPairs: number }>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const build: PendingBuild = {
      chunkSize,
      foreground,
      cancelled: false,
      report: (bytesDone) => onProgress?.(bytesDone, this.size),
      finish: () => {
        const lineFeeds = new Uint32Array(Math.ceil(this.size / chunkSize));
        for (let chunk = 0; chunk < lineFeeds.length; chunk++) {
          const start = chunk * chunkSize;
          lineFeeds[chunk] = countLf(this.bytes, start, Math.min(this.size, start + chunkSize));
        }
        resolve({ lineFeeds, crlfPairs: crlfPairs(this.bytes) });
      },
      fail: (error) => reject(error),
    };
    this.builds.push(build);
    return {
      promise,
      cancel: () => {
        build.cancelled = true;
        reject(Object.assign(new Error("The operation was aborted"), { code: "ABORT_ERR" }));
      },
    };
  }
}

function indexOf(file: MemoryFile, sizes: Partial<LineIndexSizes> = {}): LineIndex {
  return new LineIndex(file as unknown as MappedFile, sizes);
}

/** Bytes with LFs, CRs and text at pseudo-random places (the same every run). */
function textBytes(length: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const pick = state >>> 24;
    bytes[i] = pick < 40 ? 10 : pick < 60 ? 13 : 97 + (pick % 26);
  }
  return bytes;
}

/** Every count, tryCount and nthLineFeed over a grid of ranges, against the naive answers. */
function expectExactAnswers(index: LineIndex, bytes: Buffer, step: number): void {
  const size = bytes.length;
  const edges: number[] = [];
  for (let at = 0; at < size; at += step) edges.push(at);
  edges.push(size);
  for (const start of edges) {
    for (const end of edges) {
      if (end < start) continue;
      const lineFeeds = countLf(bytes, start, end);
      expect(index.count(start, end), `count(${start}, ${end})`).toBe(lineFeeds);
      const maybe = index.tryCount(start, end);
      if (!Number.isNaN(maybe)) expect(maybe, `tryCount(${start}, ${end})`).toBe(lineFeeds);
      for (const n of [0, 1, lineFeeds >> 1, lineFeeds - 1, lineFeeds, lineFeeds + 3]) {
        if (n < 0) continue;
        expect(index.nthLineFeed(start, end, n), `nthLineFeed(${start}, ${end}, ${n})`).toBe(
          nthLf(bytes, start, end, n),
        );
      }
    }
  }
}

describe("the line index's background build", () => {
  it("completes: every chunk counted, the CRLF pairs known, progress at the whole file", async () => {
    const bytes = textBytes(50_000);
    const path = join(tempDir(), "lines.txt");
    writeFileSync(path, bytes);
    const file = openMappedFile(path);
    try {
      const index = new LineIndex(file, { chunkBytes: 512, smallCountBytes: 100 });
      expect(index.chunkCount).toBe(Math.ceil(50_000 / 512));
      expect(index.isComplete).toBe(false);
      expect(index.crlfPairCount).toBeNull();
      expect(index.indexProgress).toEqual({ bytesDone: 0, bytesTotal: 50_000 });
      const reports: IndexProgress[] = [];
      await index.build((progress) => reports.push(progress));
      expect(index.isComplete).toBe(true);
      expect(index.crlfPairCount).toBe(crlfPairs(bytes));
      expect(index.indexProgress).toEqual({ bytesDone: 50_000, bytesTotal: 50_000 });
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.at(-1)).toEqual({ bytesDone: 50_000, bytesTotal: 50_000 });
      for (let i = 1; i < reports.length; i++) {
        expect(reports[i]!.bytesDone).toBeGreaterThanOrEqual(reports[i - 1]!.bytesDone);
        expect(reports[i]!.bytesTotal).toBe(50_000);
      }
      expectExactAnswers(index, bytes, 3_331);
    } finally {
      file.close();
    }
  });

  it("answers through the prefix sums once complete: a count or an n-th LF scans at most a chunk or two", async () => {
    const bytes = textBytes(40_000, 3);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 256, smallCountBytes: 64 });
    const built = index.build();
    file.builds[0]!.finish();
    await built;
    for (const [start, end] of [
      [0, 40_000],
      [1, 39_999],
      [300, 30_123],
      [12_345, 12_345 + 70],
      // Both ends past the middle of their chunks: each is counted back from the next edge.
      [250, 30_200],
    ] as const) {
      file.scannedBytes = 0;
      expect(index.count(start, end)).toBe(countLf(bytes, start, end));
      expect(file.scannedBytes, `count(${start}, ${end})`).toBeLessThanOrEqual(256);
      const lineFeeds = countLf(bytes, start, end);
      for (const n of [0, lineFeeds >> 1, lineFeeds - 1, lineFeeds]) {
        file.scannedBytes = 0;
        expect(index.nthLineFeed(start, end, n)).toBe(nthLf(bytes, start, end, n));
        expect(file.scannedBytes, `nthLineFeed(${start}, ${end}, ${n})`).toBeLessThanOrEqual(3 * 256);
      }
    }
    // tryCount answers any range once complete (before, only cheap ones).
    expect(index.tryCount(0, 40_000)).toBe(countLf(bytes));
  });

  it("once complete, an n-th LF from just past a chunk edge scans back to that edge and one chunk, not the rest of the first chunk", async () => {
    const bytes = textBytes(40_000, 3);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 256, smallCountBytes: 64 });
    const built = index.build();
    file.builds[0]!.finish();
    await built;
    for (const start of [257, 2_561, 20_481]) {
      // An LF a few chunks on: the prefix sums find its chunk.
      const n = countLf(bytes, start, start + 1_000);
      const expected = nthLf(bytes, start, 40_000, n);
      expect(expected).toBeGreaterThanOrEqual(start + 1_000);
      file.scannedBytes = 0;
      expect(index.nthLineFeed(start, 40_000, n)).toBe(expected);
      // 1 byte back to the chunk edge, then at most the chunk holding the LF.
      expect(file.scannedBytes, `nthLineFeed(${start}, 40000, ${n})`).toBeLessThanOrEqual(1 + 256);
    }
  });

  it("reports progress as it goes: the callback and indexProgress see each report", async () => {
    const file = new MemoryFile(textBytes(10_000));
    const index = indexOf(file, { chunkBytes: 100 });
    const reports: IndexProgress[] = [];
    const built = index.build((progress) => reports.push(progress));
    const job = file.builds[0]!;
    expect(job.chunkSize).toBe(100);
    expect(job.foreground).toBe(false);
    job.report(2_500);
    expect(index.indexProgress).toEqual({ bytesDone: 2_500, bytesTotal: 10_000 });
    job.report(7_000);
    expect(index.indexProgress).toEqual({ bytesDone: 7_000, bytesTotal: 10_000 });
    expect(index.isComplete).toBe(false);
    job.finish();
    await built;
    expect(reports).toEqual([
      { bytesDone: 2_500, bytesTotal: 10_000 },
      { bytesDone: 7_000, bytesTotal: 10_000 },
      { bytesDone: 10_000, bytesTotal: 10_000 },
    ]);
    // A report is a copy: changing it does not change the index's.
    reports[0]!.bytesDone = 1;
    expect(index.indexProgress.bytesDone).toBe(10_000);
  });

  it("a foreground build asks the native job for normal priority", async () => {
    const file = new MemoryFile(textBytes(1_000));
    const built = indexOf(file).build(undefined, { foreground: true });
    expect(file.builds[0]!.foreground).toBe(true);
    file.builds[0]!.finish();
    await built;
  });

  it("starts once: a second build() while running is the same promise, and after completion none starts", async () => {
    const file = new MemoryFile(textBytes(5_000));
    const index = indexOf(file, { chunkBytes: 64 });
    const first = index.build();
    expect(index.build()).toBe(first);
    expect(file.builds).toHaveLength(1);
    file.builds[0]!.finish();
    await first;
    await index.build();
    expect(file.builds).toHaveLength(1);
  });

  it("a UTF-16 index needs an even chunk size (a chunk edge must not split a code unit); a byte index takes any", () => {
    const file = new MemoryFile(textBytes(1_000)) as unknown as MappedFile;
    for (const rule of ["utf-16le", "utf-16be"] as const) {
      expect(() => new LineIndex(file, { chunkBytes: 7 }, rule), rule).toThrow(RangeError);
      expect(new LineIndex(file, { chunkBytes: 8 }, rule).rule).toBe(rule);
    }
    expect(new LineIndex(file, { chunkBytes: 7 }).chunkCount).toBe(Math.ceil(1_000 / 7));
    expect(new LineIndex(file, { chunkBytes: 7 }, "byte").rule).toBe("byte");
  });

  it("an empty file is complete at once, with nothing to count", () => {
    const file = new MemoryFile(Buffer.alloc(0));
    const index = indexOf(file);
    expect(index.chunkCount).toBe(0);
    expect(index.isComplete).toBe(true);
    expect(index.count(0, 0)).toBe(0);
    expect(index.nthLineFeed(0, 0, 0)).toBe(-1);
    expect(index.tryCount(0, 0)).toBe(0);
  });

  it("answers every query exactly while the build runs, and the same after", async () => {
    const bytes = textBytes(6_000, 11);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, {
      chunkBytes: 50,
      smallCountBytes: 30,
      bulkCountChunks: 4,
      cheapCountBytes: 500,
    });
    const built = index.build();
    file.builds[0]!.report(3_000);
    // Before the build, a large range is not cheap to count: tryCount says so rather than scan.
    expect(index.tryCount(0, 6_000)).toBeNaN();
    expect(index.tryCount(100, 600)).toBe(countLf(bytes, 100, 600));
    expectExactAnswers(index, bytes, 457);
    file.builds[0]!.finish();
    await built;
    expect(index.isComplete).toBe(true);
    expectExactAnswers(index, bytes, 457);
  });

  it("counts the chunks a query needs on the spot: a long run in one bulk call, a short one chunk by chunk", () => {
    const bytes = textBytes(8_000, 5);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 100, smallCountBytes: 10, bulkCountChunks: 8 });
    expect(index.count(50, 450)).toBe(countLf(bytes, 50, 450));
    expect(file.bulkCalls).toBe(0);
    expect(index.count(0, 2_000)).toBe(countLf(bytes, 0, 2_000));
    expect(file.bulkCalls).toBe(1);
    // Chunks counted once are remembered: counting them again scans only the partial edges.
    file.scannedBytes = 0;
    expect(index.count(30, 1_970)).toBe(countLf(bytes, 30, 1_970));
    expect(file.scannedBytes).toBe(70 + 70);
  });

  it("takes a run of exactly bulkCountChunks uncounted chunks in one bulk call, a shorter one anywhere chunk by chunk", () => {
    const bytes = textBytes(8_000, 5);
    const sizes = { chunkBytes: 100, smallCountBytes: 10, bulkCountChunks: 8 };
    // A run of 7 chunks (41..47) far into the file: still below the bulk threshold.
    const short = new MemoryFile(bytes);
    const shortIndex = indexOf(short, sizes);
    expect(shortIndex.count(4_050, 4_850)).toBe(countLf(bytes, 4_050, 4_850));
    expect(short.bulkCalls).toBe(0);
    // Exactly 8 (chunks 1..8): one bulk call.
    const exact = new MemoryFile(bytes);
    const exactIndex = indexOf(exact, sizes);
    expect(exactIndex.count(50, 950)).toBe(countLf(bytes, 50, 950));
    expect(exact.bulkCalls).toBe(1);
  });

  it("an n-th LF walks the chunks counted before by their remembered counts, scanning only the chunk holding it", () => {
    const bytes = textBytes(2_000, 5);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 100, smallCountBytes: 10, bulkCountChunks: 4 });
    expect(index.count(0, 1_000)).toBe(countLf(bytes, 0, 1_000));
    expect(index.isComplete).toBe(false);
    // The first LF of chunk 9, found through chunks 0..8 already counted.
    const n = countLf(bytes, 0, 900);
    expect(countLf(bytes, 900, 1_000)).toBeGreaterThan(0);
    file.scannedBytes = 0;
    expect(index.nthLineFeed(0, 1_000, n)).toBe(nthLf(bytes, 0, 1_000, n));
    expect(file.scannedBytes).toBeLessThanOrEqual(100);
  });

  it("does not count a known chunk again when the run of uncounted chunks after it goes to a bulk call", () => {
    const bytes = textBytes(2_000, 5);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 100, smallCountBytes: 10, bulkCountChunks: 4 });
    // The first LF is in chunk 0: finding it counts chunk 0 alone.
    expect(bytes.indexOf(10)).toBeLessThan(100);
    expect(index.nthLineFeed(0, 2_000, 0)).toBe(bytes.indexOf(10));
    file.scannedBytes = 0;
    expect(index.count(0, 1_000)).toBe(countLf(bytes, 0, 1_000));
    // Chunks 1..9 in one bulk call; chunk 0 comes from its remembered count.
    expect(file.bulkCalls).toBe(1);
    expect(file.scannedBytes).toBe(900);
  });

  it("is complete once queries have counted every chunk, and the build still brings the CRLF pairs", async () => {
    const bytes = textBytes(3_000, 9);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 100, smallCountBytes: 10 });
    expect(index.count(0, 2_000)).toBe(countLf(bytes, 0, 2_000));
    expect(index.isComplete).toBe(false);
    // An LF past the end: the walk counts every chunk on its way.
    expect(index.nthLineFeed(1_000, 3_000, countLf(bytes, 1_000, 3_000))).toBe(-1);
    expect(index.isComplete).toBe(true);
    expect(index.crlfPairCount).toBeNull();
    expectExactAnswers(index, bytes, 271);
    const built = index.build();
    expect(file.builds).toHaveLength(1);
    file.builds[0]!.finish();
    await built;
    expect(index.crlfPairCount).toBe(crlfPairs(bytes));
  });

  it("cancel() stops the build: it rejects with the abort, the index stays incomplete and exact", async () => {
    const bytes = textBytes(4_000, 13);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 64, smallCountBytes: 16 });
    const built = index.build();
    index.cancel();
    expect(file.builds[0]!.cancelled).toBe(true);
    await expect(built).rejects.toMatchObject({ code: "ABORT_ERR" });
    expect(index.isComplete).toBe(false);
    expect(index.crlfPairCount).toBeNull();
    expectExactAnswers(index, bytes, 397);
    // Cancelling with no build running is harmless.
    indexOf(file).cancel();
  });

  it("a failed build (the file shrank under us) rejects for awaiters only, and queries still answer", async () => {
    const bytes = textBytes(2_000, 17);
    const file = new MemoryFile(bytes);
    const index = indexOf(file, { chunkBytes: 64 });
    const built = index.build();
    file.builds[0]!.fail(Object.assign(new Error("file was truncated on disk"), { code: "ETRUNCATED" }));
    await expect(built).rejects.toMatchObject({ code: "ETRUNCATED" });
    expect(index.isComplete).toBe(false);
    expect(index.count(0, 2_000)).toBe(countLf(bytes));
  });
});

describe("LineIndex.extending (a file another program appended to)", () => {
  async function builtIndex(file: MemoryFile, sizes: Partial<LineIndexSizes>): Promise<LineIndex> {
    const index = indexOf(file, sizes);
    const built = index.build();
    file.builds.at(-1)!.finish();
    await built;
    return index;
  }

  it("takes over the whole chunks counted and counts the rest, CRLF pairs across the edge included", async () => {
    const sizes = { chunkBytes: 100, smallCountBytes: 10 };
    // The old file ends with CR in the middle of a chunk; the appended bytes begin with LF.
    const old = Buffer.concat([textBytes(1_049, 21), Buffer.from("\r")]);
    const grown = Buffer.concat([old, Buffer.from("\n"), textBytes(777, 23)]);
    const previous = await builtIndex(new MemoryFile(old), sizes);
    const file = new MemoryFile(grown);
    const index = LineIndex.extending(file as unknown as MappedFile, previous)!;
    expect(index).not.toBeNull();
    expect(file.builds).toHaveLength(0);
    expect(index.isComplete).toBe(true);
    expect(index.chunkCount).toBe(Math.ceil(grown.length / 100));
    expect(index.crlfPairCount).toBe(crlfPairs(grown));
    expect(index.indexProgress).toEqual({ bytesDone: grown.length, bytesTotal: grown.length });
    // Complete with its CRLF pairs: build() has nothing left to do and starts no scan.
    await index.build();
    expect(file.builds).toHaveLength(0);
    // Only the last partial chunk of the old file and the new bytes were counted.
    expect(file.scannedBytes).toBe(grown.length - 1_000);
    expectExactAnswers(index, grown, 173);
  });

  it("a CRLF pair straddling a chunk edge is counted once", async () => {
    const sizes = { chunkBytes: 100 };
    const old = Buffer.alloc(250, "a");
    old[99] = 13;
    old[100] = 10;
    old[199] = 13;
    old[200] = 10;
    const grown = Buffer.concat([old, Buffer.from("x\r\n")]);
    const previous = await builtIndex(new MemoryFile(old), sizes);
    const index = LineIndex.extending(new MemoryFile(grown) as unknown as MappedFile, previous)!;
    expect(index.crlfPairCount).toBe(3);
    // An old file of whole chunks: the edge falls at its end.
    const whole = Buffer.concat([Buffer.alloc(199, "b"), Buffer.from("\r")]);
    const wholeGrown = Buffer.concat([whole, Buffer.from("\n\r\n")]);
    const wholePrevious = await builtIndex(new MemoryFile(whole), sizes);
    const extended = LineIndex.extending(new MemoryFile(wholeGrown) as unknown as MappedFile, wholePrevious)!;
    expect(extended.crlfPairCount).toBe(2);
    expect(extended.count(0, wholeGrown.length)).toBe(2);
  });

  it("extends an empty file, and one shorter than a chunk", async () => {
    const sizes = { chunkBytes: 100 };
    for (const old of [Buffer.alloc(0), Buffer.from("a\r\nb")]) {
      const grown = Buffer.concat([old, Buffer.from("\r\nmore\nlines\r\n")]);
      const previous = await builtIndex(new MemoryFile(old), sizes);
      const index = LineIndex.extending(new MemoryFile(grown) as unknown as MappedFile, previous)!;
      expect(index.crlfPairCount).toBe(crlfPairs(grown));
      expect(index.count(0, grown.length)).toBe(countLf(grown));
    }
  });

  it("is null while the previous index is incomplete, or when too much is left to count", async () => {
    const old = textBytes(1_000, 31);
    const grown = Buffer.concat([old, textBytes(500, 33)]);
    const incomplete = indexOf(new MemoryFile(old), { chunkBytes: 100, smallCountBytes: 10 });
    expect(LineIndex.extending(new MemoryFile(grown) as unknown as MappedFile, incomplete)).toBeNull();
    // Complete by counting, but without the CRLF pairs of a build: still null.
    incomplete.count(0, 1_000);
    expect(incomplete.isComplete).toBe(true);
    expect(LineIndex.extending(new MemoryFile(grown) as unknown as MappedFile, incomplete)).toBeNull();
    const limited = await builtIndex(new MemoryFile(old), { chunkBytes: 100, extendCountBytes: 500 });
    expect(LineIndex.extending(new MemoryFile(grown) as unknown as MappedFile, limited)).not.toBeNull();
    const tooMuch = Buffer.concat([grown, Buffer.from("x")]);
    expect(LineIndex.extending(new MemoryFile(tooMuch) as unknown as MappedFile, limited)).toBeNull();
  });
});

describe("the line index against a naive reference (property)", () => {
  const sizesArbitrary = fc.record({
    chunkBytes: fc.integer({ min: 1, max: 40 }),
    smallCountBytes: fc.integer({ min: 0, max: 60 }),
    bulkCountChunks: fc.integer({ min: 1, max: 6 }),
    cheapCountBytes: fc.integer({ min: 0, max: 300 }),
  });
  const query = fc.record({
    kind: fc.constantFrom("count", "tryCount", "nth", "build-progress"),
    a: fc.nat({ max: 1_000 }),
    b: fc.nat({ max: 1_000 }),
    n: fc.nat({ max: 40 }),
  });

  it("count, tryCount and nthLineFeed equal the naive answers before, during and after the build", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 900 }).map((raw) =>
          // Mostly text, with LFs and CRs, sometimes in runs.
          Buffer.from(raw.map((value) => (value < 60 ? 10 : value < 75 ? 13 : 120))),
        ),
        sizesArbitrary,
        fc.array(query, { maxLength: 30 }),
        fc.nat({ max: 30 }),
        async (bytes, sizes, queries, buildAt) => {
          const file = new MemoryFile(bytes);
          const index = indexOf(file, sizes);
          const size = bytes.length;
          let built: Promise<void> | null = null;
          const ask = (step: (typeof queries)[number]) => {
            const start = Math.min(step.a, step.b) % (size + 1);
            const end = Math.max(start, Math.max(step.a, step.b) % (size + 1));
            const lineFeeds = countLf(bytes, start, end);
            if (step.kind === "count") expect(index.count(start, end)).toBe(lineFeeds);
            if (step.kind === "tryCount") {
              const wasComplete = index.isComplete;
              const answer = index.tryCount(start, end);
              if (wasComplete || end - start <= sizes.cheapCountBytes) expect(answer).toBe(lineFeeds);
              else expect(answer).toBeNaN();
            }
            if (step.kind === "nth") {
              const wasComplete = index.isComplete;
              const n = step.n % (lineFeeds + 2);
              file.scannedBytes = 0;
              expect(index.nthLineFeed(start, end, n)).toBe(nthLf(bytes, start, end, n));
              if (wasComplete) {
                expect(file.scannedBytes).toBeLessThanOrEqual(sizes.smallCountBytes + 3 * sizes.chunkBytes);
              }
            }
            if (step.kind === "count" && index.isComplete) {
              file.scannedBytes = 0;
              index.count(start, end);
              expect(file.scannedBytes).toBeLessThanOrEqual(
                Math.max(sizes.smallCountBytes, sizes.chunkBytes),
              );
            }
          };
          for (const [position, step] of queries.entries()) {
            if (position === buildAt) built = index.build();
            if (step.kind === "build-progress" && built) file.builds[0]!.report(Math.min(size, step.a));
            ask(step);
          }
          built ??= index.build();
          file.builds[0]!.finish();
          await built;
          expect(index.isComplete).toBe(true);
          expect(index.crlfPairCount).toBe(crlfPairs(bytes));
          for (const step of queries) ask(step);
          // Every LF, found by its number from the start, after the build.
          let n = 0;
          for (let at = 0; at < size; at++) {
            if (bytes[at] === 10) expect(index.nthLineFeed(0, size, n++)).toBe(at);
          }
          expect(index.nthLineFeed(0, size, n)).toBe(-1);
          expect(index.count(0, size)).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the native build gives the same chunk counts as the naive reference, at any chunk size", async () => {
    const bytes = textBytes(20_011, 41);
    const path = join(tempDir(), "native.txt");
    writeFileSync(path, bytes);
    const file = openMappedFile(path);
    try {
      for (const chunkBytes of [1, 7, 64, 1_000, 20_011, 65_536]) {
        const index = new LineIndex(file, { chunkBytes, smallCountBytes: 5 });
        await index.build();
        expect(index.crlfPairCount).toBe(crlfPairs(bytes));
        expectExactAnswers(index, bytes, 2_903);
      }
    } finally {
      file.close();
    }
  });
});

describe("a document's line index", () => {
  async function openLines(bytes: Buffer): Promise<Document> {
    const path = join(tempDir(), "doc.txt");
    writeFileSync(path, bytes);
    return open(path, { stateDir: join(tempDir(), "state") });
  }

  /** 3 MiB of CRLF lines: the default 64 KiB chunks, 48 of them. */
  function crlfLines(): Buffer {
    const lines: string[] = [];
    let length = 0;
    for (let i = 0; length < 3 * 1024 * 1024; i++) {
      const line = `line ${i} ${"x".repeat(i % 97)}\r\n`;
      lines.push(line);
      length += line.length;
    }
    return Buffer.from(lines.join(""));
  }

  it("whenIndexed() resolves once the index is complete: line endings known, progress whole, 'indexed' emitted", async () => {
    const bytes = crlfLines();
    const doc = await openLines(bytes);
    try {
      const events: string[] = [];
      const reports: IndexProgress[] = [];
      doc.on("indexProgress", (progress) => reports.push(progress));
      doc.on("indexed", () => events.push("indexed"));
      // Line queries never wait for the index.
      const lineFeeds = countLf(bytes);
      expect(doc.lineCount()).toBe(lineFeeds + 1);
      expect(doc.lineStart(1000)).toBe(nthLf(bytes, 0, bytes.length, 999) + 1);
      await doc.whenIndexed();
      expect(events).toEqual(["indexed"]);
      expect(doc.indexProgress).toEqual({ bytesDone: bytes.length, bytesTotal: bytes.length });
      expect(reports.at(-1)).toEqual({ bytesDone: bytes.length, bytesTotal: bytes.length });
      expect(doc.originalCrlfPairs).toBe(lineFeeds);
      expect(doc.originalLineEndings).toBe("crlf");
      expect(doc.lineCount()).toBe(lineFeeds + 1);
      for (const line of [0, 1, 777, 20_000, lineFeeds]) {
        const start = line === 0 ? 0 : nthLf(bytes, 0, bytes.length, line - 1) + 1;
        expect(doc.lineStart(line)).toBe(start);
        expect(doc.lineAt(start)).toBe(line);
      }
      expect(doc.getLine(lineFeeds - 1)).toBe(
        bytes.toString("latin1", nthLf(bytes, 0, bytes.length, lineFeeds - 2) + 1, bytes.length - 2),
      );
    } finally {
      await doc.close();
    }
  });

  it("closing during the build stops it without an unhandled error", async () => {
    const doc = await openLines(crlfLines());
    const settled = doc.whenIndexed().then(
      () => "indexed",
      (error: NodeJS.ErrnoException) => error.code,
    );
    await doc.close();
    expect(["indexed", "ABORT_ERR"]).toContain(await settled);
  });
});
