/**
 * RegExp matching over one chunk of bytes, with byte offsets out. Pure (no native code): it could
 * run in a worker as well.
 */
import { isAscii, isUtf8 } from "node:buffer";

/** What a RegExp search needs, as plain data. */
export interface RegexTask {
  source: string;
  flags: string;
  /** Bytes every match contains, for the prefilter, or null. */
  requiredLiteral: Uint8Array | null;
  /** True when no match can span a line end. */
  lineLocal: boolean;
}

/** Matches as parallel arrays of byte offsets (starts[i]..ends[i]), offset by `base`. */
export interface ChunkMatches {
  starts: number[];
  ends: number[];
}

/**
 * RegExp matches in one chunk, with byte offsets. ASCII is decoded as Latin-1 (offsets are char
 * indexes); other valid UTF-8 as text, with offsets re-measured in bytes; a chunk with invalid
 * UTF-8 as Latin-1 too (one char per byte) so offsets stay exact — there the pattern sees bytes,
 * and non-ASCII characters in the pattern will not match.
 */
export function matchesInChunk(bytes: Buffer, base: number, regex: RegExp, out: ChunkMatches): void {
  const byteIndexed = isAscii(bytes) || !isUtf8(bytes);
  const text = bytes.toString(byteIndexed ? "latin1" : "utf8");
  regex.lastIndex = 0;
  let charCursor = 0;
  let byteCursor = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    if (byteIndexed) {
      out.starts.push(base + match.index);
      out.ends.push(base + match.index + match[0].length);
    } else {
      byteCursor += Buffer.byteLength(text.slice(charCursor, match.index), "utf8");
      charCursor = match.index;
      out.starts.push(base + byteCursor);
      out.ends.push(base + byteCursor + Buffer.byteLength(match[0], "utf8"));
    }
  }
}

/** A chunk holding a required literal in fewer lines than this fraction runs line by line. */
const LINE_BY_LINE_MAX_BYTES_PER_HIT = 256;

/**
 * All matches of the task's regex in a chunk. Every match contains the required literal, so a
 * chunk without it has none, and when the regex cannot cross a line only the lines holding the
 * literal need the regex (as ripgrep does).
 */
export function chunkMatches(bytes: Buffer, base: number, regex: RegExp, task: RegexTask): ChunkMatches {
  const out: ChunkMatches = { starts: [], ends: [] };
  const literal = task.requiredLiteral;
  if (!literal) {
    matchesInChunk(bytes, base, regex, out);
    return out;
  }
  const first = bytes.indexOf(literal);
  if (first < 0) return out;
  if (!task.lineLocal) {
    matchesInChunk(bytes, base, regex, out);
    return out;
  }
  // Lines holding the literal; give up on the per-line path when they are many.
  const lines: number[] = [];
  for (let hit = first; hit >= 0; ) {
    const lineStart = hit === 0 ? 0 : bytes.lastIndexOf(10, hit - 1) + 1;
    let lineEnd = bytes.indexOf(10, hit + literal.length);
    lineEnd = lineEnd < 0 ? bytes.length : lineEnd + 1;
    lines.push(lineStart, lineEnd);
    if ((lines.length / 2) * LINE_BY_LINE_MAX_BYTES_PER_HIT > bytes.length) {
      matchesInChunk(bytes, base, regex, out);
      return out;
    }
    hit = lineEnd < bytes.length ? bytes.indexOf(literal, lineEnd) : -1;
  }
  for (let i = 0; i < lines.length; i += 2) {
    matchesInChunk(bytes.subarray(lines[i]!, lines[i + 1]!), base + lines[i]!, regex, out);
  }
  return out;
}
