/**
 * The line index of a read-only buffer (the original file): LF count per 64 KiB chunk (a size
 * tests may change), built in the background on all cores, with prefix sums once complete. Until then, any chunk a query
 * needs is counted on the spot and remembered, so line queries are always synchronous and exact.
 * A 10 GB file needs ~160 K chunks: 640 KB of counts and 1.3 MB of prefix sums, not 100 M offsets.
 * Line feeds are counted by the buffer's rule (bytes, or UTF-16 code units: then chunks are even).
 */
import type { LineFeedRule, MappedFile } from "../native/index.js";

/** Bytes per index chunk (the default). */
export const CHUNK_BYTES = 64 * 1024;

/**
 * The sizes the index works with. Only the chunk size changes what is stored; the others decide
 * when a range is scanned directly instead of through the counts, so they change speed, not
 * answers. Tests make them small so that a small file has many chunks.
 */
export interface LineIndexSizes {
  /** Bytes per index chunk. */
  chunkBytes: number;
  /** Ranges up to this size are scanned directly even when the prefix sums could answer. */
  smallCountBytes: number;
  /** Runs of at least this many uncounted chunks are counted in one bulk native call. */
  bulkCountChunks: number;
  /** Ranges up to this size are counted directly; tryCount() answers for them before the index is built. */
  cheapCountBytes: number;
  /** extending() counts at most this many bytes at once; more, and the index is built afresh. */
  extendCountBytes: number;
}

const DEFAULT_SIZES: LineIndexSizes = {
  chunkBytes: CHUNK_BYTES,
  smallCountBytes: 16 * 1024,
  // 64 chunks: 4 MiB.
  bulkCountChunks: 64,
  cheapCountBytes: 1024 * 1024,
  extendCountBytes: 64 * 1024 * 1024,
};

export interface IndexProgress {
  bytesDone: number;
  bytesTotal: number;
}

export class LineIndex {
  readonly chunkCount: number;
  private readonly lineFeeds: Uint32Array;
  /** 1 where lineFeeds[chunk] is known. */
  private readonly known: Uint8Array;
  /** prefix[i] = LFs in chunks [0, i); present once every chunk is known. */
  private prefix: Float64Array | null = null;
  private crlfPairs: number | null = null;
  private building: Promise<void> | null = null;
  private cancelBuild: (() => void) | null = null;
  private progress: IndexProgress;
  private readonly sizes: LineIndexSizes;
  /** sizes.chunkBytes. */
  private readonly chunkBytes: number;

  constructor(
    private readonly file: MappedFile,
    sizes: Partial<LineIndexSizes> = {},
    /** How the file's line feeds are counted (native/index.ts). */
    readonly rule: LineFeedRule = "byte",
  ) {
    this.sizes = { ...DEFAULT_SIZES, ...sizes };
    this.chunkBytes = this.sizes.chunkBytes;
    if (rule !== "byte" && this.chunkBytes % 2 !== 0) {
      throw new RangeError(`a UTF-16 line index needs an even chunk size, not ${this.chunkBytes}`);
    }
    this.chunkCount = Math.ceil(file.size / this.chunkBytes);
    this.lineFeeds = new Uint32Array(this.chunkCount);
    this.known = new Uint8Array(this.chunkCount);
    this.progress = { bytesDone: 0, bytesTotal: file.size };
    if (this.chunkCount === 0) this.complete(0);
  }

  /**
   * The index of `file`, a longer version of `previous`'s file whose first bytes are the same (a
   * log another program appends to): the whole chunks `previous` counted are taken over, and only
   * the rest — the last partial chunk and what was appended — is counted, at once. Null when that
   * would not be cheap (`previous` incomplete, or more than `extendCountBytes` to count): build it afresh.
   */
  static extending(file: MappedFile, previous: LineIndex): LineIndex | null {
    const { chunkBytes, extendCountBytes } = previous.sizes;
    const reused = Math.floor(previous.file.size / chunkBytes);
    if (
      !previous.prefix ||
      previous.crlfPairs === null ||
      file.size - reused * chunkBytes > extendCountBytes
    ) {
      return null;
    }
    const rule = previous.rule;
    const index = new LineIndex(file, previous.sizes, rule);
    index.lineFeeds.set(previous.lineFeeds.subarray(0, reused));
    index.known.fill(1, 0, reused);
    for (let chunk = reused; chunk < index.chunkCount; chunk++) {
      index.lineFeeds[chunk] = file.countNewlines(
        chunk * chunkBytes,
        Math.min(file.size, (chunk + 1) * chunkBytes),
        rule,
      );
    }
    index.known.fill(1);
    // CRLF pairs: those wholly before the reused edge, plus a count of the rest (a pair may
    // straddle the edge: the tail is read from one unit before it).
    const edge = reused * chunkBytes;
    const before = edge === 0 ? 0 : previous.crlfPairsBefore(edge);
    const tail = file.read(Math.max(0, edge - unitOf(rule)), file.size);
    index.crlfPairs = before + countCrlf(tail, rule);
    index.complete(index.chunkCount);
    index.progress = { bytesDone: file.size, bytesTotal: file.size };
    return index;
  }

