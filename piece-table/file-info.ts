/** What `gigapad info` reports about a file: size, lines, line endings and encoding. */
import { resolve } from "node:path";
import { openMappedFile } from "../native/index.js";
import { type EncodingGuess, guessEncoding } from "./encoding-detect.js";
import { type IndexProgress, LineIndex } from "./line-index.js";

export type LineEndings = "lf" | "crlf" | "mixed" | "none";
/**
 * "ascii", "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "binary", or the WHATWG name of the
 * legacy encoding the bytes most probably are ("windows-1252", "shift_jis", "gb18030", …).
 */
export type Encoding = string;

export interface FileInfo {
  path: string;
  bytes: number;
  lines: number;
  eol: LineEndings;
  encoding: Encoding;
  /** 0..1: how sure the encoding guess is (1 for a BOM, ASCII or strict UTF-8). */
  encodingConfidence: number;
}

/** Bytes looked at to guess the encoding. */
const ENCODING_SAMPLE_BYTES = 1024 * 1024;

/** How a file with `lineFeeds` LFs, `crlfPairs` of them after a CR, ends its lines. */
export function lineEndingsOf(lineFeeds: number, crlfPairs: number): LineEndings {
  return lineFeeds === 0 ? "none" : crlfPairs === 0 ? "lf" : crlfPairs === lineFeeds ? "crlf" : "mixed";
}

/**
 * Counts lines and line endings of a file (read-only, on all cores) and guesses its encoding.
 * Works on the mapped file directly: no document, no session, nothing else loaded. UTF-16 text
 * (by its BOM, or its NULs) counts its lines in code units, as `iconv -f UTF-16LE | wc -l` does
 * (plus one: lines are line feeds + 1).
 */
export async function fileInfo(
  path: string,
  onProgress?: (progress: IndexProgress) => void,
): Promise<FileInfo> {
  const file = openMappedFile(resolve(path));
  try {
    const sample = file.read(0, Math.min(file.size, ENCODING_SAMPLE_BYTES));
    const guess = guessEncoding(sample, file.size > sample.length);
    const utf16 = guess.encoding === "utf-16le" || guess.encoding === "utf-16be";
    const index = new LineIndex(file, {}, utf16 ? (guess.encoding as "utf-16le" | "utf-16be") : "byte");
    // The user waits for this scan alone: normal priority, not the editor's background nice 10.
    await index.build(onProgress, { foreground: true });
    const lineFeeds = index.count(0, file.size);
    const crlf = index.crlfPairCount ?? 0;
    const eol = lineEndingsOf(lineFeeds, crlf);
    return {
      path: file.path,
      bytes: file.size,
      lines: lineFeeds + 1,
      eol,
      encoding: infoName(guess),
      encodingConfidence: Math.round(guess.confidence * 100) / 100,
    };
  } finally {
    file.close();
  }
}

/**
 * The encoding as `info` names it, from the first bytes. `truncated` says the sample stops
 * mid-file, so a multi-byte sequence cut at its end is not held against UTF-8.
 */
export function detectEncoding(sample: Buffer, truncated: boolean): Encoding {
  return infoName(guessEncoding(sample, truncated));
}

function infoName(guess: EncodingGuess): Encoding {
  if (guess.ascii) return "ascii";
  return guess.encoding === "utf-8" && guess.bom ? "utf-8-bom" : guess.encoding;
}
