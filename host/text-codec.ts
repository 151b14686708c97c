/**
 * A document's text encoding, both ways, byte-exact: bytes → the page's text (escaped where they
 * do not decode) and the page's text → bytes. Decoding uses the WHATWG decoders (`TextDecoder`),
 * the same the browser has; encoding the legacy multi-byte sets uses iconv-lite, since
 * `TextEncoder` writes only UTF-8.
 *
 * Byte-exactness rests on one rule: a character is shown decoded only when encoding it gives back
 * exactly the bytes it came from; otherwise its bytes are shown escaped (protocol/escaped-text.ts),
 * one lone surrogate per byte, and written back as themselves. So text the user did not touch
 * always encodes to its own bytes, and the page can count bytes from a table of each character's
 * encoded length (protocol/byte-counter.ts) that the codec builds the same way.
 */
import iconv from "iconv-lite";
import { type ByteCounting, compressRuns } from "../protocol/byte-counter.js";
import { decodeEscaped, encodeEscaped, isEscapedByte } from "../protocol/escaped-text.js";
import { sequenceEnd } from "./character-boundary.js";

export interface TextCodec {
  /** The WHATWG name: "utf-8", "windows-1252", "shift_jis", "utf-16le", … */
  readonly encoding: string;
  /** What the page needs to count bytes of its text. */
  readonly counting: ByteCounting;
  /** Bytes to text; bytes that do not decode (or do not encode back to themselves) come out escaped. */
  decode(bytes: Uint8Array): string;
  /** Text to bytes; escaped bytes become themselves, characters the encoding lacks become `?`. */
  encode(text: string): Buffer;
  /** How many characters of `text` the encoding cannot write (they would be saved as `?`). */
  unwritable(text: string): number;
}

/** The encodings a document may be read in, by WHATWG name, with the name people know them by. */
export const ENCODINGS: ReadonlyArray<{ encoding: string; label: string }> = [
  { encoding: "utf-8", label: "Unicode (UTF-8)" },
  { encoding: "windows-1252", label: "Western (Windows-1252, ISO-8859-1)" },
  { encoding: "iso-8859-15", label: "Western (ISO-8859-15)" },
  { encoding: "macintosh", label: "Western (Mac Roman)" },
  { encoding: "windows-1250", label: "Central European (Windows-1250)" },
  { encoding: "iso-8859-2", label: "Central European (ISO-8859-2)" },
  { encoding: "windows-1251", label: "Cyrillic (Windows-1251)" },
  { encoding: "koi8-r", label: "Cyrillic (KOI8-R)" },
  { encoding: "koi8-u", label: "Cyrillic (KOI8-U)" },
  { encoding: "ibm866", label: "Cyrillic (DOS 866)" },
  { encoding: "iso-8859-5", label: "Cyrillic (ISO-8859-5)" },
  { encoding: "windows-1253", label: "Greek (Windows-1253)" },
  { encoding: "iso-8859-7", label: "Greek (ISO-8859-7)" },
  { encoding: "windows-1254", label: "Turkish (Windows-1254)" },
  { encoding: "windows-1255", label: "Hebrew (Windows-1255)" },
  { encoding: "iso-8859-8", label: "Hebrew (ISO-8859-8)" },
  { encoding: "windows-1256", label: "Arabic (Windows-1256)" },
  { encoding: "iso-8859-6", label: "Arabic (ISO-8859-6)" },
  { encoding: "windows-1257", label: "Baltic (Windows-1257)" },
  { encoding: "iso-8859-4", label: "Baltic (ISO-8859-4)" },
  { encoding: "iso-8859-13", label: "Baltic (ISO-8859-13)" },
  { encoding: "windows-1258", label: "Vietnamese (Windows-1258)" },
  { encoding: "windows-874", label: "Thai (Windows-874)" },
  { encoding: "iso-8859-3", label: "South European (ISO-8859-3)" },
  { encoding: "iso-8859-10", label: "Nordic (ISO-8859-10)" },
  { encoding: "iso-8859-14", label: "Celtic (ISO-8859-14)" },
  { encoding: "shift_jis", label: "Japanese (Shift_JIS)" },
  { encoding: "euc-jp", label: "Japanese (EUC-JP)" },
  { encoding: "gb18030", label: "Chinese Simplified (GB18030)" },
  { encoding: "gbk", label: "Chinese Simplified (GBK)" },
  { encoding: "big5", label: "Chinese Traditional (Big5)" },
  { encoding: "euc-kr", label: "Korean (EUC-KR)" },
  { encoding: "utf-16le", label: "Unicode (UTF-16LE)" },
  { encoding: "utf-16be", label: "Unicode (UTF-16BE)" },
];

