/**
 * Search over a document version (not over the raw buffers): a match may span pieces.
 *
 * - Literal, case-sensitive patterns run natively: inside each original piece on background
 *   threads in windows (streamed, cancellable between windows), inside added pieces directly,
 *   and across each piece boundary by looking at the bytes around it.
 * - Everything else (RegExp, case-insensitive, whole word) runs as a JS RegExp over text decoded
 *   in chunks that end at a line end, so a match never spans a chunk edge unless it spans lines;
 *   each chunk on a worker thread (regex-pool.ts), so a backtracking pattern blocks no caller.
 *
 * Matches are leftmost-first and non-overlapping, as String.prototype.replaceAll sees them. In
 * a UTF-16 document (snapshot.rule) a string is looked for in UTF-16, literal matches count only
 * at even offsets, and regex chunks are decoded as UTF-16 code units (no literal prefilter).
 */
import { candidateLines } from "./candidate-lines.js";
import {
  AlignmentError,
  countLineFeeds,
  encodeText,
  type LineFeedRule,
  lastIndexOfLineFeed,
  unitBytes,
} from "./line-feed-rule.js";
import { ADDED, forEachPiece, type PieceNode, TreeBuilder } from "./piece-tree.js";
import { REGEX_CHUNK_MAX_BYTES, type RegexTask } from "./regex-chunk.js";
import { pipelined } from "./regex-pipeline.js";
import {
  chunkMatchesOffThread,
  MAX_WORKERS,
  prestartRegexWorker,
  spanMatchesOffThread,
} from "./regex-pool.js";
import { isLineLocal, requiredLiteralOf } from "./regex-source.js";
import { contextAround } from "./replace-context.js";
import { awaitJob, checkAborted, segments } from "./search-walk.js";
import { type DocumentSnapshot, readTree } from "./snapshot.js";

export { requiredLiteralOf } from "./regex-source.js";

/**
 * What to find: text (UTF-8; a regular expression source with `regex`), a RegExp, or bytes — a
 * literal as the document's encoding writes it, found case-sensitively as it is.
 */
export type SearchPattern = string | RegExp | Uint8Array;

export interface FindOptions {
  /** Treat a string pattern as a regular expression source. Default false. */
  regex?: boolean;
  /** Default true. */
  caseSensitive?: boolean;
  /** Only matches with a word boundary on both sides. Default false. */
  wholeWord?: boolean;
  /** Byte range to search; default the whole document. */
  start?: number;
  end?: number;
  /** Stop after this many matches. */
  limit?: number;
  /** Aborts the search (the iterator throws an AbortError). */
  signal?: AbortSignal;
  /** Called as the scan advances (every few MiB, and at the end): bytes of the range scanned. */
  onProgress?: (progress: ScanProgress) => void;
}

export interface ScanProgress {
  bytesDone: number;
  bytesTotal: number;
  /** Matches found so far. */
  matches: number;
}

/** Scan progress is reported when the scan has moved on at least this many bytes. */
const PROGRESS_STEP_BYTES = 4 * 1024 * 1024;

/** Turns scan positions into throttled onProgress calls. */
function progressReporter(
  options: FindOptions,
  start: number,
  end: number,
  matches: () => number,
): (position: number) => void {
  const onProgress = options.onProgress;
  if (!onProgress) return () => {};
  let reported = start;
  return (position) => {
    if (position - reported < PROGRESS_STEP_BYTES && position < end) return;
    reported = position;
    onProgress({ bytesDone: Math.min(position, end) - start, bytesTotal: end - start, matches: matches() });
  };
}

/** A match as a byte range [start, end). */
export interface Match {
  start: number;
  end: number;
}

/** Bytes the native literal search covers per call: a cancellation point every window. */
const LITERAL_WINDOW_BYTES = 64 * 1024 * 1024;
/** Matches handed over at once from added pieces (original pieces hand over a window's worth). */
const BATCH_MATCHES = 4096;
/** Bytes of text a RegExp sees at once (extended to the next line end). */
const REGEX_CHUNK_BYTES = 4 * 1024 * 1024;

