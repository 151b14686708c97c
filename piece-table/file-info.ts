/** What `gigapad info` reports about a file: size, lines, line endings and encoding. */
import { isUtf8 } from "node:buffer";
import { resolve } from "node:path";
import { openMappedFile } from "../native/index.js";
import { type IndexProgress, LineIndex } from "./line-index.js";

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

/**
 * Counts lines and line endings of a file (read-only, on all cores) and guesses its encoding.
 * Works on the mapped file directly: no document, no session, nothing else loaded.
 */
/** How a file with `lineFeeds` LFs, `crlfPairs` of them after a CR, ends its lines. */
export function lineEndingsOf(lineFeeds: number, crlfPairs: number): LineEndings {
  return lineFeeds === 0 ? "none" : crlfPairs === 0 ? "lf" : crlfPairs === lineFeeds ? "crlf" : "mixed";
}

export async function fileInfo(
  path: string,
  onProgress?: (progress: IndexProgress) => void,
): Promise<FileInfo> {
  const file = openMappedFile(resolve(path));
  try {
    const index = new LineIndex(file);
    // The user waits for this scan alone: normal priority, not the editor's background nice 10.
    await index.build(onProgress, { foreground: true });
    const lineFeeds = index.count(0, file.size);
    const crlf = index.crlfPairCount ?? 0;
    const eol = lineEndingsOf(lineFeeds, crlf);
    const sample = file.read(0, Math.min(file.size, ENCODING_SAMPLE_BYTES));
    return {
      path: file.path,
      bytes: file.size,
      lines: lineFeeds + 1,
      eol,
      encoding: detectEncoding(sample, file.size > sample.length),
    };
  } finally {
    file.close();
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
