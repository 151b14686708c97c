/**
 * What the "Go to" box accepts: a line number (1-based, as shown), `+N` for a byte offset
 * (K, M, G suffixes allowed: +1.5G), or `NN%` for a fraction of the document: of its lines, or of
 * its bytes while lines are not counted yet and for files of very long lines.
 */
import type { Anchor } from "../protocol/messages.js";

/**
 * Average line length above which a position in the file is told by bytes even when lines are
 * known (a 256 MiB one-line JSON: 50% of one line says nothing). The scrollbar uses it too.
 */
export const LONG_LINE_BYTES = 8192;

/** Whether fractions of this document are fractions of its lines (else of its bytes). */
export function countsByLine(length: number, lineCount: number | null): lineCount is number {
  return lineCount !== null && length / Math.max(1, lineCount) <= LONG_LINE_BYTES;
}

export type GoToTarget = { anchor: Anchor; description: string } | { error: string };

const SUFFIX: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses what the user typed, for a document of `length` bytes and `lineCount` lines (or null). */
export function parseGoTo(input: string, length: number, lineCount: number | null): GoToTarget {
  const text = input.trim().replace(/[,_\s]/g, "");
  if (text === "") return { error: "Type a line number, +bytes or a percentage" };
  let match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (match) {
    const percent = Number(match[1]);
    if (percent > 100) return { error: "A percentage goes up to 100%" };
    if (countsByLine(length, lineCount)) {
      const line = Math.min(lineCount - 1, Math.floor(((lineCount - 1) * percent) / 100));
      return { anchor: { line }, description: `line ${line + 1}` };
    }
    const byte = Math.min(length, Math.floor((length * percent) / 100));
    return { anchor: { byte }, description: `byte ${byte}` };
  }
  match = /^\+(\d+(?:\.\d+)?)([kmgt]?)i?b?$/i.exec(text);
  if (match) {
    const byte = Math.floor(Number(match[1]) * SUFFIX[match[2]!.toLowerCase()]!);
    if (byte > length) return { error: `Byte ${byte} is past the end (${length} bytes)` };
    return { anchor: { byte }, description: `byte ${byte}` };
  }
  match = /^(\d+)$/.exec(text);
  if (match) {
    const line = Number(match[1]);
    if (!Number.isSafeInteger(line) || line < 1) return { error: "Lines start at 1" };
    if (lineCount !== null && line > lineCount) {
      return { anchor: { line: lineCount - 1 }, description: `line ${lineCount} (the last)` };
    }
    return { anchor: { line: line - 1 }, description: `line ${line}` };
  }
  return { error: `Not a line, +bytes or percentage: ${input.trim()}` };
}