/** The canonical WHATWG name for a label ("latin1" → "windows-1252"), or null if none we read. */
export function encodingName(label: string): string | null {
  let name: string;
  try {
    name = new TextDecoder(label.trim()).encoding;
  } catch {
    return null;
  }
  return ENCODINGS.some((known) => known.encoding === name) ? name : null;
}

const ESCAPE_BASE = 0xdc00;
const escapeByte = (byte: number) => String.fromCharCode(ESCAPE_BASE + byte);
const QUESTION_MARK = 0x3f;
/** Bytes a multi-byte decode checks at once when a window does not decode exactly as a whole. */
const SEQUENCE_BLOCK_BYTES = 4096;

const utf8Codec: TextCodec = {
  encoding: "utf-8",
  counting: { kind: "utf-8" },
  decode: decodeEscaped,
  encode: (text) => {
    const bytes = encodeEscaped(text);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  },
  // UTF-8 writes every character (a lone surrogate that is not an escaped byte becomes U+FFFD).
  unwritable: () => 0,
};

/**
 * Walks text by character: escaped bytes, surrogate pairs (as one code point) and BMP units.
 * Calls `onEscaped(byte)` or `onChar(codePoint, units)`.
 */
function forEachCharacter(
  text: string,
  onEscaped: (byte: number, at: number) => void,
  onChar: (codePoint: number, at: number, units: number) => void,
  isEscape: (code: number) => boolean = isEscapedByte,
): void {
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        onChar(((code - 0xd800) << 10) + (next - 0xdc00) + 0x10000, i, 2);
        i += 2;
        continue;
      }
    }
    if (isEscape(code)) onEscaped(code - ESCAPE_BASE, i);
    else onChar(code, i, 1);
    i++;
  }
}

/** Collects bytes into one Buffer. */
class ByteSink {
  private chunks: Buffer[] = [];
  private pending: number[] = [];
  private length = 0;

  byte(value: number): void {
    this.pending.push(value);
  }

  bytes(value: Buffer): void {
    this.flushPending();
    this.chunks.push(value);
    this.length += value.length;
  }

  result(): Buffer {
    this.flushPending();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending));
    this.length += this.pending.length;
    this.pending = [];
  }
}

/**
 * UTF-16LE / BE: two bytes a code unit. A unit that is a lone surrogate, and a lone last byte, are
 * shown as escaped bytes. Here an escaped byte may be any byte, U+DC00..U+DCFF (UTF-8 needs only
 * U+DC80..U+DCFF), so the page's counter for UTF-16 counts that whole range as one byte each; the
 * decoder never leaves a lone surrogate of the file in the text, so none is mistaken for one.
 */
function utf16Codec(encoding: "utf-16le" | "utf-16be"): TextCodec {
  const littleEndian = encoding === "utf-16le";
  const unitAt = (bytes: Uint8Array, i: number) =>
    littleEndian ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!;
  const strict = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  return {
    encoding,
    counting: { kind: "utf-16", encoding },
    decode(bytes) {
      const even = bytes.length & ~1;
      let out: string | null = null;
      try {
        out = strict.decode(bytes.subarray(0, even));
      } catch {}
      if (out === null) {
        const parts: string[] = [];
        for (let i = 0; i < even; i += 2) {
          const unit = unitAt(bytes, i);
          if (unit < 0xd800 || unit > 0xdfff) {
            parts.push(String.fromCharCode(unit));
            continue;
          }
          const next = i + 3 < even ? unitAt(bytes, i + 2) : 0;
          if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            parts.push(String.fromCharCode(unit, next));
            i += 2;
          } else parts.push(escapeByte(bytes[i]!), escapeByte(bytes[i + 1]!));
        }
        out = parts.join("");
      }
      return even < bytes.length ? out + escapeByte(bytes[even]!) : out;
    },
    encode(text) {
      const out = Buffer.allocUnsafe(text.length * 2);
      let at = 0;
      const unit = (value: number) => {
        if (littleEndian) out.writeUInt16LE(value, at);
        else out.writeUInt16BE(value, at);
        at += 2;
      };
      forEachCharacter(
        text,
        (byte) => {
          out[at++] = byte;
        },
        (_codePoint, from, units) => {
          unit(text.charCodeAt(from));
          if (units === 2) unit(text.charCodeAt(from + 1));
        },
        isUtf16Escape,
      );
      return out.subarray(0, at);
    },
    unwritable: () => 0,
  };
}

/** In UTF-16 text any lone U+DC00..U+DCFF is an escaped byte (see utf16Codec). */
export function isUtf16Escape(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdcff;
}

