/**
 * Where characters begin in the multi-byte legacy sets (Shift_JIS, EUC-JP, GB18030, GBK, Big5,
 * EUC-KR), found from the bytes around an offset. In these sets a byte offset may fall inside a
 * character, and the second byte of a character may even be an ASCII letter (Shift_JIS ソ is
 * 83 5C, a backslash): a window segment cut there shows the rest of the line shifted, and a match
 * found in bytes there is half of one character and half of the next.
 *
 * The characters are the sequences `sequenceEnd` reads from a known start — the same walk the
 * codec decodes by (text-codec.ts), so a boundary here is a boundary of the text shown. A start is
 * known where the cut between two bytes is **certain**: the byte before it can only end a
 * character (it is no lead, no middle byte), or the byte after it can only begin one (it is no
 * second, third or fourth byte) — in every set an ASCII byte below 0x30 (a line feed, a space)
 * is such a byte. From the nearest certain cut before an offset the walk goes forward to it.
 *
 * Cost is bounded: the look back stops WALK_BACK_BYTES before the offset. A line with no certain
 * cut over that many bytes (64 KiB of Chinese characters both of whose bytes are in 0xA1..0xFE,
 * with no ASCII at all — GBK prose in one 32 000-character paragraph) is walked from there as if
 * a character began there, which may be off by one byte. Offsets asked in increasing order (the
 * matches of a search) walk on from the last boundary found, so a search costs a walk over the
 * bytes between its matches, not a look back per match.
 */
import type { Document, FindOptions, Match, ScanProgress, SearchPattern } from "../piece-table/index.js";
import { HostError } from "./host-error.js";

/** The sets whose characters a byte offset can fall inside (besides UTF-8, which resyncs by itself). */
const MULTI_BYTE = new Set(["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"]);

/** Farthest a boundary question looks back for a certain cut. */
export const WALK_BACK_BYTES = 64 * 1024;
/** Farthest an in-order question walks on from the last boundary found instead of looking back. */
const WALK_ON_BYTES = 1024 * 1024;
/** Bytes read at once around a question. */
const READ_BYTES = 64 * 1024;
/** Of them, the least read before the question (so the look back finds them in the block). */
const READ_BEHIND_BYTES = 4096;

/** Whether text in `encoding` has characters a byte offset can fall inside. */
export function isMultiByteLegacy(encoding: string | undefined | null): boolean {
  return encoding !== undefined && encoding !== null && MULTI_BYTE.has(encoding);
}

const within = (value: number | undefined, low: number, high: number) =>
  value !== undefined && value >= low && value <= high;

/**
 * Where the character starting at bytes[i] ends, by the shape of the encoding's sequences, or i + 1
 * when no valid sequence starts there (then that one byte is escaped and the next is tried anew,
 * as the WHATWG decoders do). A sequence cut by the end of `bytes` counts as none.
 */
export function sequenceEnd(encoding: string, bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return i + 1;
  const at = (k: number) => bytes[i + k];
  switch (encoding) {
    case "shift_jis": {
      if (lead === 0x80 || within(lead, 0xa1, 0xdf)) return i + 1;
      const trail = at(1);
      const leadOk = within(lead, 0x81, 0x9f) || within(lead, 0xe0, 0xfc);
      return leadOk && (within(trail, 0x40, 0x7e) || within(trail, 0x80, 0xfc)) ? i + 2 : i + 1;
    }
    case "euc-jp": {
      if (lead === 0x8e) return within(at(1), 0xa1, 0xdf) ? i + 2 : i + 1;
      if (lead === 0x8f) return within(at(1), 0xa1, 0xfe) && within(at(2), 0xa1, 0xfe) ? i + 3 : i + 1;
      return within(lead, 0xa1, 0xfe) && within(at(1), 0xa1, 0xfe) ? i + 2 : i + 1;
    }
    case "euc-kr":
      return within(lead, 0x81, 0xfe) && within(at(1), 0x41, 0xfe) ? i + 2 : i + 1;
    case "big5":
      return within(lead, 0x81, 0xfe) && (within(at(1), 0x40, 0x7e) || within(at(1), 0xa1, 0xfe))
        ? i + 2
        : i + 1;
    default: {
      // gb18030 / gbk (the WHATWG GBK decoder is GB18030's)
      if (lead === 0x80 || lead === 0xff) return i + 1;
      const second = at(1);
      if (within(second, 0x30, 0x39)) {
        return within(at(2), 0x81, 0xfe) && within(at(3), 0x30, 0x39) ? i + 4 : i + 1;
      }
      return within(second, 0x40, 0x7e) || within(second, 0x80, 0xfe) ? i + 2 : i + 1;
    }
  }
}

/** Per byte value: may it be a non-last byte (lead, middle) / a non-first byte of a sequence? */
interface ByteRoles {
  notLast: Uint8Array;
  notFirst: Uint8Array;
}

const rolesCache = new Map<string, ByteRoles>();

