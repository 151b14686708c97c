/**
 * Cuts a window of a document for the UI: whole lines around an anchor, and lines longer than
 * SEGMENT_BYTES split into segments, so a 1 GB one-line JSON never reaches the DOM whole.
 *
 * Segment boundaries are a function of the bytes alone, so every window agrees on them: a
 * boundary sits at a multiple of SEGMENT_BYTES (moved forward past UTF-8 continuation bytes, at
 * most 3, and past a CR that starts a CRLF) when the line holding it began at least
 * SEGMENT_BYTES before it — there is no LF in the SEGMENT_BYTES before it. So a line shorter
 * than SEGMENT_BYTES is never cut, a long one is cut into pieces of SEGMENT_BYTES (the first up
 * to twice that), and the window line holding any byte is found by looking back at most
 * 2 × SEGMENT_BYTES, without knowing where a 256 MiB line began. In the multi-byte legacy sets
 * (Shift_JIS, GBK, …), whose second bytes may be any byte from 0x40 up, the boundary moves forward
 * to the next character start instead (character-boundary.ts: walked from the nearest byte that
 * cannot be inside a character, at most 64 KiB back), so no segment starts inside a character.
 */
import { isAscii, isUtf8 } from "node:buffer";
import type { Document } from "../piece-table/index.js";
import { type LineFeedRule, ruleOf, unitBytes } from "../piece-table/internal.js";
import { type Anchor, type DocumentWindow, decodeEscaped } from "../protocol/index.js";
import { CharacterBoundaries, isMultiByteLegacy } from "./character-boundary.js";

/** Longest window line: longer lines are shown in segments of this many bytes. */
export const SEGMENT_BYTES = 8192;
/** Bytes a window may hold on each side of its anchor, whatever the line count asked for. */
export const WINDOW_SIDE_BYTES = 1024 * 1024;

const LF = 10;
const CR = 13;

/** A window line: content [start, contentEnd), then `breakBytes` of terminator (0 for a segment). */
interface WindowLine {
  start: number;
  contentEnd: number;
  breakBytes: number;
}

/** What a window line's questions may read around it: two segments and a CRLF / UTF-8 tail. */
const LINE_MARGIN = 2 * SEGMENT_BYTES + 8;
/** Bytes first read for each window line asked for: a log line or two. */
const GUESS_BYTES_PER_LINE = 256;
/** The least a read brings in. */
const MIN_READ_BYTES = 64 * 1024;

/** What to read first for `lines` lines on one side of the anchor. */
function firstRead(lines: number): number {
  return Math.min(WINDOW_SIDE_BYTES, Math.max(MIN_READ_BYTES, lines * GUESS_BYTES_PER_LINE)) + LINE_MARGIN;
}

/**
 * Reads a document in blocks, for the byte-by-byte questions the segmenting asks. The window's
 * first read is sized for the lines asked for, as if they were log lines; when the lines turn out
 * longer, the next read takes all a side may hold (WINDOW_SIDE_BYTES) in the direction the walk
 * goes — so a window of short lines reads little, and no window reads byte by byte.
 */
class ByteSource {
  private block: Buffer = Buffer.alloc(0);
  private blockStart = 0;
  readonly length: number;
  /** How the bytes make lines: 0x0A, or (UTF-16) the code unit 0x000A at an even offset. */
  readonly rule: LineFeedRule;
  /** Bytes of a code unit: 1, or 2 in UTF-16. */
  readonly unit: 1 | 2;

  /** Where characters begin, in a multi-byte legacy set (else segments are cut by UTF-8 rules). */
  readonly characters: CharacterBoundaries | null;

  constructor(
    private readonly doc: Document,
    /** The encoding the host reads the document in (null: UTF-8, or the engine's own). */
    encoding: string | null = null,
  ) {
    this.length = doc.length;
    this.rule = ruleOf(doc.encoding);
    this.unit = unitBytes(this.rule);
    this.characters =
      this.rule === "byte" && isMultiByteLegacy(encoding)
        ? new CharacterBoundaries(encoding!, doc, false)
        : null;
  }

