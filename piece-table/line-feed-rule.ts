/**
 * A document's line-feed rule — how its bytes make lines — and what follows from it: `byte`
 * (0x0A; UTF-8 and every ASCII-compatible encoding) or `utf-16le` / `utf-16be` (the code unit
 * `0A 00` / `00 0A` at an even offset). Under a UTF-16 rule the document keeps one invariant:
 * every piece starts at an even buffer offset and an even document offset, so a piece's line
 * feed count depends on the piece alone and the persistent tree's cached counts stay true. This
 * module holds the rule's checks (EALIGN), its text codec (strings in, strings out) and the
 * searches for a line feed inside bytes read from the document.
 */
import { countNewlinesInBytes, type LineFeedRule } from "../native/index.js";

export type { LineFeedRule } from "../native/index.js";

/**
 * The rule an encoding label (WHATWG: "utf-16le", "utf-16", "unicodefffe", "utf-8", "shift_jis",
 * …) implies: UTF-16 in either byte order counts code units, everything else bytes. An unknown
 * label is a RangeError.
 */
export function ruleOf(encoding: string | null | undefined): LineFeedRule {
  if (encoding === null || encoding === undefined) return "byte";
  const name = whatwgEncoding(encoding);
  return name === "utf-16le" || name === "utf-16be" ? name : "byte";
}

/** The WHATWG name of an encoding label; a RangeError naming it when there is none. */
export function whatwgEncoding(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new RangeError(`Unknown encoding "${label}" (use a WHATWG label such as "utf-8" or "utf-16le")`);
  }
}

/** The UTF-16 encoding a byte order mark at the start of a file says, or null (FF FE, FE FF). */
export function encodingFromBom(firstBytes: Uint8Array): "utf-16le" | "utf-16be" | null {
  if (firstBytes[0] === 0xff && firstBytes[1] === 0xfe) return "utf-16le";
  if (firstBytes[0] === 0xfe && firstBytes[1] === 0xff) return "utf-16be";
  return null;
}

/** Bytes per code unit: 1 for bytes, 2 for UTF-16. */
export function unitBytes(rule: LineFeedRule): 1 | 2 {
  return rule === "byte" ? 1 : 2;
}

/** An edit that would cut a UTF-16 code unit: code EALIGN. */
export class AlignmentError extends RangeError {
  readonly code = "EALIGN";
}

/**
 * Checks that an edit of [start, end) inserting `inserted` bytes keeps whole code units: an even
 * start, an even end (or the document's end), an even inserted length (or an edit reaching the
 * document's end, where a lone last byte may be kept or edited). Throws AlignmentError.
 */
export function checkAlignedEdit(
  rule: LineFeedRule,
  edit: { start: number; end: number; inserted: number },
  documentLength: number,
): void {
  if (rule === "byte") return;
  const { start, end, inserted } = edit;
  const what = rule === "utf-16le" ? "UTF-16LE" : "UTF-16BE";
  if (start % 2 !== 0) {
    throw new AlignmentError(`offset ${start} is inside a ${what} code unit (edits start at even offsets)`);
  }
  if (end % 2 !== 0 && end !== documentLength) {
    throw new AlignmentError(`offset ${end} is inside a ${what} code unit (edits end at even offsets)`);
  }
  if (inserted % 2 !== 0 && end !== documentLength) {
    throw new AlignmentError(
      `${inserted} bytes inserted at offset ${start} are not whole ${what} code units (an even length)`,
    );
  }
}

/** Checks that a read of [start, end) to decode starts and ends on code units. */
export function checkAlignedRange(
  rule: LineFeedRule,
  start: number,
  end: number,
  documentLength: number,
): void {
  if (rule === "byte") return;
  for (const offset of [start, end]) {
    if (offset % 2 !== 0 && offset !== documentLength) {
      throw new AlignmentError(
        `offset ${offset} is inside a UTF-16 code unit (text is decoded from even offsets)`,
      );
    }
  }
}