/** The roles each byte may play in `encoding`'s multi-byte sequences (as sequenceEnd reads them). */
function rolesOf(encoding: string): ByteRoles {
  const cached = rolesCache.get(encoding);
  if (cached) return cached;
  const notLast = new Uint8Array(256);
  const notFirst = new Uint8Array(256);
  const mark = (table: Uint8Array, low: number, high: number) => table.fill(1, low, high + 1);
  switch (encoding) {
    case "shift_jis":
      mark(notLast, 0x81, 0x9f);
      mark(notLast, 0xe0, 0xfc);
      mark(notFirst, 0x40, 0x7e);
      mark(notFirst, 0x80, 0xfc);
      break;
    case "euc-jp":
      mark(notLast, 0x8e, 0x8f);
      mark(notLast, 0xa1, 0xfe);
      mark(notFirst, 0xa1, 0xfe);
      break;
    case "euc-kr":
      mark(notLast, 0x81, 0xfe);
      mark(notFirst, 0x41, 0xfe);
      break;
    case "big5":
      mark(notLast, 0x81, 0xfe);
      mark(notFirst, 0x40, 0x7e);
      mark(notFirst, 0xa1, 0xfe);
      break;
    default:
      // gb18030 / gbk: a lead, or a four-byte sequence's second (a digit) or third byte.
      mark(notLast, 0x81, 0xfe);
      mark(notLast, 0x30, 0x39);
      mark(notFirst, 0x30, 0x39);
      mark(notFirst, 0x40, 0x7e);
      mark(notFirst, 0x80, 0xfe);
  }
  const roles = { notLast, notFirst };
  rolesCache.set(encoding, roles);
  return roles;
}

/** What the boundary questions read: a document, or anything with bytes by offset. */
export interface ByteReader {
  readonly length: number;
  read(start: number, end: number): Uint8Array;
}

/**
 * Character boundaries of one version of a text in a multi-byte set (see the module comment).
 * Keep one per search or window: it remembers the last boundary it found and the bytes it read.
 */
export class CharacterBoundaries {
  private readonly roles: ByteRoles;
  private block: Uint8Array = new Uint8Array(0);
  private blockStart = 0;
  /** A boundary found from a certain cut (so walking on from it is exact), or -1. */
  private known = -1;

  constructor(
    readonly encoding: string,
    private readonly source: ByteReader,
    /**
     * Walk on from the last boundary found (in-order questions: a search). Off, each answer
     * depends on the bytes alone, even on a line with no certain cut (window segments need that).
     */
    private readonly remember = true,
  ) {
    this.roles = rolesOf(encoding);
  }

  /** Whether the cut between the bytes before and at `offset` is a boundary whatever came before. */
  private certainCut(before: number, at: number): boolean {
    return this.roles.notLast[before] === 0 || this.roles.notFirst[at] === 0;
  }

  /** Makes [start, end) of the text readable from `this.block`. */
  private load(start: number, end: number): void {
    start = Math.max(0, start);
    end = Math.min(this.source.length, end);
    if (start >= this.blockStart && end <= this.blockStart + this.block.length) return;
    // Mostly ahead: questions come in increasing order (a search's matches, a window's segments).
    const from = Math.max(0, Math.min(start, end - READ_BEHIND_BYTES));
    const to = Math.min(this.source.length, Math.max(end, from + READ_BYTES));
    this.block = this.source.read(from, to);
    this.blockStart = from;
  }

  /** Whether a character begins at `offset` (0 and the text's end are boundaries). */
  isBoundary(offset: number): boolean {
    return this.atOrAfter(offset) === offset;
  }

  /** The first character boundary at or after `offset`. */
  atOrAfter(offset: number): number {
    const length = this.source.length;
    if (offset <= 0) return 0;
    if (offset >= length) return length;
    // Look back for a certain cut, no further than the bound or the last boundary found.
    const useKnown = this.known >= 0 && this.known <= offset && offset - this.known <= WALK_ON_BYTES;
    const floor = useKnown ? this.known : Math.max(0, offset - WALK_BACK_BYTES);
    this.load(floor - 1, offset + 4);
    const bytes = this.block;
    const base = this.blockStart;
    let start = -1;
    for (let at = offset; at > floor; at--) {
      if (this.certainCut(bytes[at - 1 - base]!, bytes[at - base]!)) {
        start = at;
        break;
      }
    }
    // Reaching the floor: a known boundary, the text's start, or (past the bound) an assumed one.
    const exact = start >= 0 || floor === 0 || useKnown;
    if (start < 0) start = floor;
    let at = start;
    // sequenceEnd reads up to 3 bytes ahead: the block reaches 4 past `offset` (or the end).
    while (at < offset) at = base + sequenceEnd(this.encoding, bytes, at - base);
    if (exact && this.remember) this.known = at;
    return at;
  }
}

// ----- matches held to character boundaries ----------------------------------------------------

type FindSource = Pick<Document, "find" | "read" | "length">;

