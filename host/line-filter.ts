/**
 * The filter view's data: which lines of the document hold a match of a query, found by the
 * engine's streaming search, kept as line numbers in typed-array blocks (4 bytes a matching line:
 * 10 million matching lines in 40 MB, whatever the file's size), and served a window at a time.
 * A filter belongs to one version of the document; after an edit it is stale and is run again.
 */
import { isAscii, isUtf8 } from "node:buffer";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Document, FindOptions, SearchPattern } from "../piece-table/index.js";
import { type LineFeedRule, ruleOf, unitBytes } from "../piece-table/internal.js";
import { decodeEscaped } from "../protocol/index.js";
import { wholeCharacterMatches } from "./character-boundary.js";

/** UTF-8 text of a line, escaped where it is not valid UTF-8. */
function decodeUtf8(bytes: Buffer): string {
  return isAscii(bytes) || isUtf8(bytes) ? bytes.toString("utf8") : decodeEscaped(bytes);
}

/** Matching lines per block of the list. */
const BLOCK_LINES = 64 * 1024;
/** Longest text of a line sent to the page (the rest is marked as cut). */
export const FILTER_LINE_BYTES = 4096;
/** Most lines one window request may ask for. */
export const MAX_FILTER_WINDOW = 5000;

export interface FilterProgress {
  /** Matching lines found so far. */
  lines: number;
  scanned: number;
  total: number;
}

export interface FilteredLine {
  /** 0-based line number in the document. */
  line: number;
  /** The line's text (escaped like windows' text), at most FILTER_LINE_BYTES of it. */
  text: string;
  /** The line goes on past what `text` holds. */
  cut: boolean;
}

/** A growable list of line numbers in fixed blocks (no copying as it grows). */
class LineList {
  private readonly blocks: Uint32Array[] = [];
  length = 0;

  push(line: number): void {
    const offset = this.length % BLOCK_LINES;
    if (offset === 0) this.blocks.push(new Uint32Array(BLOCK_LINES));
    this.blocks[this.blocks.length - 1]![offset] = line;
    this.length++;
  }

  at(index: number): number {
    return this.blocks[Math.floor(index / BLOCK_LINES)]![index % BLOCK_LINES]!;
  }

  get bytes(): number {
    return this.blocks.length * BLOCK_LINES * 4;
  }
}

/**
 * The line (0-based) of offsets asked for in increasing order: counts the LFs between one offset
 * and the next in blocks read once, remembering where the next LF is, so a long line with many
 * matches is not scanned again for each.
 */
export class ForwardLineCounter {
  private block: Buffer = Buffer.alloc(0);
  private blockStart = 0;
  /** Offset counted up to, and the line it lies on. */
  private at = 0;
  private line = 0;
  /** The first LF at or after `at` in the block, if known (-1: none in the rest of the block). */
  private nextLf: number | null = null;

  /** How the document's bytes make lines (UTF-16: code units at even offsets). */
  private readonly rule: LineFeedRule;
  private readonly unit: 1 | 2;

  constructor(
    private readonly doc: Pick<Document, "read" | "length"> & { readonly encoding?: string | null },
    private readonly blockBytes = 1024 * 1024,
  ) {
    this.rule = ruleOf(doc.encoding);
    this.unit = unitBytes(this.rule);
  }

  /** Index in the block of the first line feed (its unit) at or after `from`, or -1. */
  private lineFeedIn(from: number): number {
    const block = this.block;
    if (this.rule === "byte") return block.indexOf(10, from);
    const shift = this.rule === "utf-16le" ? 0 : 1;
    for (let at = block.indexOf(10, from + shift); at >= 0; at = block.indexOf(10, at + 1)) {
      const unitStart = at - shift;
      // Blocks start at unit starts (even offsets), so a unit's parity in the block is its own.
      if (unitStart % 2 === 0 && block[shift === 0 ? unitStart + 1 : unitStart] === 0) return unitStart;
    }
    return -1;
  }

  lineOf(offset: number): number {
    if (offset < this.at) throw new RangeError(`offsets go forward: ${offset} after ${this.at}`);
    while (this.at < offset) {
      const blockEnd = this.blockStart + this.block.length;
      if (this.at >= blockEnd) {
        this.blockStart = this.at;
        this.block = this.doc.read(this.at, Math.min(this.doc.length, this.at + this.blockBytes));
        this.nextLf = null;
        if (this.block.length === 0) break;
        continue;
      }
      const stop = Math.min(offset, blockEnd);
      if (this.nextLf === null) {
        const found = this.lineFeedIn(this.at - this.blockStart);
        this.nextLf = found < 0 ? -1 : this.blockStart + found;
      }
      if (this.nextLf >= 0 && this.nextLf < stop) {
        this.line++;
        this.at = this.nextLf + this.unit;
        this.nextLf = null;
      } else {
        this.at = stop;
      }
    }
    return this.line;
  }
}

export class LineFilter {
  private readonly list = new LineList();
  private finished = false;
  private failure: unknown = null;
  readonly done: Promise<number>;

