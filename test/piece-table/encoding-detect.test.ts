import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { guessEncoding } from "../../piece-table/encoding-detect.js";

const FRENCH = "Le café était fermé à Noël; élève, garçon, où êtes-vous? Déjà vu, 25 €.\n".repeat(200);
const JAPANESE = "日本語のテキストです。東京都、大阪府、ログ出力：エラーが発生しました。\n".repeat(200);
const CHINESE = "这是一个中文日志文件，用于测试编码检测。服务器错误：连接超时。\n".repeat(200);
const TRADITIONAL = "這是一個中文日誌檔案，用於測試編碼偵測。伺服器錯誤：連線逾時。\n".repeat(200);
const KOREAN = "한국어 로그 파일입니다. 서버 오류: 연결 시간 초과.\n".repeat(200);
const RUSSIAN = "Это русский текст для проверки кодировки. Ошибка сервера.\n".repeat(200);

const guess = (text: string, encoding: string) => guessEncoding(iconv.encode(text, encoding), false);

describe("guessEncoding", () => {
  it("reads byte order marks with full confidence", () => {
    expect(guessEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), false)).toMatchObject({
      encoding: "utf-8",
      bom: true,
      confidence: 1,
    });
    expect(guessEncoding(Buffer.from([0xff, 0xfe, 0x61, 0]), false)).toMatchObject({
      encoding: "utf-16le",
      bom: true,
    });
    expect(guessEncoding(Buffer.from([0xfe, 0xff, 0, 0x61]), false)).toMatchObject({
      encoding: "utf-16be",
      bom: true,
    });
  });

  it("tells UTF-16 without a BOM by its NULs, and binary from text", () => {
    expect(guess("plain ASCII log line\n".repeat(50), "utf-16le")).toMatchObject({
      encoding: "utf-16le",
      bom: false,
    });
    expect(guess("plain ASCII log line\n".repeat(50), "utf-16be")).toMatchObject({
      encoding: "utf-16be",
      bom: false,
    });
    expect(guessEncoding(Buffer.from([0x61, 0x00, 0x62]), false).encoding).toBe("binary");
    const elf = Buffer.alloc(4096);
    for (let i = 0; i < elf.length; i += 3) elf[i] = (i * 7) & 0xff;
    expect(guessEncoding(elf, false).encoding).toBe("binary");
  });

  it("calls ASCII and strict UTF-8 UTF-8, even cut mid-character at the sample's end", () => {
    expect(guessEncoding(Buffer.from("just ascii\n"), false)).toMatchObject({
      encoding: "utf-8",
      ascii: true,
      confidence: 1,
    });
    const utf8 = Buffer.from(JAPANESE);
    expect(guessEncoding(utf8, false)).toMatchObject({ encoding: "utf-8", ascii: false, confidence: 1 });
    expect(guessEncoding(utf8.subarray(0, utf8.length - 1), true).encoding).toBe("utf-8");
  });

  it.each([
    ["windows-1252", FRENCH],
    ["shift_jis", JAPANESE],
    ["euc-jp", JAPANESE],
    ["gb18030", CHINESE],
    ["big5", TRADITIONAL],
    ["euc-kr", KOREAN],
    ["windows-1251", RUSSIAN],
    ["koi8-r", RUSSIAN],
  ])("guesses %s text", (encoding, text) => {
    const result = guess(text, encoding);
    expect(result.encoding).toBe(encoding);
    expect(result.confidence).toBeGreaterThan(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
  });

  it("looks past a long ASCII head to where the non-ASCII text is", () => {
    const head = "2026-12-04T08:00:00Z INFO started\n".repeat(4000); // 136 KiB of ASCII
    expect(
      guessEncoding(Buffer.concat([Buffer.from(head), iconv.encode(JAPANESE, "shift_jis")]), false).encoding,
    ).toBe("shift_jis");
  });
});

describe("guessEncoding on UTF-8 with damage", () => {
  it("reads UTF-8 with a few bad bytes as UTF-8 (they show escaped), not as a legacy encoding", () => {
    const text = Buffer.from("Le café était fermé à Noël, déjà vu.\n".repeat(100));
    const damaged = Buffer.concat([text, Buffer.from([0xff, 0x0a]), text]);
    const guess = guessEncoding(damaged, false);
    expect(guess.encoding).toBe("utf-8");
    expect(guess.confidence).toBeGreaterThan(0.9);
    expect(guess.confidence).toBeLessThan(1);
  });
});

describe("guesses that a few bytes must not decide", () => {
  it("a stray byte far before UTF-8 text: the UTF-8 share is of the whole sample", () => {
    const sample = Buffer.concat([
      Buffer.from(`${"x".repeat(5000)}\n`),
      Buffer.from([0xff]),
      Buffer.from(`${"y".repeat(70_000)}\n`),
      Buffer.from("café déjà vu naïve\n".repeat(100)),
    ]);
    const guessed = guessEncoding(sample, false);
    expect(guessed.encoding).toBe("utf-8");
    expect(guessed.confidence).toBeGreaterThan(0.99);
  });

  it.each(["Größe: 5\n", "café\n", "Ñandú\n", "Total: 25 €\n", "© 2024 Müller GmbH\n"])(
    "short Latin-1 text %j is no CJK set",
    (text) => {
      const guessed = guess(text, "windows-1252");
      expect(["shift_jis", "euc-jp", "gb18030", "gbk", "big5", "euc-kr"]).not.toContain(guessed.encoding);
      expect(guessed.confidence).toBeLessThan(1);
    },
  );

  it("a sure CJK guess from little text stands (EUC-KR, five lines)", () => {
    expect(guess("안녕하세요 세계\n".repeat(5), "euc-kr").encoding).toBe("euc-kr");
  });
});
