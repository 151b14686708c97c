import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { sequenceEnd } from "../../host/character-boundary.js";
import { ENCODINGS, encodingName, textCodec } from "../../host/text-codec.js";
import { byteCounterFor } from "../../protocol/byte-counter.js";

/** Text people write in each family, to round-trip as real files would hold it. */
const SAMPLES: Record<string, string> = {
  "windows-1252": "Le café était fermé à Noël — «déjà vu», 25 €\n",
  "windows-1251": "Ошибка сервера: соединение закрыто\n",
  "koi8-r": "Ошибка сервера: соединение закрыто\n",
  "windows-1253": "Σφάλμα διακομιστή\n",
  "iso-8859-2": "Zażółć gęślą jaźń\n",
  shift_jis: "東京都、ログ出力：エラーが発生しました。ｶﾀｶﾅ\n",
  "euc-jp": "東京都、ログ出力：エラーが発生しました。\n",
  gb18030: "这是一个中文日志文件，服务器错误：连接超时。😀\n",
  gbk: "这是一个中文日志文件，服务器错误：连接超时。\n",
  big5: "這是一個中文日誌檔案，伺服器錯誤。\n",
  "euc-kr": "한국어 로그 파일입니다. 서버 오류\n",
  "utf-16le": "mixed ASCII, café, 東京, 😀\n",
  "utf-16be": "mixed ASCII, café, 東京, 😀\n",
};

const TESTED = [
  "windows-1252",
  "iso-8859-8",
  "koi8-r",
  "shift_jis",
  "euc-jp",
  "gb18030",
  "big5",
  "euc-kr",
  "utf-16le",
  "utf-16be",
  "utf-8",
];

