/** What `gigapad info` reports about a file: size, lines, line endings and encoding. */
import { isUtf8 } from "node:buffer";
import { open } from "./document.js";
import type { IndexProgress } from "./line-index.js";

export type LineEndings = "lf" | "crlf" | "mixed" | "none";
export type Encoding = "ascii" | "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be" | "binary" | "unknown-8bit";

export interface FileInfo {
  path: string;
  bytes: number;
  lines: number;
  eol: LineEndings;
  encoding: Encoding;
}

/** Bytes looked at to guess the encoding. */
const ENCODING_SAMPLE_BYTES = 1024 * 1024;

/** Counts lines and line endings of a file (read-only, on all cores) and guesses its encoding. */
export async function fileInfo(
  path: string,
  onProgress?: (progress: IndexProgress) => void,
): Promise<FileInfo> {
  const doc = await open(path, { readOnly: true });
  try {
    if (onProgress) doc.on("indexProgress", onProgress);
    await doc.whenIndexed();
    const lineFeeds = doc.lineCount() - 1;
    const crlf = doc.originalCrlfPairs ?? 0;
    const eol: LineEndings =
      lineFeeds === 0 ? "none" : crlf === 0 ? "lf" : crlf === lineFeeds ? "crlf" : "mixed";
    const sample = doc.read(0, Math.min(doc.length, ENCODING_SAMPLE_BYTES));
    return {
      path: doc.path,
      bytes: doc.length,
      lines: lineFeeds + 1,
      eol,
      encoding: detectEncoding(sample, doc.length > sample.length),
    };
  } finally {
    await doc.close();
  }
}

/**
 * Guesses the encoding from the first bytes. `truncated` says the sample stops mid-file, so a
 * multi-byte sequence cut at its end is not held against UTF-8.
 */
export function detectEncoding(sample: Buffer, truncated: boolean): Encoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return "utf-8-bom";
  if (sample[0] === 0xff && sample[1] === 0xfe) return "utf-16le";
  if (sample[0] === 0xfe && sample[1] === 0xff) return "utf-16be";
  if (sample.includes(0)) return "binary";
  let end = sample.length;
  if (truncated) {
    // Step back over a partial sequence: at most 3 continuation bytes after a lead byte.
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (sample[end - back - 1]! & 0xc0) === 0x80) back++;
    if (end - back - 1 >= 0 && sample[end - back - 1]! >= 0xc0) end -= back + 1;
  }
  const body = sample.subarray(0, end);
  if (body.every((byte) => byte < 0x80)) return "ascii";
  return isUtf8(body) ? "utf-8" : "unknown-8bit";
}