/** What a legacy (ASCII-compatible, stateless) encoding writes for each character, and its decoder. */
interface LegacyTables {
  /** Encoded length of each BMP unit; 0 = the encoding cannot write it. */
  lengths: Uint8Array;
  /** Encoded length of characters above U+FFFF (0 = none can be written). */
  astral: number;
  /** Encodes a run of writable characters. */
  encodeRun(text: string): Buffer;
  /** Single-byte sets: the UTF-16 unit each byte decodes to (an escaped byte where none). */
  unitOfByte: Uint16Array | null;
}

const tablesCache = new Map<string, LegacyTables>();

/** Tables for `encoding`, built once: each BMP character is encoded and must decode back to itself. */
function legacyTables(encoding: string): LegacyTables {
  const cached = tablesCache.get(encoding);
  if (cached) return cached;
  const decoder = new TextDecoder(encoding, { fatal: true });
  const lengths = new Uint8Array(0x10000);
  const singleByte = isSingleByte(encoding);
  let encodeRun: (text: string) => Buffer;
  let unitOfByte: Uint16Array | null = null;
  if (singleByte) {
    // The WHATWG decoder defines the set: each byte it decodes is the encoding of that character.
    unitOfByte = singleByteUnits(encoding);
    const byteOf = new Map<number, number>();
    for (let byte = 0; byte < 256; byte++) {
      const code = unitOfByte[byte]!;
      if (code === ESCAPE_BASE + byte) continue;
      if (byteOf.has(code))
        unitOfByte[byte] = ESCAPE_BASE + byte; // a second byte for one character
      else {
        byteOf.set(code, byte);
        lengths[code] = 1;
      }
    }
    encodeRun = (text) => {
      const out = Buffer.allocUnsafe(text.length);
      for (let i = 0; i < text.length; i++) out[i] = byteOf.get(text.charCodeAt(i)) ?? QUESTION_MARK;
      return out;
    };
  } else {
    // ASCII is itself in every one of these (iconv-lite's tables turn a few controls into `?`).
    lengths.fill(1, 0, 0x80);
    encodeRun = (text) => {
      const parts: Buffer[] = [];
      let start = 0;
      while (start < text.length) {
        const ascii = text.charCodeAt(start) < 0x80;
        let end = start + 1;
        while (end < text.length && text.charCodeAt(end) < 0x80 === ascii) end++;
        const part = text.slice(start, end);
        parts.push(ascii ? Buffer.from(part, "latin1") : iconv.encode(part, encoding));
        start = end;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    };
    for (let code = 0x80; code < 0x10000; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCharCode(code);
      const bytes = iconv.encode(char, encoding);
      if (bytes.length === 0 || bytes.length > 4) continue;
      let back: string;
      try {
        back = decoder.decode(bytes);
      } catch {
        continue;
      }
      if (back === char) lengths[code] = bytes.length;
    }
  }
  const astral = encoding === "gb18030" ? 4 : 0;
  const tables = { lengths, astral, encodeRun, unitOfByte };
  tablesCache.set(encoding, tables);
  return tables;
}

/**
 * The unit each byte of a single-byte encoding decodes to, by the WHATWG decoder — except
 * Windows-1252 on a Node whose decoder reads it as ISO-8859-1 (Node 20 does: 0x80 comes out
 * U+0080, not €), where 0x80..0x9F are taken from iconv-lite's table. Bytes with no character
 * are escaped.
 */
function singleByteUnits(encoding: string): Uint16Array {
  const decoder = new TextDecoder(encoding, { fatal: true });
  const units = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let text = "";
    try {
      text = decoder.decode(Uint8Array.of(byte));
    } catch {}
    units[byte] = text.length === 1 && text !== "\ufffd" ? text.charCodeAt(0) : ESCAPE_BASE + byte;
  }
  if (encoding === "windows-1252" && units[0x80] === 0x80) {
    for (let byte = 0x80; byte < 0xa0; byte++) {
      const text = iconv.decode(Buffer.of(byte), "windows-1252");
      if (text.length === 1 && text !== "\ufffd") units[byte] = text.charCodeAt(0);
    }
  }
  return units;
}

/** Single-byte: one unit per byte, from the table. */
function decodeSingleByte(bytes: Uint8Array, unitOfByte: Uint16Array): string {
  const units = new Uint16Array(bytes.length);
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const unit = unitOfByte[bytes[i]!]!;
    units[i] = unit;
    if (unit >= 0xd800 && unit <= 0xdfff) escaped = true;
  }
  // The UTF-16 decoder is fast but would replace the lone surrogates that carry escaped bytes.
  if (!escaped) return utf16Units.decode(units);
  let out = "";
  for (let i = 0; i < units.length; i += 8192) {
    out += String.fromCharCode(...units.subarray(i, i + 8192));
  }
  return out;
}