interface Searcher {
  /** The literal bytes, for the native path; null for the RegExp path. */
  literal: Buffer | null;
  regex: RegExp | null;
  /** Bytes every match of the regex contains (a prefilter), or null. */
  requiredLiteral: Buffer | null;
  /** True when no match of the regex can span a line end. */
  lineLocal: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compile(pattern: SearchPattern, options: FindOptions, rule: LineFeedRule): Searcher {
  const caseSensitive = options.caseSensitive ?? true;
  if (pattern instanceof Uint8Array) {
    // Bytes: the literal as the document's encoding writes it (the host encodes it).
    if (pattern.length === 0) throw new RangeError("Cannot search for an empty pattern");
    return { literal: Buffer.from(pattern), regex: null, requiredLiteral: null, lineLocal: true };
  }
  if (typeof pattern === "string" && !options.regex && caseSensitive && !options.wholeWord) {
    if (pattern.length === 0) throw new RangeError("Cannot search for an empty pattern");
    return { literal: encodeText(pattern, rule), regex: null, requiredLiteral: null, lineLocal: true };
  }
  let source =
    typeof pattern === "string" ? (options.regex ? pattern : escapeRegExp(pattern)) : pattern.source;
  if (source.length === 0) throw new RangeError("Cannot search for an empty pattern");
  if (options.wholeWord) source = `\\b(?:${source})\\b`;
  let flags = typeof pattern === "string" ? "u" : pattern.flags.replace(/[gy]/g, "");
  if (!caseSensitive && !flags.includes("i")) flags += "i";
  // ^ and $ mean line start and end, as in every editor.
  if (!flags.includes("m")) flags += "m";
  let regex: RegExp;
  try {
    regex = new RegExp(source, `${flags}g`);
  } catch (error) {
    throw new SyntaxError(`Invalid regular expression /${source}/: ${(error as Error).message}`);
  }
  // The prefilter looks for UTF-8 bytes and ends lines at LF bytes: not for UTF-16 text.
  const required = rule === "byte" ? requiredLiteralOf(source, flags) : null;
  return {
    literal: null,
    regex,
    requiredLiteral:
      required && required.length >= MIN_PREFILTER_BYTES ? Buffer.from(required, "utf8") : null,
    lineLocal: isLineLocal(source, flags),
  };
}

/** Shorter required literals are too common to be worth a prefilter. */
const MIN_PREFILTER_BYTES = 3;

function searchRange(snapshot: DocumentSnapshot, options: FindOptions): [number, number] {
  let start = options.start ?? 0;
  const end = options.end ?? snapshot.length;
  // UTF-16: a match starts on a code unit.
  if (snapshot.rule !== "byte" && start % 2 !== 0 && start < end) start++;
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end > snapshot.length ||
    start > end
  ) {
    throw new RangeError(`Invalid range ${start}..${end} in document of length ${snapshot.length}`);
  }
  return [start, end];
}

/**
 * Streams the matches of pattern in a document version. A bad pattern or range throws here,
 * before iteration starts.
 */
export function findMatches(
  snapshot: DocumentSnapshot,
  pattern: SearchPattern,
  options: FindOptions = {},
): AsyncGenerator<Match> {
  const searcher = compile(pattern, options, snapshot.rule);
  const [start, end] = searchRange(snapshot, options);
  return streamMatches(snapshot, searcher, start, end, options);
}

/** Number of matches of pattern (what `find` would yield), without handing over each one. */
export async function countMatches(
  snapshot: DocumentSnapshot,
  pattern: SearchPattern,
  options: FindOptions = {},
): Promise<number> {
  const searcher = compile(pattern, options, snapshot.rule);
  const [start, end] = searchRange(snapshot, options);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let count = 0;
  const report = progressReporter(options, start, end, () => count);
  const scanned = scan(
    snapshot,
    searcher,
    start,
    end,
    options.signal,
    report,
    limit === Number.POSITIVE_INFINITY,
  );
  for await (const batch of scanned) {
    count += batchSize(batch);
    if (count >= limit) return limit;
  }
  report(end);
  return count;
}

/**
 * The matches in batches. `whole`: the caller means to take every match (no limit), so regex
 * chunks may run several at once; with a limit one runs at a time, so stopping wastes no work.
 */
function scan(
  snapshot: DocumentSnapshot,
  searcher: Searcher,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  report: (position: number) => void,
  whole: boolean,
): AsyncGenerator<MatchBatch> {
  return searcher.literal
    ? literalMatches(snapshot, searcher.literal, start, end, signal, report)
    : regexMatches(snapshot, searcher, start, end, signal, report, whole);
}

