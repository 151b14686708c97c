import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEscaped, encodeEscaped, indexAtByte, utf8ByteLength } from "../../protocol/index.js";

/** Bytes that stress the escaping: valid UTF-8 of every length, and every kind of invalid. */
const bytes = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 8 }),
    fc.constantFrom("a", "é", "€", "😀", "\r\n", "\u0000").map((text) => Buffer.from(text)),
    fc
      .constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0x80])
      .map((b) => Uint8Array.from(b)),
  ),
  { maxLength: 20 },
);

describe("escaped text: every byte survives the trip through a JavaScript string", () => {
  it("decode then encode gives back exactly the bytes, and the byte count is known from the text", () => {
    fc.assert(
      fc.property(bytes, (parts) => {
        const original = Buffer.concat(parts);
        const text = decodeEscaped(original);
        expect(Buffer.from(encodeEscaped(text)).equals(original)).toBe(true);
        expect(utf8ByteLength(text)).toBe(original.length);
        // Any prefix of the text maps to the bytes it encodes.
        for (let i = 0; i <= text.length; i++) {
          const prefixBytes = utf8ByteLength(text, 0, i);
          expect(indexAtByte(text, prefixBytes)).toBeGreaterThanOrEqual(
            i > 0 && isLowSurrogateOfPair(text, i) ? i + 1 : i,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("valid UTF-8 decodes as usual; only invalid bytes become lone surrogates", () => {
    expect(decodeEscaped(Buffer.from("héllo 😀"))).toBe("héllo 😀");
    expect(decodeEscaped(Buffer.from([0x61, 0xff, 0x62]))).toBe("a\udcffb");
    expect(Buffer.from(encodeEscaped("x\udc80y")).equals(Buffer.from([0x78, 0x80, 0x79]))).toBe(true);
  });
});

function isLowSurrogateOfPair(text: string, i: number): boolean {
  const high = text.charCodeAt(i - 1);
  const low = text.charCodeAt(i);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