  constructor(
    private readonly doc: Document,
    readonly version: number,
    pattern: SearchPattern,
    options: FindOptions,
    signal: AbortSignal,
    onProgress: (progress: FilterProgress) => void,
    /** Text of a line's bytes (the document's encoding; default UTF-8, escaped where invalid). */
    private readonly decode: (bytes: Buffer) => string = decodeUtf8,
    /** The encoding `decode` reads: in a multi-byte set only whole-character matches count. */
    private readonly encoding?: string,
  ) {
    this.done = this.run(pattern, options, signal, onProgress);
    // Failures are read through `done` or `error`; nobody may be awaiting yet.
    this.done.catch(() => {});
  }

  /** Matching lines found so far (all of them once `finished`). */
  get count(): number {
    return this.list.length;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  get error(): unknown {
    return this.failure;
  }

  /** Memory the list holds, in bytes. */
  get memoryBytes(): number {
    return this.list.bytes;
  }

  private async run(
    pattern: SearchPattern,
    options: FindOptions,
    signal: AbortSignal,
    onProgress: (progress: FilterProgress) => void,
  ): Promise<number> {
    const doc = this.doc;
    try {
      signal.throwIfAborted();
      // Matches come in order: their lines are counted going forward, each byte once (asking
      // the line index for each match cost a chunk scan a match: 15 s for 3.5 M lines).
      const lines = new ForwardLineCounter(doc);
      let lastLine = -1;
      const progress = (scan: { bytesDone: number; bytesTotal: number }) =>
        onProgress({ lines: this.list.length, scanned: scan.bytesDone, total: scan.bytesTotal });
      const found = { ...options, signal, onProgress: progress };
      for await (const match of wholeCharacterMatches(doc, pattern, found, this.encoding)) {
        const line = lines.lineOf(match.start);
        // Several matches on one line count once.
        if (line === lastLine) continue;
        lastLine = line;
        this.list.push(line);
      }
      this.finished = true;
      onProgress({ lines: this.list.length, scanned: doc.length, total: doc.length });
      return this.list.length;
    } catch (error) {
      this.failure = error;
      this.finished = true;
      throw error;
    }
  }

  /** The matching lines [from, from + count) of those found so far, with their text. */
  window(from: number, count: number): FilteredLine[] {
    const end = Math.min(this.list.length, from + count);
    const lines: FilteredLine[] = [];
    for (let i = from; i < end; i++) {
      const line = this.list.at(i);
      lines.push(this.lineText(line));
    }
    return lines;
  }

  /** The index in the list of the first matching line at or after document line `line`. */
  indexOfLine(line: number): number {
    let low = 0;
    let high = this.list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.list.at(mid) < line) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private contentRange(line: number): { start: number; end: number } {
    const doc = this.doc;
    const start = doc.lineStart(line);
    let end = line + 1 < doc.lineCount() ? doc.lineStart(line + 1) : doc.length;
    // Without its terminator (LF, or CRLF; code units in UTF-16).
    const rule = ruleOf(doc.encoding);
    const unit = unitBytes(rule);
    const unitIs = (at: number, code: number) => {
      if (at < start) return false;
      const bytes = doc.read(at, at + unit);
      if (rule === "byte") return bytes[0] === code;
      return rule === "utf-16le" ? bytes[0] === code && bytes[1] === 0 : bytes[0] === 0 && bytes[1] === code;
    };
    if (unitIs(end - unit, 10)) {
      end -= unit;
      if (unitIs(end - unit, 13)) end -= unit;
    }
    return { start, end };
  }

  private lineText(line: number): FilteredLine {
    const { start, end } = this.contentRange(line);
    const shownEnd = Math.min(end, start + FILTER_LINE_BYTES);
    const bytes = this.doc.read(start, shownEnd);
    const text = this.decode(bytes);
    return { line, text, cut: shownEnd < end };
  }

  /**
   * Writes the matching lines (all of them: it waits for the scan) to `path`, each with the
   * document's newline, through a temp file renamed into place. Returns lines and bytes written.
   */
  async saveTo(path: string, newline: "\n" | "\r\n" | Uint8Array): Promise<{ lines: number; bytes: number }> {
    await this.done;
    const temp = join(dirname(path), `.${basename(path)}.gigapad-${process.pid}.tmp`);
    const fd = openSync(temp, "wx", 0o644);
    let bytes = 0;
    try {
      // The line end as the document's encoding writes it (two bytes a unit in UTF-16).
      const eol = Buffer.from(newline);
      const batch: Buffer[] = [];
      let batchBytes = 0;
      const flush = () => {
        const buffer = Buffer.concat(batch, batchBytes);
        for (let at = 0; at < buffer.length; ) at += writeSync(fd, buffer, at);
        bytes += buffer.length;
        batch.length = 0;
        batchBytes = 0;
      };
      for (let i = 0; i < this.list.length; i++) {
        const { start, end } = this.contentRange(this.list.at(i));
        const content = this.doc.read(start, end);
        batch.push(content, eol);
        batchBytes += content.length + eol.length;
        if (batchBytes >= 1024 * 1024) flush();
        // Long saves yield, so the host keeps answering.
        if (i % 20_000 === 19_999) await new Promise((resolve) => setImmediate(resolve));
      }
      flush();
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(temp);
      throw error;
    }
    closeSync(fd);
    renameSync(temp, path);
    return { lines: this.list.length, bytes };
  }
}
