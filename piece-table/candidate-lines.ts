/**
 * The lines of a document version that hold a literal: the candidates a regex that cannot cross
 * a line is run over (search.ts). Inside original pieces the native startFindLines finds them on
 * all cores, with their bytes; lines in added pieces, across piece borders, or reaching out of a
 * piece are read here. Each line comes once, whole (clipped to the search range), in order.
 */
import { ADDED } from "./piece-tree.js";
import { awaitJob, checkAborted, segments } from "./search-walk.js";
import { type DocumentSnapshot, readTree } from "./snapshot.js";

export interface CandidateLines {
  /** Document offset and length of each line: [start0, length0, start1, length1, …]. */
  spans: Float64Array;
  /** The lines' bytes, one after the other. */
  bytes: Buffer;
  /** A document offset: every line holding the literal before it has been given. */
  settled: number;
}

/** Largest read while looking for the line feed around a line that leaves its piece. */
const LINE_READ_MAX_BYTES = 64 * 1024;

/** Start of the line holding the byte before `position` (a line feed there: `position`), at least floor. */
function lineStartBefore(snapshot: DocumentSnapshot, position: number, floor: number): number {
  let size = 256;
  for (let to = position; to > floor; size = Math.min(LINE_READ_MAX_BYTES, size * 4)) {
    const from = Math.max(floor, to - size);
    const lineFeed = readTree(snapshot.root, from, to, snapshot.original, snapshot.add).lastIndexOf(10);
    if (lineFeed >= 0) return from + lineFeed + 1;
    to = from;
  }
  return floor;
}

/** End of the line holding `position` (just past its line feed), at most ceiling. */
function lineEndFrom(snapshot: DocumentSnapshot, position: number, ceiling: number): number {
  let size = 256;
  for (let from = position; from < ceiling; size = Math.min(LINE_READ_MAX_BYTES, size * 4)) {
    const to = Math.min(ceiling, from + size);
    const lineFeed = readTree(snapshot.root, from, to, snapshot.original, snapshot.add).indexOf(10);
    if (lineFeed >= 0) return from + lineFeed + 1;
    from = to;
  }
  return ceiling;
}

/**
 * Streams the lines of [start, end) holding needle (which holds no line feed), in batches: one
 * per native window of an original piece (windowBytes, a cancellation point) and per added piece.
 */
export async function* candidateLines(
  snapshot: DocumentSnapshot,
  needle: Buffer,
  start: number,
  end: number,
  windowBytes: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<CandidateLines> {
  const overlap = needle.length - 1;
  let spans: number[] = [];
  let parts: Buffer[] = [];
  // End of the last line given: lines are whole, so a match before it lies in a line given.
  let lastEnd = start;
  const take = (settled: number): CandidateLines => {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const batch = { spans: Float64Array.from(spans), bytes, settled };
    spans = [];
    parts = [];
    return batch;
  };
  // The line around a match at [from, ...), read from the document.
  const addLineAround = (from: number) => {
    if (from < lastEnd) return;
    const lineStart = lineStartBefore(snapshot, from, start);
    const lineEnd = lineEndFrom(snapshot, from, end);
    spans.push(lineStart, lineEnd - lineStart);
    parts.push(readTree(snapshot.root, lineStart, lineEnd, snapshot.original, snapshot.add));
    lastEnd = lineEnd;
  };
  for (const { buffer, bufferStart, bufferEnd, documentStart } of segments(snapshot.root, start, end)) {
    checkAborted(signal);
    const documentEnd = documentStart + (bufferEnd - bufferStart);
    const toDocument = documentStart - bufferStart;
    // 1. Matches that begin before this piece and end inside or after it.
    if (overlap > 0 && documentStart > start) {
      const from = Math.max(start, documentStart - overlap, lastEnd);
      const to = Math.min(end, documentStart + overlap);
      if (to - from >= needle.length) {
        const around = readTree(snapshot.root, from, to, snapshot.original, snapshot.add);
        for (
          let at = around.indexOf(needle);
          at >= 0 && from + at < documentStart;
          at = around.indexOf(needle, at + 1)
        )
          addLineAround(from + at);
      }
    }
    // 2. Matches inside the piece.
    if (buffer === ADDED) {
      const from = Math.max(bufferStart, lastEnd - toDocument);
      if (bufferEnd - from >= needle.length) {
        for (const at of snapshot.add!.findAll(needle, from, bufferEnd)) addLineAround(at + toDocument);
      }
      yield take(documentEnd);
      continue;
    }
    for (let windowStart = bufferStart; windowStart < bufferEnd; ) {
      checkAborted(signal);
      const windowEnd = Math.min(bufferEnd, windowStart + windowBytes);
      const from = Math.max(windowStart, lastEnd - toDocument);
      if (from < windowEnd) {
        const job = snapshot.original.startFindLines(needle, from, windowEnd, bufferStart, bufferEnd);
        const found = await awaitJob(job, signal);
        checkAborted(signal);
        const lines = found.spans;
        const count = lines.length;
        const cutLeft = count > 0 && lines[0] === bufferStart && documentStart > start;
        const cutRight =
          count > 0 &&
          lines[count - 1] === bufferEnd &&
          documentEnd < end &&
          found.bytes[found.bytes.length - 1] !== 10;
        const seen = count > 0 && lines[0]! + toDocument < lastEnd;
        if (!cutLeft && !cutRight && !seen) {
          // Every line whole and new (the usual case): the native answer, in document offsets.
          if (spans.length > 0) yield take(documentStart + (from - bufferStart));
          for (let i = 0; i < count; i += 2) {
            lines[i + 1] = lines[i + 1]! - lines[i]!;
            lines[i] = lines[i]! + toDocument;
          }
          if (count > 0) lastEnd = lines[count - 2]! + lines[count - 1]!;
          windowStart = windowEnd;
          yield { spans: lines, bytes: found.bytes, settled: windowEnd + toDocument };
          continue;
        }
        // A line cut at the piece's edge is read whole here; the others go in runs of bytes.
        let runFrom = 0;
        let offset = 0;
        for (let i = 0; i < count; i += 2) {
          const length = lines[i + 1]! - lines[i]!;
          const lineStart = lines[i]! + toDocument;
          const readHere = (i === 0 && (cutLeft || seen)) || (i === count - 2 && cutRight);
          if (readHere || lineStart < lastEnd) {
            if (offset > runFrom) parts.push(found.bytes.subarray(runFrom, offset));
            runFrom = offset + length;
            addLineAround(lineStart);
          } else {
            spans.push(lineStart, length);
            lastEnd = lineStart + length;
          }
          offset += length;
        }
        if (offset > runFrom) parts.push(found.bytes.subarray(runFrom, offset));
      }
      windowStart = windowEnd;
      yield take(windowEnd + toDocument);
    }
  }
}
