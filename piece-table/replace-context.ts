/**
 * The text a range-limited replace reads around its range: from the line feed before the line the
 * range starts in to the end of the line it ends in (at most CONTEXT_BYTES each way), so lookbehind,
 * lookahead, \b, ^ and $ see what the document has there, not a cut; only matches inside the range
 * are replaced (search.ts, replaceAllMatches).
 */
import { type DocumentSnapshot, readTree } from "./snapshot.js";

/** Most bytes read before the range's start and after its end. */
export const CONTEXT_BYTES = 1024 * 1024;

/**
 * The range to match over so that [start, end) is seen in its context: [from, to) with from ≤
 * start at the line feed ending the line before (or CONTEXT_BYTES before start, or 0) and to ≥ end at a line end (or
 * CONTEXT_BYTES after end, or the document's end). `unit` is the document's code unit in bytes
 * (2 in UTF-16): start − from and to − start stay multiples of it, so no unit is cut.
 */
export function contextAround(
  snapshot: Pick<DocumentSnapshot, "root" | "original" | "add" | "length">,
  start: number,
  end: number,
  unit = 1,
): { from: number; to: number } {
  const read = (a: number, b: number) => readTree(snapshot.root, a, b, snapshot.original, snapshot.add);
  let from = start;
  if (start > 0) {
    const low = Math.max(0, start - CONTEXT_BYTES);
    const before = read(low, start);
    // The line feed itself too: a lookbehind or \b at the line's start sees it.
    const lineFeed = before.lastIndexOf(10);
    from = lineFeed >= 0 ? low + lineFeed : low;
    from -= (start - from) % unit;
    if (from < 0) from += unit;
  }
  let to = end;
  if (end < snapshot.length) {
    const high = Math.min(snapshot.length, end + CONTEXT_BYTES);
    const after = read(end, high);
    const lineFeed = after.indexOf(10);
    to = lineFeed >= 0 ? end + lineFeed + 1 : high;
    const cut = (to - start) % unit;
    if (cut !== 0) to = to + unit - cut <= snapshot.length ? to + unit - cut : to - cut;
    to = Math.max(to, end);
  }
  return { from, to };
}