async function* streamMatches(
  snapshot: DocumentSnapshot,
  searcher: Searcher,
  start: number,
  end: number,
  options: FindOptions,
): AsyncGenerator<Match> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let found = 0;
  const report = progressReporter(options, start, end, () => found);
  const batches = scan(
    snapshot,
    searcher,
    start,
    end,
    options.signal,
    report,
    limit === Number.POSITIVE_INFINITY,
  );
  // The scanners hand over matches in batches: one await per batch, not per match.
  for await (const batch of batches) {
    for (const match of batchMatches(batch)) {
      if (found >= limit) return;
      checkAborted(options.signal);
      found++;
      yield match;
    }
  }
  report(end);
}

/**
 * Matches handed over at once: Match objects, or — for literal matches, which can number millions
 * — their starts (plus an offset) and one width, so counting them makes no object per match.
 */
type MatchBatch =
  | Match[]
  | { starts: Float64Array | number[]; ends?: Float64Array | number[]; offset: number; width: number };

function batchSize(batch: MatchBatch): number {
  return Array.isArray(batch) ? batch.length : batch.starts.length;
}

function* batchMatches(batch: MatchBatch): Generator<Match> {
  if (Array.isArray(batch)) {
    yield* batch;
    return;
  }
  const { starts, ends, offset, width } = batch;
  for (let i = 0; i < starts.length; i++) {
    yield { start: starts[i]! + offset, end: (ends ? ends[i]! : starts[i]! + width) + offset };
  }
}

async function* literalMatches(
  snapshot: DocumentSnapshot,
  needle: Buffer,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  report: (position: number) => void,
): AsyncGenerator<MatchBatch> {
  const length = needle.length;
  const overlap = length - 1;
  const rule = snapshot.rule;
  const unit = unitBytes(rule);
  // End of the last match yielded: matches are non-overlapping, leftmost first.
  let lastEnd = start;
  // Matches found one by one (across piece borders, in added pieces), in document offsets.
  let pending: number[] = [];
  const flush = (): MatchBatch => {
    const batch = { starts: pending, offset: 0, width: length };
    pending = [];
    return batch;
  };
  for (const segment of segments(snapshot.root, start, end)) {
    checkAborted(signal);
    const { buffer, bufferStart, bufferEnd, documentStart } = segment;
    // 1. Matches that begin before this segment and end inside or after it. They start after
    //    every match inside the previous segments, and before every match inside this one.
    if (overlap > 0 && documentStart > start) {
      const from = Math.max(start, documentStart - overlap, lastEnd);
      const to = Math.min(end, documentStart + overlap);
      if (to - from >= length) {
        const around = readTree(snapshot.root, from, to, snapshot.original, snapshot.add);
        for (
          let at = around.indexOf(needle);
          at >= 0 && from + at < documentStart;
          at = around.indexOf(needle, at + 1)
        ) {
          if (from + at >= lastEnd && (from + at) % unit === 0) {
            lastEnd = from + at + length;
            pending.push(from + at);
          }
        }
      }
    }
    // 2. Matches inside the segment, from where the last match ended.
    const skip = Math.max(0, lastEnd - documentStart);
    const scanFrom = bufferStart + skip;
    if (bufferEnd - scanFrom < length) continue;
    const toDocument = documentStart - bufferStart;
    if (buffer === ADDED) {
      for (const at of snapshot.add!.findAll(needle, scanFrom, bufferEnd, undefined, rule)) {
        lastEnd = toDocument + at + length;
        pending.push(toDocument + at);
      }
      if (pending.length >= BATCH_MATCHES) yield flush();
      report(documentStart + (bufferEnd - bufferStart));
      continue;
    }
    const original = snapshot.original;
    let windowStart = scanFrom;
    while (windowStart < bufferEnd) {
      checkAborted(signal);
      const windowEnd = Math.min(bufferEnd, windowStart + LITERAL_WINDOW_BYTES);
      // A match starting in this window may run up to `overlap` bytes past it.
      const job = original.startFind(
        needle,
        windowStart,
        Math.min(bufferEnd, windowEnd + overlap),
        undefined,
        rule,
      );
      const hits = await awaitJob(job, signal);
      checkAborted(signal);
      // Hits are sorted: those starting in this window are a prefix.
      let taken = hits.length;
      while (taken > 0 && hits[taken - 1]! >= windowEnd) taken--;
      let nextWindow = windowEnd;
      if (taken > 0) {
        const last = hits[taken - 1]!;
        lastEnd = toDocument + last + length;
        nextWindow = Math.max(nextWindow, last + length);
        if (pending.length > 0) yield flush();
        yield { starts: hits.subarray(0, taken), offset: toDocument, width: length };
      }
      windowStart = nextWindow;
      report(toDocument + windowStart);
    }
  }
  if (pending.length > 0) yield flush();
}