  /** CRLF pairs ending at or before `offset` (pairs wholly inside [0, offset)). */
  private crlfPairsBefore(offset: number): number {
    // The pairs after the edge are few next to a whole file: count them and subtract.
    const unit = unitOf(this.rule);
    const after = countCrlf(this.file.read(Math.max(0, offset - unit), this.file.size), this.rule);
    return this.crlfPairs! - after;
  }

  /** True once every chunk is counted. */
  get isComplete(): boolean {
    return this.prefix !== null;
  }

  /** Bytes indexed so far, of the total. */
  get indexProgress(): IndexProgress {
    return { ...this.progress };
  }

  /** CRLF pairs in the buffer, once the background build has run; null before. */
  get crlfPairCount(): number | null {
    return this.crlfPairs;
  }

  /**
   * Starts the background build (once); resolves when the index is complete. Rejects with the
   * native error (ETRUNCATED if the file shrank under us, ABORT_ERR if stopped). `foreground`:
   * nothing else waits (gigapad info), so the scan threads keep normal priority.
   */
  build(
    onProgress?: (progress: IndexProgress) => void,
    options: { foreground?: boolean } = {},
  ): Promise<void> {
    if (this.building) return this.building;
    if (this.isComplete && this.crlfPairs !== null) return Promise.resolve();
    const job = this.file.startChunkIndex(
      this.chunkBytes,
      (bytesDone, bytesTotal) => {
        this.progress = { bytesDone, bytesTotal };
        onProgress?.(this.indexProgress);
      },
      options.foreground === true,
      this.rule,
    );
    this.cancelBuild = job.cancel;
    this.building = job.promise.then(({ lineFeeds, crlfPairs }) => {
      this.lineFeeds.set(lineFeeds);
      this.known.fill(1);
      this.crlfPairs = crlfPairs;
      this.complete(this.chunkCount);
      this.progress = { bytesDone: this.file.size, bytesTotal: this.file.size };
      onProgress?.(this.indexProgress);
    });
    // Callers that never await must not see an unhandled rejection; errors reach awaiters.
    this.building.catch(() => {});
    return this.building;
  }

  /** Stops a running background build. */
  cancel(): void {
    this.cancelBuild?.();
  }

  /** LFs in [start, end) of the buffer, exact; counts any chunk it needs that is not known yet. */
  count(start: number, end: number): number {
    if (end - start <= this.sizes.smallCountBytes) return this.file.countNewlines(start, end, this.rule);
    if (this.prefix) return this.lineFeedsBefore(end) - this.lineFeedsBefore(start);
    if (end - start <= 2 * this.chunkBytes) return this.file.countNewlines(start, end, this.rule);
    const firstFull = Math.ceil(start / this.chunkBytes);
    const lastFull = Math.floor(end / this.chunkBytes);
    let total =
      this.file.countNewlines(start, firstFull * this.chunkBytes, this.rule) +
      this.file.countNewlines(lastFull * this.chunkBytes, end, this.rule);
    for (let chunk = firstFull; chunk < lastFull; ) {
      if (this.known[chunk] === 1) {
        total += this.lineFeeds[chunk]!;
        chunk++;
        continue;
      }
      // A run of chunks not counted yet: a long one is one bulk scan on all cores.
      let runEnd = chunk + 1;
      while (runEnd < lastFull && this.known[runEnd] === 0) runEnd++;
      if (runEnd - chunk >= this.sizes.bulkCountChunks) {
        const counts = this.file.countChunks(this.chunkBytes, chunk, runEnd, this.rule);
        this.lineFeeds.set(counts, chunk);
        this.known.fill(1, chunk, runEnd);
        this.knownChunks += runEnd - chunk;
        for (const count of counts) total += count;
      } else {
        for (let each = chunk; each < runEnd; each++) total += this.chunk(each);
      }
      chunk = runEnd;
    }
    this.completeIfAllKnown();
    return total;
  }

  /** LFs in [start, end) if that is cheap (index complete, or a small range); NaN otherwise. */
  tryCount(start: number, end: number): number {
    if (this.prefix || end - start <= this.sizes.cheapCountBytes) return this.count(start, end);
    return Number.NaN;
  }