  /** Whether the code unit at `offset` is `code` (a line feed, a carriage return). */
  unitIs(offset: number, code: number): boolean {
    if (this.rule === "byte") return this.at(offset) === code;
    const [first, second] = this.rule === "utf-16le" ? [code, 0] : [0, code];
    return this.at(offset) === first && this.at(offset + 1) === second;
  }

  /** Offset of the first line feed (its unit) in [start, end), or -1. */
  indexOfLineFeed(start: number, end: number): number {
    if (this.rule === "byte") return this.indexOf(LF, start, end);
    // The 0x0A byte of a UTF-16 line feed: its first byte (LE) or its second (BE), at a unit start.
    const shift = this.rule === "utf-16le" ? 0 : 1;
    for (let at = this.indexOf(LF, start + shift, end); at >= 0; at = this.indexOf(LF, at + 1, end)) {
      const unitStart = at - shift;
      if (unitStart % 2 === 0 && unitStart + 2 <= end && this.unitIs(unitStart, LF)) return unitStart;
    }
    return -1;
  }

  /** Offset of the last line feed (its unit) in [start, end), or -1. */
  lastIndexOfLineFeed(start: number, end: number): number {
    if (this.rule === "byte") return this.lastIndexOf(LF, start, end);
    const shift = this.rule === "utf-16le" ? 0 : 1;
    for (
      let at = this.lastIndexOf(LF, start + shift, end);
      at >= 0;
      at = this.lastIndexOf(LF, start + shift, at)
    ) {
      const unitStart = at - shift;
      if (unitStart % 2 === 0 && unitStart + 2 <= end && this.unitIs(unitStart, LF)) return unitStart;
    }
    return -1;
  }

  /** Makes at least [start, end) readable through bytes()/at() (one read if it is not already). */
  load(start: number, end: number): void {
    start = Math.max(0, start);
    end = Math.min(this.length, end);
    if (start >= this.blockStart && end <= this.blockStart + this.block.length) return;
    // The first question (where the anchor's line starts) needs only what it asks.
    if (this.block.length === 0) {
      this.read(start - LINE_MARGIN, end + LINE_MARGIN);
      return;
    }
    const side = WINDOW_SIDE_BYTES + 2 * LINE_MARGIN;
    const backward = start < this.blockStart;
    this.read(backward ? start - side : start - LINE_MARGIN, backward ? end + LINE_MARGIN : end + side);
  }

  /** Reads [start, end) exactly: the window's first read, or its text. */
  read(start: number, end: number): void {
    start = Math.max(0, start);
    end = Math.min(this.length, end);
    this.block = this.doc.read(start, end);
    this.blockStart = start;
  }

  at(offset: number): number | undefined {
    if (offset < 0 || offset >= this.length) return undefined;
    const i = offset - this.blockStart;
    if (i < 0 || i >= this.block.length) this.load(offset, offset + 1);
    return this.block[offset - this.blockStart];
  }

  /** Offset of the first `byte` in [start, end), or -1 (no copy, no view object). */
  indexOf(byte: number, start: number, end: number): number {
    this.load(start, end);
    const found = this.block.indexOf(byte, start - this.blockStart);
    return found < 0 || found + this.blockStart >= end ? -1 : found + this.blockStart;
  }

  /** Offset of the last `byte` in [start, end), or -1. */
  lastIndexOf(byte: number, start: number, end: number): number {
    if (end <= start) return -1;
    this.load(start, end);
    const found = this.block.lastIndexOf(byte, end - 1 - this.blockStart);
    return found < 0 || found + this.blockStart < start ? -1 : found + this.blockStart;
  }

  /** Exactly [start, end): read as it is if the block does not hold it. */
  bytes(start: number, end: number): Buffer {
    if (start < this.blockStart || end > this.blockStart + this.block.length) this.read(start, end);
    return this.block.subarray(start - this.blockStart, end - this.blockStart);
  }
}

