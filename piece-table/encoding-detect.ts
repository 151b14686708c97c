/**
 * Guessing a file's text encoding from its first bytes: the BOM; UTF-16 without one by the NUL
 * pattern of mostly-ASCII text; UTF-8 by validity (strict multi-byte UTF-8 is rarely an accident);
 * and for other 8-bit text a statistical guess among the legacy encodings the WHATWG Encoding
 * Standard names (chardet's n-gram and multi-byte detectors, the ICU ones). The guess carries a
 * confidence from 0 to 1, so the UI can say "probably". The UTF-8 share is measured over the
 * whole sample; a low-confidence CJK guess from a few high bytes falls back to Windows-1252.
 */
import { isUtf8 } from "node:buffer";
import { createRequire } from "node:module";

/**
 * chardet, loaded the first time a sample needs the statistics (~9 ms of start-up that ASCII and
 * UTF-8 files, and scripts that never guess, do not pay).
 */
let chardet: typeof import("chardet") | null = null;
function statistics(): typeof import("chardet") {
  chardet ??= createRequire(import.meta.url)("chardet") as typeof import("chardet");
  return chardet;
}

/** How the text is encoded; `encoding` is a WHATWG name ("utf-8", "windows-1252", "shift_jis", …). */
export interface EncodingGuess {
  /** "binary" when the bytes are not text in any encoding we read. */
  encoding: string;
  /** The file starts with this encoding's byte order mark. */
  bom: boolean;
  /** 0..1: 1 for a BOM or pure ASCII, strict UTF-8 and a clear UTF-16 pattern near 1. */
  confidence: number;
  /** Only ASCII bytes were seen (the encoding is then "utf-8"). */
  ascii: boolean;
}

/** Of a sample's non-ASCII bytes, the share in well-formed UTF-8 from which it is read as UTF-8. */
const UTF8_SHARE = 0.9;

/** Bytes the statistical detector looks at (it costs ~0.25 ms a KiB; the guess settles well before). */
const STATISTICS_SAMPLE_BYTES = 64 * 1024;

/**
 * WHATWG names for what chardet reports. ISO-8859-1 is read as Windows-1252, as every browser
 * does; ISO-2022 and UTF-32 we do not read.
 */
function whatwgName(detected: string): string | null {
  try {
    const name = new TextDecoder(detected).encoding;
    return name === "iso-2022-jp" || name.startsWith("utf-16") ? null : name;
  } catch {
    return null;
  }
}

/** Of the bytes ≥ 0x80, the share that are parts of well-formed UTF-8 sequences (0..1). */
function utf8Share(bytes: Uint8Array): number {
  let high = 0;
  let inSequences = 0;
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf
        ? 2
        : lead >= 0xe0 && lead <= 0xef
          ? 3
          : lead >= 0xf0 && lead <= 0xf4
            ? 4
            : 0;
    let ok = length > 0 && i + length <= bytes.length;
    for (let k = 1; ok && k < length; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (ok) {
      high += length;
      inSequences += length;
      i += length;
    } else {
      high++;
      i++;
    }
  }
  return high === 0 ? 1 : inSequences / high;
}

/** UTF-16 by the pattern of ASCII text in it: one of each two bytes is NUL, always the same one. */
function utf16ByPattern(
  sample: Uint8Array,
): { encoding: "utf-16le" | "utf-16be"; confidence: number } | null {
  const pairs = Math.floor(Math.min(sample.length, STATISTICS_SAMPLE_BYTES) / 2);
  if (pairs < 2) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (sample[2 * i] === 0) evenZeros++;
    if (sample[2 * i + 1] === 0) oddZeros++;
  }
  const high = Math.max(evenZeros, oddZeros) / pairs;
  const low = Math.min(evenZeros, oddZeros) / pairs;
  if (high < 0.3 || low > 0.05) return null;
  return { encoding: oddZeros > evenZeros ? "utf-16le" : "utf-16be", confidence: Math.min(1, high + 0.2) };
}

/**
 * Guesses the encoding of a file from its first bytes. `truncated` says the sample stops mid-file,
 * so a multi-byte sequence cut at its end is not held against UTF-8.
 */
export function guessEncoding(sample: Uint8Array, truncated: boolean): EncodingGuess {
  const text = (encoding: string, confidence: number, bom = false, ascii = false) => ({
    encoding,
    bom,
    confidence,
    ascii,
  });
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return text("utf-8", 1, true);
  if (sample[0] === 0xff && sample[1] === 0xfe) return text("utf-16le", 1, true);
  if (sample[0] === 0xfe && sample[1] === 0xff) return text("utf-16be", 1, true);
  const utf16 = utf16ByPattern(sample);
  if (utf16) return text(utf16.encoding, utf16.confidence);
  if (sample.includes(0)) return text("binary", 1);

  let end = sample.length;
  if (truncated) {
    // Step back over a partial sequence: at most 3 continuation bytes after a lead byte.
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (sample[end - back - 1]! & 0xc0) === 0x80) back++;
    if (end - back - 1 >= 0 && sample[end - back - 1]! >= 0xc0) end -= back + 1;
  }
  const body = sample.subarray(0, end);
  const firstHigh = body.findIndex((byte) => byte >= 0x80);
  if (firstHigh < 0) return text("utf-8", 1, false, true);
  if (isUtf8(body)) return text("utf-8", 1);

  // UTF-8 with a few bad bytes (a cut write, a stray byte) is UTF-8: the bad bytes show escaped.
  // Measured over the whole sample: a stray byte far before the UTF-8 text must not decide alone.
  const share = utf8Share(body);
  if (share >= UTF8_SHARE) return text("utf-8", share);
  // Look where the non-ASCII text is: a log's first 64 KiB may be all ASCII timestamps.
  const from = Math.max(0, Math.min(firstHigh - 1024, body.length - STATISTICS_SAMPLE_BYTES));
  const window = body.subarray(from, from + STATISTICS_SAMPLE_BYTES);
  const candidates = statistics().analyse(window);
  const latin = candidates.find((candidate) => whatwgName(candidate.name) === "windows-1252");
  const latinGuess = () => text("windows-1252", latin ? latin.confidence / 100 : 0.1);
  let highBytes = 0;
  for (const byte of window) if (byte >= 0x80) highBytes++;
  for (const candidate of candidates) {
    const name = whatwgName(candidate.name);
    if (!name || name === "utf-8") continue;
    const confidence = candidate.confidence / 100;
    // A few high bytes read as CJK with little confidence are likelier accented Latin text
    // ("Größe" is two bytes a Shift_JIS reader takes as one character too).
    if (CJK.has(name) && confidence < DOUBTFUL_CJK && highBytes < SHORT_HIGH_BYTES) return latinGuess();
    return text(name, confidence);
  }
  return latinGuess();
}

/** The multi-byte sets a statistical guess may name. */
const CJK = new Set(["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"]);
/** A CJK guess below this confidence… */
const DOUBTFUL_CJK = 0.5;
/** …from fewer high bytes than this is not believed: Windows-1252 is guessed instead. */
const SHORT_HIGH_BYTES = 64;
