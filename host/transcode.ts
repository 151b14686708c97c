/**
 * Converting a document's bytes from one encoding to another, piece by piece (Save with
 * Encoding): each piece is cut after its last line feed, decoded with the source codec and
 * encoded with the target one; the rest waits for the next piece, so no character is cut. Bytes
 * that do not decode are counted with what cannot be written (they are no characters): between
 * byte-based encodings written back as the same byte, to or from UTF-16 as `?`; characters the
 * target cannot write become `?` and are counted. A byte order mark is dropped when the target has none.
 */
import type { ByteTransform } from "../piece-table/index.js";
import type { TextCodec } from "./text-codec.js";

/** A line longer than this is converted in parts (a character may then be cut and kept escaped). */
const MAX_CARRY_BYTES = 64 * 1024 * 1024;

export interface Transcoder {
  transform: ByteTransform;
  /** Characters the target could not write so far (written as `?`). */
  readonly unwritable: number;
}

/** A lone U+DC00..U+DCFF: a byte that did not decode, travelling escaped (see protocol/escaped-text.ts). */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC00-\uDCFF]/g;

const isUtf16 = (codec: TextCodec) => codec.encoding === "utf-16le" || codec.encoding === "utf-16be";

/** Where the bytes can be cut after the last line feed (0: none), in the source's code units. */
function cutAfterLastLineFeed(bytes: Buffer, source: TextCodec): number {
  if (!isUtf16(source)) return bytes.lastIndexOf(0x0a) + 1;
  const littleEndian = source.encoding === "utf-16le";
  for (let i = (bytes.length & ~1) - 2; i >= 0; i -= 2) {
    const isLineFeed = littleEndian
      ? bytes[i] === 0x0a && bytes[i + 1] === 0
      : bytes[i] === 0 && bytes[i + 1] === 0x0a;
    if (isLineFeed) return i + 2;
  }
  return 0;
}

export function transcoder(source: TextCodec, target: TextCodec): Transcoder {
  let carried: Buffer = Buffer.alloc(0);
  let unwritable = 0;
  let first = true;
  const convert = (bytes: Buffer): Buffer => {
    let text = source.decode(bytes);
    if (first) {
      first = false;
      const targetHasBom = target.encoding === "utf-8" || isUtf16(target);
      if (text.charCodeAt(0) === 0xfeff && !targetHasBom) text = text.slice(1);
    }
    // A byte the source could not decode is no character: counted, and written as `?` — except
    // between byte-based encodings, where it is written back as the same byte (as it was).
    const sameByteBack = !isUtf16(source) && !isUtf16(target);
    text = text.replace(ESCAPED_BYTE, (escaped) => {
      unwritable++;
      return sameByteBack && escaped.charCodeAt(0) >= 0xdc80 ? escaped : "?";
    });
    unwritable += target.unwritable(text);
    return target.encode(text);
  };
  return {
    get unwritable() {
      return unwritable;
    },
    transform(bytes, last) {
      const pending = carried.length > 0 ? Buffer.concat([carried, bytes]) : bytes;
      if (last) {
        carried = Buffer.alloc(0);
        return convert(pending);
      }
      let cut = cutAfterLastLineFeed(pending, source);
      if (cut === 0 && pending.length > MAX_CARRY_BYTES) cut = pending.length & ~1;
      carried = Buffer.from(pending.subarray(cut));
      return cut > 0 ? convert(pending.subarray(0, cut)) : new Uint8Array(0);
    },
  };
}
