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
  /**
   * replaceAll: matches as String.prototype.replace sees them (empty ones too), and, with a
   * `template` ($1, $<name>, $&, $`, $', $$), each match's replacement computed where the match
   * stands in the chunk (lookbehind, \b, ^ and $ see its context).
   */
  replacing?: boolean;
  template?: string;
  /**
   * The chunk's bytes are UTF-16 code units in this byte order (a UTF-16 document): decoded as
   * units (a lone surrogate stays one), match offsets are twice the unit indexes, replacements
   * are written in UTF-16 too. Absent: UTF-8 or bytes, as matchesInChunk says.
   */
  encoding?: "utf-16le" | "utf-16be";
  /**
   * A document offset where matching begins, when the chunk starts before it (a range searched in
   * its lines' context): the regex is run from there as a global RegExp's lastIndex would be, so
   * lookbehind, \b and ^ see the bytes before it, and a match starts there at the earliest.
   */
  startAt?: number;
}

/** The string index matching begins at: byte `skip` of the chunk (≤ 0: its start). */
function startIndex(bytes: Buffer, byteIndexed: boolean, skip: number): number {
  if (skip <= 0) return 0;
  return byteIndexed ? skip : bytes.subarray(0, skip).toString("utf8").length;
}

/** How text taken from the subject ($&, $1, …) is written back as bytes. */
type SubjectEncoding = "latin1" | "utf8" | "utf-16le" | "utf-16be";

/**
 * Longest text a RegExp sees at once: a regex chunk grows to a line end up to this size, and a
 * longer line is cut here (a match across the cut is not found).
 */
export const REGEX_CHUNK_MAX_BYTES = 64 * 1024 * 1024;

/** Matches as parallel arrays of byte offsets (starts[i]..ends[i]), offset by `base`. */
export interface ChunkMatches {
  starts: number[];
  ends: number[];
  /** With a template: the replacements' bytes, concatenated; match i's ends at replacementEnds[i]. */
  replacementBytes?: Uint8Array;
  replacementEnds?: number[];
}

/** Text as bytes in an encoding of the subject (UTF-16 code units kept as they are). */
function encodeAs(text: string, encoding: SubjectEncoding): Buffer {
  if (encoding === "latin1" || encoding === "utf8") return Buffer.from(text, encoding);
  const bytes = Buffer.from(text, "utf16le");
  return encoding === "utf-16be" ? bytes.swap16() : bytes;
}

/**
 * The replacement for one match, as the spec's GetSubstitution makes it, as bytes: the template's
 * own text as UTF-8; what comes from the subject ($&, $n, $<name>, $`, $') in the chunk's own
 * encoding (Latin-1 for a byte-indexed chunk, so raw bytes come back as they were).
 */
export function expandReplacement(
  template: string,
  match: RegExpExecArray,
  subject: string,
  byteIndexed: boolean,
): Buffer {
  return substitute(template, match, subject, byteIndexed ? "latin1" : "utf8");
}

/** expandReplacement for a subject in any encoding; in UTF-16 the template's text is UTF-16 too. */
function substitute(
  template: string,
  match: RegExpExecArray,
  subject: string,
  subjectEncoding: SubjectEncoding,
): Buffer {
  const parts: Buffer[] = [];
  const fromSubject = (text: string) => parts.push(encodeAs(text, subjectEncoding));
  const literalEncoding = subjectEncoding === "latin1" ? "utf8" : subjectEncoding;
  let literal = "";
  const flush = () => {
    if (literal) parts.push(encodeAs(literal, literalEncoding));
    literal = "";
  };
  const captures = match.length - 1;
  const position = match.index;
  const matched = match[0];
  for (let i = 0; i < template.length; ) {
    const char = template[i]!;
    const next = template[i + 1];
    if (char !== "$" || next === undefined) {
      literal += char;
      i++;
      continue;
    }
    if (next === "$") {
      literal += "$";
      i += 2;
    } else if (next === "&" || next === "`" || next === "'") {
      flush();
      fromSubject(
        next === "&"
          ? matched
          : next === "`"
            ? subject.slice(0, position)
            : subject.slice(Math.min(subject.length, position + matched.length)),
      );
      i += 2;
    } else if (next >= "0" && next <= "9") {
      const two = template[i + 2];
      let digits = two !== undefined && two >= "0" && two <= "9" ? next + two : next;
      let index = Number(digits);
      if (digits.length === 2 && index > captures) {
        digits = next;
        index = Number(next);
      }
      if (index >= 1 && index <= captures) {
        flush();
        fromSubject(match[index] ?? "");
      } else {
        literal += `$${digits}`;
      }
      i += 1 + digits.length;
    } else if (next === "<" && match.groups !== undefined) {
      const close = template.indexOf(">", i + 2);
      if (close < 0) {
        literal += "$<";
        i += 2;
      } else {
        flush();
        fromSubject(match.groups[template.slice(i + 2, close)] ?? "");
        i = close + 1;
      }
    } else {
      literal += "$";
      i++;
    }
  }
  flush();
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Where a global RegExp looks next after an empty match at `index` (a code point on with u/v). */
function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const unit = text.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdbff) return index + 1;
  const low = text.charCodeAt(index + 1);
  return low >= 0xdc00 && low <= 0xdfff ? index + 2 : index + 1;
}