/** The segment boundary near `offset` (a multiple of SEGMENT_BYTES), or the end. */
function adjustBoundary(source: ByteSource, offset: number): number {
  let at = offset;
  if (source.unit === 2) {
    // Past the second half of a surrogate pair, and past a CR that starts a CRLF.
    const second = source.rule === "utf-16le" ? (source.at(at + 1) ?? 0) : (source.at(at) ?? 0);
    if (second >= 0xdc && second <= 0xdf) at += 2;
  } else if (source.characters) {
    // The next character start: at most 3 bytes on (no sequence is longer than 4).
    at = source.characters.atOrAfter(offset);
  } else {
    while (at < source.length && at - offset < 3 && ((source.at(at) ?? 0) & 0xc0) === 0x80) at++;
  }
  if (source.unitIs(at, CR) && source.unitIs(at + source.unit, LF)) at += source.unit;
  return Math.min(at, source.length);
}

/** The nominal multiple of SEGMENT_BYTES where the window line starting at `start` may be cut. */
function nextBoundary(source: ByteSource, start: number): number {
  const atLineStart = start === 0 || source.unitIs(start - source.unit, LF);
  // A line start: the first multiple at least SEGMENT_BYTES on. A boundary: the next multiple
  // (the line began at least SEGMENT_BYTES before this one, so every later multiple counts).
  return atLineStart
    ? Math.ceil((start + SEGMENT_BYTES) / SEGMENT_BYTES) * SEGMENT_BYTES
    : (Math.floor(start / SEGMENT_BYTES) + 1) * SEGMENT_BYTES;
}

/** The window line starting at `start` (a line start or a segment boundary). */
function lineFrom(source: ByteSource, start: number): WindowLine {
  const unit = source.unit;
  const limit = adjustBoundary(source, nextBoundary(source, start));
  const searchEnd = Math.min(source.length, limit + unit);
  const at = source.indexOfLineFeed(start, searchEnd);
  if (at < 0) return { start, contentEnd: limit, breakBytes: 0 };
  const contentEnd = at > start && source.unitIs(at - unit, CR) ? at - unit : at;
  return { start, contentEnd, breakBytes: at + unit - contentEnd };
}

/** Start of the window line holding byte `offset` (0 ≤ offset ≤ length). */
export function windowLineStart(doc: Document, offset: number, encoding: string | null = null): number {
  return windowLineStartIn(new ByteSource(doc, encoding), offset);
}

function windowLineStartIn(source: ByteSource, offset: number): number {
  if (offset <= 0) return 0;
  // In UTF-16, offsets are whole units (an odd one is the file's lone last byte: its unit's start).
  if (source.unit === 2) offset -= offset % 2;
  const lookBack = Math.max(0, offset - 2 * SEGMENT_BYTES - 8);
  source.load(lookBack, offset + 2 * SEGMENT_BYTES + 8);
  const lastLineFeed = source.lastIndexOfLineFeed(lookBack, offset);
  // No LF in the last two segments: the line began earlier, and a boundary below is the answer.
  const lineStart = lastLineFeed >= 0 ? lastLineFeed + source.unit : lookBack === 0 ? 0 : -1;
  for (let k = Math.floor(offset / SEGMENT_BYTES); k >= 1 && k * SEGMENT_BYTES > lineStart; k--) {
    // A multiple less than SEGMENT_BYTES into its line is no boundary, and no lower one is.
    if (lineStart >= 0 && k * SEGMENT_BYTES - lineStart < SEGMENT_BYTES) break;
    const boundary = adjustBoundary(source, k * SEGMENT_BYTES);
    if (boundary <= offset && boundary < source.length && !source.unitIs(boundary, LF)) return boundary;
  }
  return Math.max(0, lineStart);
}

export interface WindowRequest {
  anchor: Anchor;
  linesBefore: number;
  linesAfter: number;
}

