/**
 * Text that carries every byte: UTF-8 decoded as usual, and each byte that is not part of valid
 * UTF-8 carried as the lone surrogate U+DC00 + byte (U+DC80..U+DCFF). Valid UTF-8 never decodes
 * to a lone surrogate, so decode → encode gives back exactly the bytes, and the UI can count the
 * bytes of any text it holds (`utf8ByteLength`) without asking the engine.
 */

const ESCAPE_BASE = 0xdc00;
/** A lone low surrogate in the escape range (not the second half of a surrogate pair). */
const ESCAPED_BYTE = /(?<![\ud800-\udbff])[\udc80-\udcff]/;

/** True if `code` (a UTF-16 unit) is an escaped byte when it stands alone. */
export function isEscapedByte(code: number): boolean {
  return code >= 0xdc80 && code <= 0xdcff;
}

/** Bytes `text` encodes to (escaped bytes count one each; other lone surrogates become U+FFFD). */
export function utf8ByteLength(text: string, from = 0, to = text.length): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < to) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else if (isEscapedByte(code)) bytes += 1;
    else bytes += 3;
  }
  return bytes;
}

/** The index in `text` just after the first `byteCount` bytes (never inside a surrogate pair). */
export function indexAtByte(text: string, byteCount: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteCount) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    const next = pair ? text.charCodeAt(i + 1) : 0;
    if (pair && next >= 0xdc00 && next <= 0xdfff) {
      bytes += 4;
      i += 2;
      continue;
    }
    bytes += code < 0x80 || isEscapedByte(code) ? 1 : code < 0x800 ? 2 : 3;
    i++;
  }
  return i;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes text to bytes, turning escaped bytes back into themselves. */
export function encodeEscaped(text: string): Uint8Array {
  if (!ESCAPED_BYTE.test(text)) return encoder.encode(text);
  const parts: Uint8Array[] = [];
  let total = 0;
  let runStart = 0;
  const flush = (end: number) => {
    if (end > runStart) {
      const part = encoder.encode(text.slice(runStart, end));
      parts.push(part);
      total += part.length;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isEscapedByte(code)) continue;
    const previous = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (previous >= 0xd800 && previous <= 0xdbff) continue; // second half of a pair
    flush(i);
    parts.push(Uint8Array.of(code - ESCAPE_BASE));
    total += 1;
    runStart = i + 1;
  }
  flush(text.length);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at bytes[i], or 0 if none starts there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (lead === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (lead >= 0xe1 && lead <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (lead === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (lead === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Decodes bytes, escaping each byte that is not part of valid UTF-8. A BOM is kept as U+FEFF. */
export function decodeEscaped(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    // Invalid somewhere: decode valid runs with the fast decoder, escape the bytes between.
  }
  let out = "";
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (i > runStart) out += strictDecoder.decode(bytes.subarray(runStart, i));
    out += String.fromCharCode(ESCAPE_BASE + bytes[i]!);
    i++;
    runStart = i;
  }
  if (i > runStart) out += strictDecoder.decode(bytes.subarray(runStart, i));
  return out;
}
