/**
 * How many bytes a piece of the page's text stands for in the document's encoding. The page
 * edits text and the engine edits bytes, so the page must turn a position in a line into a byte
 * offset without asking: this counts, for UTF-8 and UTF-16 by rule and for the legacy encodings
 * (Windows-1252, Shift_JIS, GB18030, …) from a table of each BMP character's encoded length that
 * the host sends once when the document opens.
 *
 * Escaped bytes (protocol/escaped-text.ts: a byte that does not decode, carried as a lone U+DC80
 * + byte) count one byte in every encoding. A character the encoding cannot write counts one
 * byte: the host writes it as `?` (and says so).
 */
import { isEscapedByte, utf8ByteLength, indexAtByte as utf8IndexAtByte } from "./escaped-text.js";

export interface ByteCounter {
  /** The encoding's WHATWG name ("utf-8", "utf-16le", "shift_jis", …). */
  readonly encoding: string;
  /** Bytes text[from, to) encodes to. */
  byteLength(text: string, from?: number, to?: number): number;
  /** The index in `text` just after the first `byteCount` bytes (never inside a character). */
  indexAtByte(text: string, byteCount: number): number;
}

/** What the host sends so the page can count: a rule, or a table of run-length encoded lengths. */
export type ByteCounting =
  | { kind: "utf-8" }
  | { kind: "utf-16"; encoding: "utf-16le" | "utf-16be" }
  | {
      kind: "table";
      encoding: string;
      /** Lengths of U+0000..U+FFFF as pairs [length, count, length, count, …]; 0 = cannot be written. */
      runs: number[];
      /** Bytes of any character above U+FFFF (4 in GB18030), 0 if the encoding has none. */
      astral: number;
    };

export const utf8Counter: ByteCounter = {
  encoding: "utf-8",
  byteLength: utf8ByteLength,
  indexAtByte: utf8IndexAtByte,
};

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A counter from a per-unit rule: `unitBytes(code)` for a BMP unit that is not an escaped byte,
 * `pairBytes` for a surrogate pair.
 */
function ruleCounter(
  encoding: string,
  unitBytes: (code: number) => number,
  pairBytes: number,
  isEscape: (code: number) => boolean = isEscapedByte,
): ByteCounter {
  /** Bytes of the character at text[i] and how many units it spans. */
  const step = (text: string, i: number, end: number): [bytes: number, units: number] => {
    const code = text.charCodeAt(i);
    if (isHighSurrogate(code) && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) return [pairBytes, 2];
    if (isEscape(code)) return [1, 1];
    return [unitBytes(code), 1];
  };
  return {
    encoding,
    byteLength(text, from = 0, to = text.length) {
      let bytes = 0;
      for (let i = from; i < to; ) {
        const [size, units] = step(text, i, to);
        bytes += size;
        i += units;
      }
      return bytes;
    },
    indexAtByte(text, byteCount) {
      let bytes = 0;
      let i = 0;
      while (i < text.length && bytes < byteCount) {
        const [size, units] = step(text, i, text.length);
        bytes += size;
        i += units;
      }
      return i;
    },
  };
}

/** Expands run-length pairs into one length per BMP unit. */
export function expandRuns(runs: readonly number[]): Uint8Array {
  const lengths = new Uint8Array(0x10000);
  let at = 0;
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const count = runs[i + 1]!;
    if (at + count > lengths.length || count <= 0) throw new RangeError("byte-length runs overrun U+FFFF");
    lengths.fill(runs[i]!, at, at + count);
    at += count;
  }
  if (at !== lengths.length) throw new RangeError("byte-length runs do not cover U+0000..U+FFFF");
  return lengths;
}

/** Run-length pairs of one length per BMP unit (the inverse of expandRuns). */
export function compressRuns(lengths: Uint8Array): number[] {
  const runs: number[] = [];
  let i = 0;
  while (i < lengths.length) {
    let j = i + 1;
    while (j < lengths.length && lengths[j] === lengths[i]) j++;
    runs.push(lengths[i]!, j - i);
    i = j;
  }
  return runs;
}

/** The page's counter for what the host sent. */
export function byteCounterFor(counting: ByteCounting): ByteCounter {
  switch (counting.kind) {
    case "utf-8":
      return utf8Counter;
    case "utf-16":
      // Any byte may be escaped in UTF-16 text (a lone surrogate or last byte of the file): U+DC00..U+DCFF.
      return ruleCounter(
        counting.encoding,
        () => 2,
        4,
        (code) => code >= 0xdc00 && code <= 0xdcff,
      );
    case "table": {
      const lengths = expandRuns(counting.runs);
      // A character the encoding cannot write is written as one `?`.
      return ruleCounter(counting.encoding, (code) => lengths[code] || 1, counting.astral || 1);
    }
  }
}