/** Whether a literal has a proper prefix that is also its suffix (so matches of it can overlap). */
function canOverlap(pattern: Uint8Array): boolean {
  for (let shift = 1; shift < pattern.length; shift++) {
    let same = true;
    for (let k = 0; same && k + shift < pattern.length; k++) same = pattern[k] === pattern[k + shift];
    if (same) return true;
  }
  return false;
}

/**
 * The matches of `doc.find(pattern, options)` that start and end on character boundaries, in a
 * text read in `encoding`. In any other encoding it is doc.find itself. A match the engine gave
 * that cuts a character is left out, and when a whole-character match could hide inside it (a
 * regex, or a literal whose matches can overlap) the search goes on from the next boundary.
 * `limit` counts the matches kept; `onProgress` reports them too.
 */
export function wholeCharacterMatches(
  doc: FindSource,
  pattern: SearchPattern,
  options: FindOptions,
  encoding: string | undefined,
): AsyncIterable<Match> {
  if (!isMultiByteLegacy(encoding)) return doc.find(pattern, options);
  return filteredMatches(doc, pattern, options, encoding!);
}

async function* filteredMatches(
  doc: FindSource,
  pattern: SearchPattern,
  options: FindOptions,
  encoding: string,
): AsyncGenerator<Match> {
  const boundaries = new CharacterBoundaries(encoding, doc);
  const { limit = Number.POSITIVE_INFINITY, onProgress, ...rest } = options;
  if (limit <= 0) return;
  const first = Math.min(options.start ?? 0, doc.length);
  const overlapping = !(pattern instanceof Uint8Array) || canOverlap(pattern);
  let kept = 0;
  let from = first;
  for (;;) {
    const offset = from - first;
    const progress = onProgress
      ? (p: ScanProgress) =>
          onProgress({
            bytesDone: p.bytesDone + offset,
            bytesTotal: p.bytesTotal + offset,
            matches: kept,
          })
      : undefined;
    let restartAt = -1;
    for await (const match of doc.find(pattern, {
      ...rest,
      start: from,
      ...(progress ? { onProgress: progress } : {}),
    })) {
      if (boundaries.isBoundary(match.start) && boundaries.isBoundary(match.end)) {
        kept++;
        yield match;
        if (kept >= limit) return;
        continue;
      }
      const next = boundaries.atOrAfter(match.start + 1);
      if (overlapping && next < match.end) {
        restartAt = next;
        break;
      }
    }
    if (restartAt < 0) return;
    from = restartAt;
  }
}

/** How many matches wholeCharacterMatches gives (doc.countMatches where characters cannot be cut). */
export async function countWholeCharacterMatches(
  doc: FindSource & Pick<Document, "countMatches">,
  pattern: SearchPattern,
  options: FindOptions,
  encoding: string | undefined,
): Promise<number> {
  if (!isMultiByteLegacy(encoding)) return doc.countMatches(pattern, options);
  let count = 0;
  for await (const _match of filteredMatches(doc, pattern, options, encoding!)) count++;
  return count;
}

/**
 * doc.replaceAll, replacing only whole-character matches in a text read in `encoding`. When no
 * match in the range cuts a character (a first scan stops at the first that does), the engine
 * replaces as usual; otherwise the kept matches are replaced here, as one edit of the document
 * (one undo step) — except with a regex replacement that copies groups (`$1`, `$&`), which only
 * the engine writes: that is refused (EENCODING), and nothing changes.
 */
export async function replaceWholeCharacterMatches(
  doc: FindSource & Pick<Document, "replaceAll" | "applyEdits">,
  pattern: SearchPattern,
  replacement: string | Uint8Array,
  options: FindOptions,
  encoding: string | undefined,
): Promise<number> {
  if (!isMultiByteLegacy(encoding)) return doc.replaceAll(pattern, replacement, options);
  const { onProgress, ...quiet } = options;
  const boundaries = new CharacterBoundaries(encoding!, doc);
  let cut: Match | null = null;
  for await (const match of doc.find(pattern, quiet)) {
    if (!boundaries.isBoundary(match.start) || !boundaries.isBoundary(match.end)) {
      cut = match;
      break;
    }
  }
  if (cut === null) return doc.replaceAll(pattern, replacement, options);
  const regex = pattern instanceof RegExp || (typeof pattern === "string" && options.regex === true);
  if (regex && typeof replacement === "string" && replacement.includes("$")) {
    throw new HostError(
      "EENCODING",
      `a match at byte ${cut.start} starts or ends inside a ${encoding} character; a regular ` +
        "expression replacement that copies the match ($1, $&) cannot skip such matches here — " +
        "replace without $ references, or narrow the pattern",
    );
  }
  const edits: Array<{ start: number; end: number; text: string | Uint8Array }> = [];
  for await (const match of filteredMatches(doc, pattern, options, encoding!)) {
    edits.push({ start: match.start, end: match.end, text: replacement });
  }
  options.signal?.throwIfAborted();
  doc.applyEdits(edits);
  return edits.length;
}
