/**
 * How the editor shows a character it does not draw as itself, wherever it is drawn (the editor,
 * the page's first screen): as an escape in plain ASCII, which every monospace font has — control
 * pictures (␍) and bullets are missing from many fonts and then draw as empty boxes.
 * - a byte that is not UTF-8 (escaped as U+DC80..U+DCFF, see escaped-text): `\xFF`;
 * - a C0 control: its C escape (`\0`, `\r`, `\e`, …) or `\x01`;
 * - any other invisible or format character (C1 controls, U+200B, U+FEFF, …): `\u200B`.
 */

import { isEscapedByte } from "../protocol/escaped-text.js";

const C_ESCAPES: Record<number, string> = {
  0: "\\0",
  7: "\\a",
  8: "\\b",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  27: "\\e",
};

const hex = (value: number, digits: number) => value.toString(16).toUpperCase().padStart(digits, "0");

/** The label the editor draws for `code` (a UTF-16 unit of the window's text). */
export function specialCharLabel(code: number): string {
  if (isEscapedByte(code)) return `\\x${hex(code - 0xdc00, 2)}`;
  if (code < 0x20 || code === 0x7f) return C_ESCAPES[code] ?? `\\x${hex(code, 2)}`;
  return `\\u${hex(code, 4)}`;
}