/** The next chunk of [position, end): about REGEX_CHUNK_BYTES, ending at a line end. */
function nextChunk(
  snapshot: DocumentSnapshot,
  position: number,
  end: number,
): { bytes: Buffer; chunkEnd: number } {
  const rule = snapshot.rule;
  let chunkEnd = Math.min(end, position + REGEX_CHUNK_BYTES);
  let bytes = readTree(snapshot.root, position, chunkEnd, snapshot.original, snapshot.add);
  if (chunkEnd < end) {
    // End the chunk at a line end (after a LF byte, or a LF unit) so no single-line match is cut.
    let lineEnd = lastIndexOfLineFeed(bytes, rule);
    while (lineEnd < 0 && chunkEnd < end && chunkEnd - position < REGEX_CHUNK_MAX_BYTES) {
      chunkEnd = Math.min(end, position + Math.min(REGEX_CHUNK_MAX_BYTES, (chunkEnd - position) * 2));
      bytes = readTree(snapshot.root, position, chunkEnd, snapshot.original, snapshot.add);
      lineEnd = lastIndexOfLineFeed(bytes, rule);
    }
    if (lineEnd >= 0 && chunkEnd < end) {
      bytes = bytes.subarray(0, lineEnd + unitBytes(rule));
      chunkEnd = position + lineEnd + unitBytes(rule);
    }
  }
  return { bytes, chunkEnd };
}

async function* regexMatches(
  snapshot: DocumentSnapshot,
  searcher: Searcher,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  report: (position: number) => void,
  whole: boolean,
): AsyncGenerator<MatchBatch> {
  const regex = searcher.regex!;
  const task: RegexTask = {
    source: regex.source,
    flags: regex.flags,
    requiredLiteral: searcher.requiredLiteral,
    lineLocal: searcher.lineLocal,
    ...(snapshot.rule === "byte" ? {} : { encoding: snapshot.rule }),
  };
  // A range is matched in its lines' context (as Replace matches it, replace-context.ts): the
  // regex runs from `start` as a global RegExp's lastIndex would (task.startAt) over text that
  // begins at its line, so lookbehind, \b and ^ see what is before it, and lookahead and $ what
  // is after its end; only matches ending by `end` are given (inRange).
  const wholeDocument = start === 0 && end === snapshot.length;
  const { from, to } = wholeDocument
    ? { from: start, to: end }
    : contextAround(snapshot, start, end, unitBytes(snapshot.rule));
  // Progress is told within the range, whatever of its context is being read.
  const reportInRange = (position: number) => report(Math.min(end, Math.max(start, position)));
  // The prefilter matches whole lines: used when the range starts at one (its lines seen whole).
  const atLineStart =
    start === 0 || readTree(snapshot.root, start - 1, start, snapshot.original, snapshot.add)[0] === 0x0a;
  const batches =
    searcher.requiredLiteral && searcher.lineLocal && atLineStart
      ? candidateLineMatches(
          snapshot,
          searcher.requiredLiteral,
          task,
          start,
          to,
          signal,
          reportInRange,
          whole,
        )
      : chunkMatches(
          snapshot,
          from < start ? { ...task, startAt: start } : task,
          from,
          to,
          signal,
          reportInRange,
          whole,
        );
  if (wholeDocument) {
    yield* batches;
    return;
  }
  for await (const batch of batches) {
    const kept = inRange(batch, start, end, snapshot.length);
    if (kept.starts.length > 0) yield { starts: kept.starts, ends: kept.ends, offset: 0, width: 0 };
    if (kept.past) return;
  }
}

/**
 * The matches of a batch (starts and ends, document offsets) that lie in [start, end), as Replace
 * takes them (replaceAllMatches): none starting before `start`, none reaching past `end`, and an
 * empty match at `end` only when the range is empty or ends the text; `past` once one lay beyond
 * (every later one does too).
 */