  /** Offset of the n-th (0-based) LF in [start, end), or -1. Scans only up to the answer. */
  nthLineFeed(start: number, end: number, n: number): number {
    if (this.prefix && end - start > this.sizes.smallCountBytes)
      return this.nthLineFeedIndexed(start, end, n);
    let position = start;
    let remaining = n;
    // Head: up to the first chunk edge.
    const headEnd = Math.min(end, Math.ceil(start / this.chunkBytes) * this.chunkBytes);
    if (headEnd > position) {
      const found = this.file.nthNewline(position, headEnd, remaining, this.rule);
      if (found >= 0) return found;
      remaining -= this.file.countNewlines(position, headEnd, this.rule);
      position = headEnd;
    }
    const lastFull = Math.floor(end / this.chunkBytes);
    let chunk = position / this.chunkBytes;
    if (this.prefix && chunk < lastFull) {
      // Binary search for the chunk holding the LF: prefix[c] <= target < prefix[c + 1].
      const target = this.prefix[chunk]! + remaining;
      if (target < this.prefix[lastFull]!) {
        let low = chunk;
        let high = lastFull - 1;
        while (low < high) {
          const middle = (low + high + 1) >> 1;
          if (this.prefix[middle]! <= target) low = middle;
          else high = middle - 1;
        }
        return this.file.nthNewline(
          low * this.chunkBytes,
          (low + 1) * this.chunkBytes,
          target - this.prefix[low]!,
          this.rule,
        );
      }
      remaining = target - this.prefix[lastFull]!;
      chunk = lastFull;
    }
    for (; chunk < lastFull; chunk++) {
      const inChunk = this.chunk(chunk);
      if (remaining < inChunk) {
        return this.file.nthNewline(
          chunk * this.chunkBytes,
          (chunk + 1) * this.chunkBytes,
          remaining,
          this.rule,
        );
      }
      remaining -= inChunk;
    }
    this.completeIfAllKnown();
    const tailStart = Math.max(position, lastFull * this.chunkBytes);
    return tailStart < end ? this.file.nthNewline(tailStart, end, remaining, this.rule) : -1;
  }

  /** LFs in [0, offset), once the index is complete: scans toward the nearer chunk edge only. */
  private lineFeedsBefore(offset: number): number {
    const prefix = this.prefix!;
    const chunk = Math.floor(offset / this.chunkBytes);
    const chunkStart = chunk * this.chunkBytes;
    if (offset === chunkStart) return prefix[chunk]!;
    const chunkEnd = Math.min(this.file.size, chunkStart + this.chunkBytes);
    if (offset - chunkStart <= chunkEnd - offset)
      return prefix[chunk]! + this.file.countNewlines(chunkStart, offset, this.rule);
    return prefix[chunk + 1]! - this.file.countNewlines(offset, chunkEnd, this.rule);
  }

  /** nthLineFeed with a complete index: binary search of the prefix sums, one chunk scanned. */
  private nthLineFeedIndexed(start: number, end: number, n: number): number {
    const prefix = this.prefix!;
    const target = this.lineFeedsBefore(start) + n;
    if (target >= prefix[this.chunkCount]!) return -1;
    // The chunk holding LF number `target`: prefix[c] <= target < prefix[c + 1].
    let low = Math.floor(start / this.chunkBytes);
    let high = this.chunkCount - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (prefix[middle]! <= target) low = middle;
      else high = middle - 1;
    }
    const chunkStart = low * this.chunkBytes;
    const found = this.file.nthNewline(
      chunkStart,
      Math.min(this.file.size, chunkStart + this.chunkBytes),
      target - prefix[low]!,
      this.rule,
    );
    return found >= 0 && found < end ? found : -1;
  }

  private chunk(index: number): number {
    if (this.known[index] === 0) {
      const start = index * this.chunkBytes;
      this.lineFeeds[index] = this.file.countNewlines(
        start,
        Math.min(this.file.size, start + this.chunkBytes),
        this.rule,
      );
      this.known[index] = 1;
      this.knownChunks++;
    }
    return this.lineFeeds[index]!;
  }

  private knownChunks = 0;

  private completeIfAllKnown(): void {
    if (!this.prefix && this.knownChunks >= this.chunkCount && this.known.every((flag) => flag === 1)) {
      this.complete(this.chunkCount);
    }
  }

  private complete(chunks: number): void {
    const prefix = new Float64Array(chunks + 1);
    for (let i = 0; i < chunks; i++) prefix[i + 1] = prefix[i]! + this.lineFeeds[i]!;
    this.prefix = prefix;
    this.knownChunks = chunks;
  }
}

/** Bytes per code unit of a rule. */
function unitOf(rule: LineFeedRule): number {
  return rule === "byte" ? 1 : 2;
}

/** CR LF pairs in `bytes` (read from a unit's start): bytes "\r\n", or the rule's two units. */
function countCrlf(bytes: Uint8Array, rule: LineFeedRule): number {
  if (rule !== "byte") {
    const [cr, lf] = rule === "utf-16le" ? [0x000d, 0x000a] : [0x0d00, 0x0a00];
    let units = 0;
    for (let i = 2; i + 2 <= bytes.length; i += 2) {
      if ((bytes[i]! | (bytes[i + 1]! << 8)) === lf && (bytes[i - 2]! | (bytes[i - 1]! << 8)) === cr) units++;
    }
    return units;
  }
  let pairs = 0;
  for (let i = bytes.indexOf(13); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(13, i + 1)) {
    if (bytes[i + 1] === 10) pairs++;
  }
  return pairs;
}