/** A string as the document's bytes: UTF-8, or UTF-16 in the rule's byte order (lone surrogates kept). */
export function encodeText(text: string, rule: LineFeedRule): Buffer {
  if (rule === "byte") return Buffer.from(text, "utf8");
  const bytes = Buffer.from(text, "utf16le");
  return rule === "utf-16be" ? bytes.swap16() : bytes;
}

/**
 * Bytes read from document offset `from` as text: UTF-8 (invalid sequences as U+FFFD), or
 * UTF-16 units (a lone last byte as U+FFFD); a byte order mark at the document's start is not
 * part of the text.
 */
export function decodeText(bytes: Buffer, from: number, rule: LineFeedRule): string {
  if (rule === "byte") {
    const bom = from === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return (bom ? bytes.subarray(3) : bytes).toString("utf8");
  }
  const bom = from === 0 && encodingFromBom(bytes) === rule;
  const body = bom ? bytes.subarray(2) : bytes;
  const whole = body.length - (body.length % 2);
  let text: string;
  if (rule === "utf-16le") {
    text = body.toString("utf16le", 0, whole);
  } else {
    text = Buffer.from(body.subarray(0, whole)).swap16().toString("utf16le");
  }
  return whole < body.length ? `${text}\ufffd` : text;
}

/** Line feeds in bytes read from an even document offset (a native count). */
export function countLineFeeds(bytes: Uint8Array, rule: LineFeedRule): number {
  return countNewlinesInBytes(bytes, rule);
}

/**
 * Where the first line feed at or after `from` in bytes read from an even document offset
 * begins, or -1 (its length is unitBytes(rule)).
 */
export function indexOfLineFeed(bytes: Buffer, rule: LineFeedRule, from = 0): number {
  if (rule === "byte") return bytes.indexOf(10, from);
  const unit = lineFeedUnit(rule);
  for (let at = bytes.indexOf(unit, from + (from % 2)); at >= 0; at = bytes.indexOf(unit, at + 1)) {
    if (at % 2 === 0) return at;
  }
  return -1;
}

/** Where the last line feed in bytes read from an even document offset begins, or -1. */
export function lastIndexOfLineFeed(bytes: Buffer, rule: LineFeedRule): number {
  if (rule === "byte") return bytes.lastIndexOf(10);
  const unit = lineFeedUnit(rule);
  for (let at = bytes.lastIndexOf(unit); at >= 0; at = at === 0 ? -1 : bytes.lastIndexOf(unit, at - 1)) {
    if (at % 2 === 0) return at;
  }
  return -1;
}

/** Whether the unit (or byte) that ends just before `at` in bytes is a carriage return. */
export function carriageReturnBefore(bytes: Uint8Array, at: number, rule: LineFeedRule): boolean {
  if (rule === "byte") return at > 0 && bytes[at - 1] === 13;
  if (at < 2) return false;
  return rule === "utf-16le"
    ? bytes[at - 2] === 13 && bytes[at - 1] === 0
    : bytes[at - 2] === 0 && bytes[at - 1] === 13;
}

const LF_LE = Buffer.from([10, 0]);
const LF_BE = Buffer.from([0, 10]);

function lineFeedUnit(rule: LineFeedRule): Buffer {
  return rule === "utf-16le" ? LF_LE : LF_BE;
}

/**
 * Appends bytes to the add buffer at a unit boundary: under a UTF-16 rule, one padding byte
 * first when the buffer's length is odd (a lone last byte of a document was appended before).
 * Returns where the bytes start.
 */
export function appendAligned(
  add: { readonly length: number; append(bytes: Uint8Array): number },
  bytes: Uint8Array,
  rule: LineFeedRule,
): number {
  if (rule !== "byte" && add.length % 2 !== 0) add.append(PAD);
  return add.append(bytes);
}

const PAD = Buffer.from([0]);