/** replaceAll's matches in one chunk (see RegexTask.replacing): empty ones included. */
function replaceMatchesInChunk(
  bytes: Buffer,
  base: number,
  regex: RegExp,
  task: RegexTask,
  out: ChunkMatches,
): void {
  const byteIndexed = isAscii(bytes) || !isUtf8(bytes);
  const text = bytes.toString(byteIndexed ? "latin1" : "utf8");
  const unicode = regex.unicode || regex.flags.includes("v");
  const template = task.template;
  const replacements: Buffer[] = [];
  const replacementEnds: number[] = [];
  let replacementLength = 0;
  regex.lastIndex = startIndex(bytes, byteIndexed, (task.startAt ?? base) - base);
  let charCursor = 0;
  let byteCursor = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) regex.lastIndex = advance(text, regex.lastIndex, unicode);
    if (byteIndexed) {
      out.starts.push(base + match.index);
      out.ends.push(base + match.index + match[0].length);
    } else {
      byteCursor += Buffer.byteLength(text.slice(charCursor, match.index), "utf8");
      charCursor = match.index;
      out.starts.push(base + byteCursor);
      out.ends.push(base + byteCursor + Buffer.byteLength(match[0], "utf8"));
    }
    if (template !== undefined) {
      const replacement = expandReplacement(template, match, text, byteIndexed);
      replacements.push(replacement);
      replacementLength += replacement.length;
      replacementEnds.push(replacementLength);
    }
  }
  if (template !== undefined) {
    out.replacementBytes = Buffer.concat(replacements, replacementLength);
    out.replacementEnds = replacementEnds;
  }
}

/**
 * RegExp matches in one chunk, with byte offsets. ASCII is decoded as Latin-1 (offsets are char
 * indexes); other valid UTF-8 as text, with offsets re-measured in bytes; a chunk with invalid
 * UTF-8 as Latin-1 too (one char per byte) so offsets stay exact — there the pattern sees bytes,
 * and non-ASCII characters in the pattern will not match.
 */
export function matchesInChunk(
  bytes: Buffer,
  base: number,
  regex: RegExp,
  out: ChunkMatches,
  /** Bytes of the chunk before where matching begins (see RegexTask.startAt). */
  skip = 0,
): void {
  eachMatch(
    bytes,
    regex,
    (start, end) => {
      out.starts.push(base + start);
      out.ends.push(base + end);
    },
    skip,
  );
}

/** The non-empty matches in bytes (decoded as matchesInChunk says), as byte offsets, in order. */
function eachMatch(
  bytes: Buffer,
  regex: RegExp,
  visit: (start: number, end: number) => void,
  skip = 0,
): void {
  const byteIndexed = isAscii(bytes) || !isUtf8(bytes);
  const text = bytes.toString(byteIndexed ? "latin1" : "utf8");
  regex.lastIndex = startIndex(bytes, byteIndexed, skip);
  let charCursor = 0;
  let byteCursor = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    if (byteIndexed) {
      visit(match.index, match.index + match[0].length);
    } else {
      byteCursor += Buffer.byteLength(text.slice(charCursor, match.index), "utf8");
      charCursor = match.index;
      visit(byteCursor, byteCursor + Buffer.byteLength(match[0], "utf8"));
    }
  }
}

/**
 * Matches of a regex that cannot cross a line (see isLineLocal) in spans of a document: `bytes`
 * holds the spans' bytes one after the other, `spans` each one's document offset and length.
 * Each span is a line, cut every REGEX_CHUNK_MAX_BYTES from its start as the chunked scan cuts
 * it (a piece but the last ends in no line feed, so it is matched alone); a run of spans
 * ending in a line feed is matched as one text, which for such a regex is the same as matching
 * each line alone (a line feed before a line looks to ^, \b and lookbehind as the text's start
 * does), unless the run is not valid UTF-8: then each line is decoded on its own.
 */
export function spanMatches(bytes: Buffer, lines: Float64Array, regex: RegExp): ChunkMatches {
  const out: ChunkMatches = { starts: [], ends: [] };
  const spans = cutLongLines(lines);
  let runStart = 0;
  let runFirstSpan = 0;
  let byteEnd = 0;
  for (let span = 0; span < spans.length; span += 2) {
    byteEnd += spans[span + 1]!;
    const last = span + 2 >= spans.length;
    if (!last && bytes[byteEnd - 1] === 10) continue;
    matchRun(bytes.subarray(runStart, byteEnd), spans, runFirstSpan, span + 2, regex, out);
    runStart = byteEnd;
    runFirstSpan = span + 2;
  }
  return out;
}