/**
 * The window around `anchor`: up to linesBefore window lines before the anchor's and linesAfter
 * after it, at most WINDOW_SIDE_BYTES each side. `lineKnown(offset)` says whether the absolute
 * line number of an offset is cheap to know now (the index may still be building).
 */
export function cutWindow(
  doc: Document,
  request: WindowRequest,
  version: number,
  lineKnown: (offset: number) => boolean,
  /** Text of a line's bytes in the document's encoding; null for UTF-8 (decoded here, fast). */
  decode: ((bytes: Buffer) => string) | null = null,
  /** The encoding `decode` reads (segments of a multi-byte set are cut between characters). */
  encoding: string | null = null,
): DocumentWindow {
  const source = new ByteSource(doc, encoding);
  const anchorByte = anchorOffset(doc, request.anchor);
  const anchorStart = windowLineStartIn(source, anchorByte);

  const after: WindowLine[] = [];
  // About what the lines asked for need (more is read if the walk needs it).
  source.read(anchorStart - 1, anchorStart + firstRead(request.linesAfter + 1));
  for (let at = anchorStart; ; ) {
    const line = lineFrom(source, at);
    after.push(line);
    const next = line.contentEnd + line.breakBytes;
    if (line.breakBytes === 0 && line.contentEnd >= source.length) break; // the document's last line
    if (after.length > request.linesAfter || next - anchorStart > WINDOW_SIDE_BYTES) break;
    at = next;
  }

  const before: WindowLine[] = [];
  if (anchorStart > 0 && request.linesBefore > 0) {
    // Walk back a window line at a time: each starts where windowLineStart says the byte before
    // the next one belongs.
    source.read(anchorStart - firstRead(request.linesBefore), anchorStart + LINE_MARGIN);
    let at = anchorStart;
    while (at > 0 && before.length < request.linesBefore && anchorStart - at < WINDOW_SIDE_BYTES) {
      const start = windowLineStartIn(source, at - 1);
      before.push(lineFrom(source, start));
      at = start;
    }
    before.reverse();
  }

  const lines = [...before, ...after];
  let start = lines[0]!.start;
  const last = lines[lines.length - 1]!;
  const bytes = source.bytes(start, last.contentEnd);
  // Plain ASCII (most logs): decode once and slice; otherwise line by line, escaping what is not UTF-8.
  const ascii = isAscii(bytes);
  const all = ascii ? bytes.toString("latin1") : "";
  const valid = ascii || isUtf8(bytes);
  const texts = lines.map((line) => {
    if (ascii && decode === null) return all.slice(line.start - start, line.contentEnd - start);
    const content = bytes.subarray(line.start - start, line.contentEnd - start);
    if (decode) return decode(content);
    return valid ? content.toString("utf8") : decodeEscaped(content);
  });
  // A byte order mark is not text: the window starts after it (3 bytes in UTF-8, 2 in UTF-16).
  if (start === 0 && texts[0]!.charCodeAt(0) === 0xfeff && (bytes[0] === 0xef || source.unit === 2)) {
    texts[0] = texts[0]!.slice(1);
    start = source.unit === 2 ? 2 : 3;
  }
  return {
    version,
    start,
    end: last.contentEnd,
    firstLine: lineKnown(lines[0]!.start) ? doc.lineAt(lines[0]!.start) : null,
    lines: texts,
    breaks: lines.slice(0, -1).map((line) => line.breakBytes),
    anchorIndex: before.length,
    atStart: lines[0]!.start === 0,
    atEnd: last.breakBytes === 0 && last.contentEnd >= source.length,
  };
}

function anchorOffset(doc: Document, anchor: Anchor): number {
  if ("end" in anchor) return doc.length;
  if ("byte" in anchor) return Math.min(anchor.byte, doc.length);
  try {
    return doc.lineStart(anchor.line);
  } catch (error) {
    // Past the last line: show the end, as editors do for "go to line 10^9".
    if (error instanceof RangeError) return doc.length;
    throw error;
  }
}
