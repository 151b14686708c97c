/**
 * How many bytes the page's text stands for, in the encoding the document is read in now. The
 * page has one document; the host says how to count when it says hello and when the document is
 * reopened in another encoding (protocol/byte-counter.ts). UTF-8 until told otherwise.
 */
import {
  type ByteCounter,
  type ByteCounting,
  byteCounterFor,
  utf8Counter,
} from "../protocol/byte-counter.js";

let counter: ByteCounter = utf8Counter;

/** Counts as the host said (absent: UTF-8). */
export function useByteCounting(counting: ByteCounting | undefined): void {
  counter = counting ? byteCounterFor(counting) : utf8Counter;
}

/** Bytes text[from, to) stands for in the document's encoding. */
export function byteLength(text: string, from = 0, to = text.length): number {
  return counter.byteLength(text, from, to);
}

/** The index in `text` just after its first `byteCount` bytes (never inside a character). */
export function indexAtByte(text: string, byteCount: number): number {
  return counter.indexAtByte(text, byteCount);
}