describe("text codecs", () => {
  it("know the names people use for an encoding", () => {
    expect(encodingName("latin1")).toBe("windows-1252");
    expect(encodingName("Shift_JIS")).toBe("shift_jis");
    expect(encodingName("sjis")).toBe("shift_jis");
    expect(encodingName("UTF-16")).toBe("utf-16le");
    expect(encodingName("klingon")).toBeNull();
    expect(() => textCodec("klingon")).toThrow(/unsupported encoding: klingon/);
    for (const { encoding } of ENCODINGS) expect(encodingName(encoding)).toBe(encoding);
  });

  it("decode what iconv writes to the same text and encode it back to the same bytes", () => {
    for (const [encoding, sample] of Object.entries(SAMPLES)) {
      const codec = textCodec(encoding);
      const bytes = iconv.encode(sample, encoding);
      expect(codec.decode(bytes), encoding).toBe(sample);
      expect(Buffer.compare(codec.encode(sample), bytes), encoding).toBe(0);
      expect(byteCounterFor(codec.counting).byteLength(sample), encoding).toBe(bytes.length);
    }
  });

  it.each(TESTED)(
    "%s: any bytes decode to text that encodes back to exactly those bytes, counted exactly",
    (encoding) => {
      const codec = textCodec(encoding);
      const counter = byteCounterFor(codec.counting);
      // Bytes biased toward the encoding's own text, with arbitrary bytes mixed in.
      const own = iconv.encode(SAMPLES[encoding] ?? "café\n", encoding === "utf-8" ? "utf8" : encoding);
      const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...own));
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 200 }), (values) => {
          const bytes = Buffer.from(values);
          const text = codec.decode(bytes);
          expect(Buffer.compare(codec.encode(text), bytes)).toBe(0);
          expect(counter.byteLength(text)).toBe(bytes.length);
          // Every character boundary the counter finds is a byte offset whose prefix encodes to that many bytes.
          for (let at = 0; at <= bytes.length; at += 7) {
            const index = counter.indexAtByte(text, at);
            expect(codec.encode(text.slice(0, index)).length).toBe(counter.byteLength(text, 0, index));
          }
        }),
        { numRuns: 300 },
      );
    },
  );

  it.each(["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"])(
    "%s: any bytes decode character by character as the boundary walk reads them (no shifted text)",
    (encoding) => {
      const codec = textCodec(encoding);
      const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x81, max: 0xfe }));
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 120 }), (values) => {
          const bytes = Buffer.from(values);
          // Decoding each sequence alone gives the same text as decoding them all at once.
          let alone = "";
          for (let at = 0; at < bytes.length; ) {
            const end = sequenceEnd(encoding, bytes, at);
            alone += codec.decode(bytes.subarray(at, end));
            at = end;
          }
          expect(codec.decode(bytes)).toBe(alone);
        }),
        { numRuns: 300 },
      );
    },
  );

  it.each(["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"])(
    "%s: a two-byte character that does not encode back is escaped whole, and the text after it reads right",
    (encoding) => {
      const codec = textCodec(encoding);
      const decoder = new TextDecoder(encoding);
      const after = iconv.encode("中文", encoding);
      let escapedPairs = 0;
      for (let lead = 0x81; lead <= 0xfe; lead++) {
        for (let trail = 0x40; trail <= 0xfe; trail++) {
          const pair = Buffer.from([lead, trail]);
          const whatwg = decoder.decode(pair);
          // Pairs the decoder reads as one character and the sequences' shape does too (Node's
          // EUC-JP decoder also takes 8E E0 as ¢, a pair the WHATWG standard does not have).
          if (whatwg.length !== 1 || whatwg === "\ufffd" || sequenceEnd(encoding, pair, 0) !== 2) continue;
          const text = codec.decode(Buffer.concat([pair, after, Buffer.from("\n")]));
          if (text === `${whatwg}中文\n`) continue;
          // Shown escaped: the lead as a box, the second byte too (or as itself when ASCII).
          const second = trail < 0x80 ? String.fromCharCode(trail) : String.fromCharCode(0xdc00 + trail);
          expect(text, pair.toString("hex")).toBe(`${String.fromCharCode(0xdc00 + lead)}${second}中文\n`);
          escapedPairs++;
        }
      }
      // Shift_JIS's NEC duplicates (87 90 ≒) are among them: iconv-lite writes their JIS forms.
      if (encoding === "shift_jis") expect(escapedPairs).toBeGreaterThan(100);
    },
  );

  it.each(TESTED)(
    "%s: typed text is counted as it will be written, and what cannot be written is told",
    (encoding) => {
      const codec = textCodec(encoding);
      const counter = byteCounterFor(codec.counting);
      fc.assert(
        fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (typed) => {
          // Lone surrogates cannot be typed; the page's text only holds them as escaped bytes.
          expect(codec.encode(typed).length).toBe(counter.byteLength(typed));
        }),
        { numRuns: 300 },
      );
      if (encoding.startsWith("utf")) expect(codec.unwritable("😀 東京")).toBe(0);
      else expect(codec.unwritable("😀")).toBe(encoding === "gb18030" ? 0 : 1);
    },
  );

  it("writes a character the encoding lacks as ?", () => {
    const codec = textCodec("windows-1252");
    expect(codec.encode("Привет €").toString("latin1")).toBe("?????? \x80");
    expect(codec.unwritable("Привет €")).toBe(6);
  });

  it("shows UTF-16's lone surrogates and a lone last byte as escaped bytes, and keeps them", () => {
    const codec = textCodec("utf-16le");
    const bytes = Buffer.from([0x61, 0x00, 0x00, 0xd8, 0x62, 0x00, 0x41]); // a, lone high surrogate, b, odd byte
    const text = codec.decode(bytes);
    expect(text).toBe("a\udc00\udcd8b\udc41");
    expect(Buffer.compare(codec.encode(text), bytes)).toBe(0);
    expect(byteCounterFor(codec.counting).byteLength(text)).toBe(7);
  });

  it("decodes a window with a bad byte in the middle without losing the text around it", () => {
    const codec = textCodec("shift_jis");
    const good = iconv.encode("エラーが発生しました。\n".repeat(2000), "shift_jis");
    const bytes = Buffer.concat([good, Buffer.from([0xff]), good]);
    const text = codec.decode(bytes);
    expect(text).toBe(
      `${"エラーが発生しました。\n".repeat(2000)}\udcff${"エラーが発生しました。\n".repeat(2000)}`,
    );
  });
});