function inRange(
  batch: MatchBatch,
  start: number,
  end: number,
  length: number,
): { starts: number[]; ends: number[]; past: boolean } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const { start: matchStart, end: matchEnd } of batchMatches(batch)) {
    if (matchStart < start) continue;
    if (matchEnd > end || (matchStart === end && start < end && end < length)) {
      return { starts, ends, past: true };
    }
    starts.push(matchStart);
    ends.push(matchEnd);
  }
  return { starts, ends, past: false };
}

/** The chunked scan of [start, end) (regexMatches without a prefilter). */
async function* chunkMatches(
  snapshot: DocumentSnapshot,
  task: RegexTask,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  report: (position: number) => void,
  whole: boolean,
): AsyncGenerator<MatchBatch> {
  // Chunks are read here while earlier ones run on the workers (each on a worker thread: a pattern
  // that backtracks for ever must not stop this one), several at once when every match is wanted;
  // in order, so the matches are those of one chunk after the other.
  async function* chunks(): AsyncGenerator<{ bytes: Buffer; position: number; chunkEnd: number }> {
    for (let position = start; position < end; ) {
      checkAborted(signal);
      const { bytes, chunkEnd } = nextChunk(snapshot, position, end);
      yield { bytes, position, chunkEnd };
      position = chunkEnd;
    }
  }
  const matched = pipelined(
    chunks(),
    async ({ bytes, position, chunkEnd }, running) => ({
      found: await chunkMatchesOffThread(bytes, position, task, running),
      chunkEnd,
    }),
    whole ? { ahead: MAX_WORKERS + 1, running: MAX_WORKERS } : { ahead: 2, running: 1 },
    signal,
  );
  for await (const { found, chunkEnd } of matched) {
    if (found.starts.length > 0) yield { starts: found.starts, ends: found.ends, offset: 0, width: 0 };
    report(chunkEnd);
  }
}

/**
 * Regex tasks on workers at once while the native scan (on every core) finds the next windows'
 * candidates: one worker fewer than the pool has, so the scan keeps a core. On 2 cores that is a
 * single worker, which in a fresh process also saves starting a second one (~40 ms of CPU).
 */
const TASKS_IN_FLIGHT = Math.max(1, MAX_WORKERS - 1);
/** Windows scanned whose lines wait for (or are on) a worker, at most: the scan's lead. */
const WINDOWS_AHEAD = TASKS_IN_FLIGHT + 3;

/**
 * A regex that cannot cross a line, with a literal every match contains: the native scan finds
 * the lines holding the literal (on all cores), and the regex runs only over them, a window's
 * lines at a time, on worker threads while the scan goes on (up to WINDOWS_AHEAD windows ahead;
 * a worker is started as the scan starts, so its start-up overlaps the first windows). The
 * matches are those of the chunked scan (regexMatches): a line is matched alone, and one longer
 * than REGEX_CHUNK_MAX_BYTES is cut where a chunk would be (spanMatches).
 */
async function* candidateLineMatches(
  snapshot: DocumentSnapshot,
  literal: Buffer,
  task: RegexTask,
  start: number,
  end: number,
  signal: AbortSignal | undefined,
  report: (position: number) => void,
  whole: boolean,
): AsyncGenerator<MatchBatch> {
  prestartRegexWorker();
  const windows = candidateLines(snapshot, literal, start, end, LITERAL_WINDOW_BYTES, signal);
  const matched = pipelined(
    windows,
    async ({ spans, bytes, settled }, running) => ({
      found: spans.length > 0 ? await spanMatchesOffThread(bytes, spans, task, running) : null,
      settled,
    }),
    { ahead: WINDOWS_AHEAD, running: whole ? TASKS_IN_FLIGHT : 1 },
    signal,
  );
  for await (const { found, settled } of matched) {
    if (found && found.starts.length > 0)
      yield { starts: found.starts, ends: found.ends, offset: 0, width: 0 };
    report(settled);
  }
}

/**
 * Builds the version with every match replaced, streaming: kept ranges become pieces of the new
 * tree, replacements are appended once (or once per distinct text for a RegExp with $-groups).
 * Memory follows the number of pieces of the result, never the file size.
 */