/** Spans with every line longer than REGEX_CHUNK_MAX_BYTES cut into pieces of that size. */
function cutLongLines(lines: Float64Array): Float64Array {
  let long = false;
  for (let i = 1; i < lines.length && !long; i += 2) long = lines[i]! > REGEX_CHUNK_MAX_BYTES;
  if (!long) return lines;
  const spans: number[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    for (let piece = 0; piece < lines[i + 1]!; piece += REGEX_CHUNK_MAX_BYTES) {
      spans.push(lines[i]! + piece, Math.min(REGEX_CHUNK_MAX_BYTES, lines[i + 1]! - piece));
    }
  }
  return Float64Array.from(spans);
}

/** spanMatches over one run of spans [firstSpan, endSpan) whose bytes are `run`. */
function matchRun(
  run: Buffer,
  spans: Float64Array,
  firstSpan: number,
  endSpan: number,
  regex: RegExp,
  out: ChunkMatches,
): void {
  if (!isAscii(run) && !isUtf8(run)) {
    for (let span = firstSpan, at = 0; span < endSpan; at += spans[span + 1]!, span += 2) {
      matchesInChunk(run.subarray(at, at + spans[span + 1]!), spans[span]!, regex, out);
    }
    return;
  }
  // Matches come in order and each lies inside one span: walk the spans beside them.
  let span = firstSpan;
  let spanByteStart = 0;
  eachMatch(run, regex, (start, end) => {
    while (start >= spanByteStart + spans[span + 1]!) {
      spanByteStart += spans[span + 1]!;
      span += 2;
    }
    const shift = spans[span]! - spanByteStart;
    out.starts.push(start + shift);
    out.ends.push(end + shift);
  });
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
  if (task.encoding) {
    unitMatchesInChunk(bytes, base, regex, task, task.encoding, out);
    return out;
  }
  const literal = task.requiredLiteral;
  if (task.replacing) {
    // Whole chunks only: a replacement sees its match's context ($`, $', lookbehind).
    if (!literal || bytes.indexOf(literal) >= 0) replaceMatchesInChunk(bytes, base, regex, task, out);
    return out;
  }
  const skip = (task.startAt ?? base) - base;
  if (!literal) {
    matchesInChunk(bytes, base, regex, out, skip);
    return out;
  }
  const first = bytes.indexOf(literal);
  if (first < 0) return out;
  if (!task.lineLocal) {
    matchesInChunk(bytes, base, regex, out, skip);
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
      matchesInChunk(bytes, base, regex, out, skip);
      return out;
    }
    hit = lineEnd < bytes.length ? bytes.indexOf(literal, lineEnd) : -1;
  }
  for (let i = 0; i < lines.length; i += 2) {
    const lineStart = lines[i]!;
    const lineEnd = lines[i + 1]!;
    if (lineEnd <= skip) continue;
    matchesInChunk(bytes.subarray(lineStart, lineEnd), base + lineStart, regex, out, skip - lineStart);
  }
  return out;
}

/**
 * Matches in a chunk of UTF-16 code units (read from an even document offset): offsets are twice
 * the unit indexes, so exact whatever the units hold (a lone surrogate is one unit of the
 * string); a lone last byte (only ever the document's) is U+FFFD, as getText shows it, ending at
 * the chunk's end. With task.replacing, empty matches too and the
 * template's replacements, as replaceMatchesInChunk makes them.
 */
function unitMatchesInChunk(
  bytes: Buffer,
  base: number,
  regex: RegExp,
  task: RegexTask,
  encoding: "utf-16le" | "utf-16be",
  out: ChunkMatches,
): void {
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 2));
  const units = (encoding === "utf-16le" ? whole : Buffer.from(whole).swap16()).toString("utf16le");
  const text = whole.length < bytes.length ? `${units}\ufffd` : units;
  const at = (index: number) => base + Math.min(2 * index, bytes.length);
  const unicode = regex.unicode || regex.flags.includes("v");
  const template = task.template;
  const replacements: Buffer[] = [];
  const replacementEnds: number[] = [];
  let replacementLength = 0;
  regex.lastIndex = Math.max(0, Math.floor(((task.startAt ?? base) - base) / 2));
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      if (!task.replacing) {
        regex.lastIndex++;
        continue;
      }
      regex.lastIndex = advance(text, regex.lastIndex, unicode);
    }
    out.starts.push(at(match.index));
    out.ends.push(at(match.index + match[0].length));
    if (task.replacing && template !== undefined) {
      const replacement = substitute(template, match, text, encoding);
      replacements.push(replacement);
      replacementLength += replacement.length;
      replacementEnds.push(replacementLength);
    }
  }
  if (task.replacing && template !== undefined) {
    out.replacementBytes = Buffer.concat(replacements, replacementLength);
    out.replacementEnds = replacementEnds;
  }
}
