/**
 * Big edits travel in pieces. A WebSocket message is capped (MAX_MESSAGE_BYTES: `gigapad serve`
 * closes a socket that sends more), and JSON may spell one character of text in six bytes
 * (`\u0000`), so an edit whose text is longer than EDIT_PIECE_CHARS UTF-16 units is sent as
 * several consecutive edits: the first replaces the range with the first piece, each next one
 * inserts the next piece after the text sent so far. Applied in order, they make the same text.
 */
import { utf8ByteLength } from "./escaped-text.js";
import type { ByteEdit } from "./messages.js";

/** Largest message `gigapad serve` accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/**
 * Most text one edit message carries, in UTF-16 units: at six JSON bytes per unit at worst,
 * 3 MiB, well under MAX_MESSAGE_BYTES with the rest of the message.
 */
export const EDIT_PIECE_CHARS = 512 * 1024;

/** Where to cut `text` near `at` without splitting a surrogate pair. */
function cutAt(text: string, from: number, at: number): number {
  if (at >= text.length) return text.length;
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  const splitsPair = before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  if (!splitsPair) return at;
  return at - 1 > from ? at - 1 : at + 1;
}

/**
 * The messages to send for one step's `edits` (byte ranges of the same version, sorted and not
 * overlapping), in order: one message with all of them when their text is small; otherwise one
 * message per piece, the edits taken from the last to the first so that each one's byte range
 * still means what it meant (edits after it have been applied, edits before it not yet).
 */
export function editMessages(
  edits: readonly ByteEdit[],
  {
    pieceChars = EDIT_PIECE_CHARS,
    byteLength = utf8ByteLength,
  }: {
    pieceChars?: number;
    /** Bytes a piece of text stands for in the document's encoding (default UTF-8). */
    byteLength?: (text: string) => number;
  } = {},
): ByteEdit[][] {
  const total = edits.reduce((sum, edit) => sum + edit.text.length, 0);
  if (total <= pieceChars) return [[...edits]];
  const messages: ByteEdit[][] = [];
  for (let i = edits.length - 1; i >= 0; i--) {
    const { start, end, text } = edits[i]!;
    let from = 0;
    let at = start;
    let replaced = end;
    do {
      const to = cutAt(text, from, Math.min(text.length, from + pieceChars));
      const piece = text.slice(from, to);
      messages.push([{ start: at, end: replaced, text: piece }]);
      at += byteLength(piece);
      replaced = at;
      from = to;
    } while (from < text.length);
  }
  return messages;
}