const utf16Units = new TextDecoder("utf-16le");

function isSingleByte(encoding: string): boolean {
  return !["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"].includes(encoding);
}

/** A legacy encoding: Windows-125x, ISO-8859-x, KOI8, Shift_JIS, EUC-JP/KR, GB18030, GBK, Big5. */
function legacyCodec(encoding: string): TextCodec {
  const tables = legacyTables(encoding);
  const lenient = new TextDecoder(encoding);
  const strict = new TextDecoder(encoding, { fatal: true });

  const codec: TextCodec = {
    encoding,
    counting: { kind: "table", encoding, runs: compressRuns(tables.lengths), astral: tables.astral },
    decode(bytes) {
      if (tables.unitOfByte) return decodeSingleByte(bytes, tables.unitOfByte);
      // Fast path: the whole span decodes and encodes back to itself.
      const text = lenient.decode(bytes);
      if (!text.includes("\ufffd") && bytesEqual(codec.encode(text), bytes)) return text;
      return decodeBySequence(bytes);
    },
    encode(text) {
      const sink = new ByteSink();
      let runStart = -1;
      const flushRun = (end: number) => {
        if (runStart >= 0 && end > runStart) sink.bytes(tables.encodeRun(text.slice(runStart, end)));
        runStart = -1;
      };
      forEachCharacter(
        text,
        (byte, at) => {
          flushRun(at);
          sink.byte(byte);
        },
        (codePoint, at) => {
          const writable = codePoint > 0xffff ? tables.astral > 0 : tables.lengths[codePoint]! > 0;
          if (writable) {
            if (runStart < 0) runStart = at;
            return;
          }
          flushRun(at);
          sink.byte(QUESTION_MARK);
        },
      );
      flushRun(text.length);
      return sink.result();
    },
    unwritable(text) {
      let count = 0;
      forEachCharacter(
        text,
        () => {},
        (codePoint) => {
          if (codePoint > 0xffff ? tables.astral === 0 : tables.lengths[codePoint] === 0) count++;
        },
      );
      return count;
    },
  };

  /** The text of `bytes` if they decode and encode back to exactly themselves, else null. */
  function decodeExactly(bytes: Uint8Array): string | null {
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      return null;
    }
    return bytesEqual(codec.encode(text), bytes) ? text : null;
  }

  /**
   * Multi-byte: blocks of whole sequences decoded at once, and a block that does not come back
   * exactly, character by character, each shown only if it encodes back to its own bytes — else
   * all of its bytes are escaped (an ASCII one shown as itself), so the next character is read
   * from where this one ends (as character-boundary.ts counts characters), never from its
   * second byte.
   */
  function decodeBySequence(bytes: Uint8Array): string {
    let out = "";
    let i = 0;
    while (i < bytes.length) {
      let blockEnd = i;
      while (blockEnd < bytes.length && blockEnd - i < SEQUENCE_BLOCK_BYTES) {
        blockEnd = sequenceEnd(encoding, bytes, blockEnd);
      }
      const block = decodeExactly(bytes.subarray(i, blockEnd));
      if (block !== null) {
        out += block;
        i = blockEnd;
        continue;
      }
      while (i < blockEnd) {
        const end = sequenceEnd(encoding, bytes, i);
        const char =
          bytes[i]! < 0x80 ? String.fromCharCode(bytes[i]!) : decodeExactly(bytes.subarray(i, end));
        if (char) out += char;
        else {
          // Its second byte may be ASCII (Big5 81 40): that one shows as itself, as the WHATWG
          // decoders show it, and is written back as itself all the same.
          for (let k = i; k < end; k++)
            out += bytes[k]! < 0x80 ? String.fromCharCode(bytes[k]!) : escapeByte(bytes[k]!);
        }
        i = end;
      }
    }
    return out;
  }

  return codec;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const codecs = new Map<string, TextCodec>([["utf-8", utf8Codec]]);

/** The codec for a WHATWG encoding name or label; throws for one we do not read. */
export function textCodec(label: string): TextCodec {
  const encoding = encodingName(label);
  if (!encoding) throw new RangeError(`unknown or unsupported encoding: ${label}`);
  let codec = codecs.get(encoding);
  if (!codec) {
    codec = encoding === "utf-16le" || encoding === "utf-16be" ? utf16Codec(encoding) : legacyCodec(encoding);
    codecs.set(encoding, codec);
  }
  return codec;
}
