/**
 * "Find next" and "find previous" from a position, wrapping around the document's end, as an
 * editor's find panel needs them. Forward is one streamed search that stops at the first match;
 * backward searches growing ranges before the position (1 MiB, then 4×) and keeps the last match,
 * so a match just above the cursor costs a small scan, not a scan of everything before it.
 */
import type { Document, FindOptions, Match, SearchPattern } from "../piece-table/index.js";
import { wholeCharacterMatches } from "./character-boundary.js";

export interface FindNextResult {
  match: Match | null;
  /** The search went past the end (or the start) and continued from the other side. */
  wrapped: boolean;
}

/** First backward range, and how much each next one grows. */
const BACKWARD_FIRST_SPAN = 1024 * 1024;
const BACKWARD_GROWTH = 4;

async function firstMatch(
  doc: Document,
  pattern: SearchPattern,
  options: FindOptions,
  start: number,
  end: number,
  encoding: string | undefined,
): Promise<Match | null> {
  if (end <= start) return null;
  const found = wholeCharacterMatches(doc, pattern, { ...options, start, end, limit: 1 }, encoding);
  for await (const match of found) return match;
  return null;
}

/** The last match lying wholly in [floor, ceiling), or null. */
async function lastMatch(
  doc: Document,
  pattern: SearchPattern,
  options: FindOptions,
  floor: number,
  ceiling: number,
  encoding: string | undefined,
): Promise<Match | null> {
  for (let span = BACKWARD_FIRST_SPAN; ; span *= BACKWARD_GROWTH) {
    const start = Math.max(floor, ceiling - span);
    let last: Match | null = null;
    const found = wholeCharacterMatches(doc, pattern, { ...options, start, end: ceiling }, encoding);
    for await (const match of found) last = match;
    if (last || start === floor) return last;
  }
}

/**
 * The match after `from` (forward: starting at or after it) or before it (backward: ending at or
 * before it), wrapping around once. In a multi-byte set (`encoding`: Shift_JIS, GBK, …) only
 * matches of whole characters count (character-boundary.ts).
 */
export async function findNext(
  doc: Document,
  pattern: SearchPattern,
  options: FindOptions,
  from: number,
  direction: "forward" | "backward",
  encoding?: string,
): Promise<FindNextResult> {
  const length = doc.length;
  from = Math.min(from, length);
  if (direction === "forward") {
    const match = await firstMatch(doc, pattern, options, from, length, encoding);
    if (match) return { match, wrapped: false };
    const wrapped = await firstMatch(doc, pattern, options, 0, length, encoding);
    return { match: wrapped, wrapped: wrapped !== null };
  }
  const match = await lastMatch(doc, pattern, options, 0, from, encoding);
  if (match) return { match, wrapped: false };
  const wrapped = await lastMatch(doc, pattern, options, 0, length, encoding);
  return { match: wrapped, wrapped: wrapped !== null };
}