export async function replaceAllMatches(
  snapshot: DocumentSnapshot,
  pattern: SearchPattern,
  replacement: string | Uint8Array,
  options: FindOptions,
  append: (bytes: Uint8Array) => number,
): Promise<{ count: number; root: PieceNode }> {
  const rule = snapshot.rule;
  const searcher = compile(pattern, options, rule);
  const builder = new TreeBuilder();
  const source = snapshot.lineFeedSource;
  const keep = (from: number, to: number) => {
    forEachPiece(snapshot.root, from, to, (buffer, bufferStart, bufferEnd) => {
      builder.push(
        buffer,
        bufferStart,
        bufferEnd - bufferStart,
        source.tryCount(buffer, bufferStart, bufferEnd),
      );
      return true;
    });
  };
  // The replacement as last appended: reused while the bytes stay the same (always, for a
  // plain replacement), so a million replacements cost one append.
  let last: Buffer = Buffer.alloc(0);
  let lineFeeds = 0;
  let appendedAt = -1;
  const plain = typeof replacement === "string" ? encodeText(replacement, rule) : Buffer.from(replacement);
  if (plain.length % unitBytes(rule) !== 0) {
    throw new AlignmentError(
      `a ${plain.length}-byte replacement is not whole UTF-16 code units (an even length)`,
    );
  }
  let kept = 0;
  let count = 0;
  const replaceWith = (start: number, end: number, bytes: Buffer): void => {
    keep(kept, start);
    if (count === 0 || !bytes.equals(last)) {
      last = bytes;
      lineFeeds = countLineFeeds(bytes, rule);
      appendedAt = bytes.length > 0 ? append(bytes) : -1;
    }
    if (bytes.length > 0) builder.push(ADDED, appendedAt, bytes.length, lineFeeds);
    kept = end;
    count++;
  };
  if (!searcher.regex) {
    for await (const match of findMatches(snapshot, pattern, options))
      replaceWith(match.start, match.end, plain);
    keep(kept, snapshot.length);
    return { count, root: builder.finish() };
  }
  // A RegExp: matches as String.prototype.replace finds them (empty ones too), each replacement
  // computed on the worker where its match stands in the chunk, so $`, $', lookbehind, \b, ^
  // and $ see the text around it.
  const isRegex = typeof pattern !== "string" || options.regex === true;
  const regex = searcher.regex;
  const task: RegexTask = {
    source: regex.source,
    flags: regex.flags,
    requiredLiteral: searcher.requiredLiteral,
    lineLocal: searcher.lineLocal,
    replacing: true,
    ...(rule === "byte" ? {} : { encoding: rule }),
    ...(isRegex && typeof replacement === "string" && replacement.includes("$")
      ? { template: replacement }
      : {}),
  };
  const [start, end] = searchRange(snapshot, options);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const report = progressReporter(options, start, end, () => count);
  // A range (Replace on one match) is matched in its lines' context, so lookbehind, lookahead,
  // \b, ^ and $ see the text around it; only matches inside [start, end) are replaced.
  const around = contextAround(snapshot, start, end, unitBytes(rule));
  // The regex runs from `start` as findNext runs it (regexMatches), the text before it in view.
  if (around.from < start) task.startAt = start;
  let position = around.from;
  // An empty document is one empty chunk (an empty match there is replaced, as in a string).
  let first = snapshot.length === 0;
  scanning: while (position < around.to || first) {
    first = false;
    checkAborted(options.signal);
    const { bytes, chunkEnd } = nextChunk(snapshot, position, around.to);
    const found = await chunkMatchesOffThread(bytes, position, task, options.signal);
    let replacementStart = 0;
    for (let i = 0; i < found.starts.length; i++) {
      const matchStart = found.starts[i]!;
      const matchEnd = found.ends[i]!;
      const replacementEnd = found.replacementEnds?.[i] ?? 0;
      const bytesOf = found.replacementBytes
        ? Buffer.from(found.replacementBytes.subarray(replacementStart, replacementEnd))
        : plain;
      replacementStart = replacementEnd;
      // An empty match where a chunk was cut is the next chunk's to find (at its start).
      if (matchStart === matchEnd && matchStart === chunkEnd && chunkEnd < around.to) continue;
      // Outside the range: before it (or across its start), or past its end (and so all after).
      // An empty match at its end is the next range's, unless the range is empty or ends the text.
      if (matchStart < start) continue;
      if (matchEnd > end || (matchStart === end && start < end && end < snapshot.length)) break scanning;
      if (count >= limit) break scanning;
      replaceWith(matchStart, matchEnd, bytesOf);
    }
    position = chunkEnd;
    report(Math.min(end, Math.max(start, position)));
  }
  checkAborted(options.signal);
  keep(kept, snapshot.length);
  return { count, root: builder.finish() };
}
