import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import iconv from "iconv-lite";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { open } from "../../piece-table/index.js";
import { byteCounterFor } from "../../protocol/index.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: Buffer, name = "doc.log") {
  const dir = tempDir();
  const path = join(dir, name);
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, { stateDir: join(dir, "state"), autosave: false });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, ui: new FakeChannel(host) };
}

/** A log in many lines, as a program on such a system writes it. */
function logIn(encoding: string, lines: readonly string[], count: number): Buffer {
  const text = Array.from(
    { length: count },
    (_, i) => `${String(i).padStart(5, "0")} ${lines[i % lines.length]}\n`,
  ).join("");
  return iconv.encode(text, encoding);
}

const FRENCH = ["Le café était fermé à Noël", "Déjà vu: «élève» et garçon", "Prix: 25 € — payé"];
const JAPANESE = ["東京都でエラーが発生しました", "ﾃｽﾄ：ログ出力を開始します", "接続がタイムアウトしました"];

describe("documents in other encodings, through the host", () => {
  it.each([
    ["windows-1252", FRENCH],
    ["shift_jis", JAPANESE],
  ])(
    "%s: shown decoded, edited in its encoding, saved with every other byte as it was",
    async (encoding, lines) => {
      const original = logIn(encoding, lines, 3000);
      const { ui, path } = await hostFor(original);
      const info = await ui.request("hello", { protocol: 1 });
      expect(info.encoding).toBe(encoding);
      expect(info.encodingConfidence).toBeGreaterThan(0);
      expect(info.counting?.kind).toBe("table");
      const counter = byteCounterFor(info.counting!);

      const window = await ui.request("window", { anchor: { line: 1000 }, linesBefore: 2, linesAfter: 2 });
      const anchorLine = window.lines[window.anchorIndex]!;
      expect(anchorLine).toBe(`01000 ${lines[1000 % lines.length]}`);

      // The page edits line 1000: after its 6th character, it types text of the same family.
      let lineStart = window.start;
      for (let i = 0; i < window.anchorIndex; i++)
        lineStart += counter.byteLength(window.lines[i]!) + window.breaks[i]!;
      const at = lineStart + counter.byteLength(anchorLine, 0, 6);
      const typed = encoding === "shift_jis" ? "【注意】" : "Ça! ";
      const { version } = await ui.request("edit", {
        baseVersion: info.version,
        edits: [{ start: at, end: at, text: typed }],
      });
      const after = await ui.request("window", { anchor: { line: 1000 }, linesBefore: 0, linesAfter: 0 });
      expect(after.version).toBe(version);
      expect(after.lines[after.anchorIndex]).toBe(`01000 ${typed}${lines[1000 % lines.length]}`);

      await ui.request("save", {});
      const saved = readFileSync(path);
      const inserted = iconv.encode(typed, encoding);
      expect(saved.length).toBe(original.length + inserted.length);
      expect(saved.subarray(0, at).equals(original.subarray(0, at))).toBe(true);
      expect(saved.subarray(at, at + inserted.length).equals(inserted)).toBe(true);
      expect(saved.subarray(at + inserted.length).equals(original.subarray(at))).toBe(true);
    },
  );

  it("finds, counts, filters and replaces text as the file writes it", async () => {
    const { ui, path } = await hostFor(logIn("shift_jis", JAPANESE, 300));
    await ui.request("hello", { protocol: 1 });
    const query = { pattern: "タイムアウト" };
    expect(await ui.request("count", { searchId: 1, query })).toEqual({ count: 100 });
    const next = await ui.request("findNext", { query, from: 0, direction: "forward" });
    const text = await ui.request("readText", { start: next.match!.start, end: next.match!.end });
    expect(text.text).toBe("タイムアウト");
    await ui.request("filter", { filterId: 7, query: { pattern: "東京" } });
    const filtered = await ui.request("filterLines", { filterId: 7, from: 0, count: 2 });
    expect(filtered.lines.map((line) => line.text)).toEqual([`00000 ${JAPANESE[0]}`, `00003 ${JAPANESE[0]}`]);
    // Replace takes whole-character matches only (a second byte may be ASCII: ア is 83 41).
    const { version } = await ui.request("hello", { protocol: 1 });
    const replaced = await ui.request("replaceAll", { baseVersion: version, query, replacement: "時間切れ" });
    expect(replaced.count).toBe(100);
    await ui.request("save", {});
    const bytesOf = (text: string) => iconv.encode(text, "shift_jis").toString("latin1");
    const expected = logIn("shift_jis", JAPANESE, 300)
      .toString("latin1")
      .replaceAll(bytesOf("タイムアウト"), bytesOf("時間切れ"));
    expect(readFileSync(path).toString("latin1")).toBe(expected);
  });

  it("replaces in EUC-JP, whose second bytes are never ASCII", async () => {
    const { ui, path } = await hostFor(logIn("euc-jp", JAPANESE, 300));
    const { version, encoding } = await ui.request("hello", { protocol: 1 });
    expect(encoding).toBe("euc-jp");
    const query = { pattern: "タイムアウト" };
    const replaced = await ui.request("replaceAll", { baseVersion: version, query, replacement: "時間切れ" });
    expect(replaced.count).toBe(100);
    await ui.request("save", {});
    expect(iconv.decode(readFileSync(path), "euc-jp")).toBe(
      iconv.decode(logIn("euc-jp", JAPANESE, 300), "euc-jp").replaceAll("タイムアウト", "時間切れ"),
    );
  });

  it("takes ASCII regular expressions in legacy text, and says why it does not take others", async () => {
    const { ui } = await hostFor(logIn("windows-1252", FRENCH, 30));
    await ui.request("hello", { protocol: 1 });
    expect(await ui.request("count", { searchId: 1, query: { pattern: "^0001\\d", regex: true } })).toEqual({
      count: 10,
    });
    await expect(
      ui.request("count", { searchId: 2, query: { pattern: "caf.", regex: true } }),
    ).resolves.toEqual({ count: 10 });
    // Text with no letter that has a case is found as it is, whatever the case option says.
    expect(
      await ui.request("count", { searchId: 4, query: { pattern: "€ —", caseSensitive: false } }),
    ).toEqual({
      count: 10,
    });
    await expect(
      ui.request("count", { searchId: 3, query: { pattern: "café", caseSensitive: false } }),
    ).rejects.toMatchObject({
      code: "EENCODING",
    });
  });

  it("reopens the same bytes in another encoding, tells every UI, and changes nothing on disk", async () => {
    const original = logIn("windows-1251", ["Ошибка сервера", "Соединение закрыто"], 50);
    const { ui, host, path } = await hostFor(original);
    const other = new FakeChannel(host);
    await ui.request("hello", { protocol: 1 });
    const info = await ui.request("reopenWithEncoding", { encoding: "koi8-r" });
    expect(info).toMatchObject({ encoding: "koi8-r", encodingConfidence: 1 });
    expect(other.events("reopened")).toHaveLength(1);
    const asKoi8 = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    expect(asKoi8.lines[0]).toBe(iconv.decode(original, "koi8-r").split("\n")[0]);
    const back = await ui.request("reopenWithEncoding", { encoding: "cp1251" });
    expect(back.encoding).toBe("windows-1251");
    expect(
      (await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 })).lines[0],
    ).toBe("00000 Ошибка сервера");
    await expect(ui.request("reopenWithEncoding", { encoding: "klingon" })).rejects.toMatchObject({
      code: "EENCODING",
    });
    // UTF-16 is counted in code units: the file is opened anew in the engine, and back again.
    const asUtf16 = await ui.request("reopenWithEncoding", { encoding: "utf-16le" });
    expect(asUtf16).toMatchObject({ encoding: "utf-16le", length: original.length });
    expect(asUtf16.version).toBeGreaterThan(back.version);
    const lines16 = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    expect(lines16.lines[0]).toBe(new TextDecoder("utf-16le").decode(original).split("\n")[0]);
    const again = await ui.request("reopenWithEncoding", { encoding: "windows-1251" });
    await host.doc.whenIndexed();
    expect((await ui.request("hello", { protocol: 1 })).lineCount).toBe(51);
    expect(
      (await ui.request("window", { anchor: { line: 49 }, linesBefore: 0, linesAfter: 0 })).lines[0],
    ).toBe("00049 Соединение закрыто");
    // Edits typed in one encoding are not reread in another.
    await ui.request("edit", { baseVersion: again.version, edits: [{ start: 0, end: 0, text: "x" }] });
    await expect(ui.request("reopenWithEncoding", { encoding: "koi8-r" })).rejects.toMatchObject({
      code: "EMODIFIED",
    });
    expect(readFileSync(path).equals(original)).toBe(true);
  });

  it("keeps the encoding chosen across hot exit: edits typed in it are read back in it", async () => {
    const original = logIn("windows-1251", ["Ошибка сервера", "Соединение закрыто"], 50);
    const { ui, host, path } = await hostFor(original);
    await ui.request("hello", { protocol: 1 });
    const chosen = await ui.request("reopenWithEncoding", { encoding: "koi8-r" });
    await ui.request("edit", { baseVersion: chosen.version, edits: [{ start: 0, end: 0, text: "Привет " }] });
    await host.close();
    const reopened = await HostedDocument.open(path, {
      stateDir: join(dirname(path), "state"),
      autosave: false,
    });
    opened.push(reopened);
    const again = new FakeChannel(reopened);
    const info = await again.request("hello", { protocol: 1 });
    expect(info).toMatchObject({ encoding: "koi8-r", modified: true });
    const line = await again.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    expect(line.lines[0]).toBe(`Привет ${iconv.decode(original, "koi8-r").split("\n")[0]}`);
    await again.request("save", {});
    expect(readFileSync(path).equals(Buffer.concat([iconv.encode("Привет ", "koi8-r"), original]))).toBe(
      true,
    );
  });

  it("keeps bytes that do not decode, and writes what the encoding lacks as ?", async () => {
    const original = Buffer.concat([
      iconv.encode("café ", "windows-1252"),
      Buffer.from([0x81]),
      Buffer.from(" fin\n"),
    ]);
    const { ui, path } = await hostFor(original);
    const info = await ui.request("hello", { protocol: 1 });
    expect(info.encoding).toBe("windows-1252");
    const window = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    // Windows-1252 reads 0x81 as the control U+0081 (WHATWG); read as Shift_JIS, "é " is no character.
    expect(window.lines[0]).toBe("café \u0081 fin");
    const asShiftJis = await ui.request("reopenWithEncoding", { encoding: "shift_jis" });
    expect(
      (await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 })).lines[0],
    ).toBe("caf\udce9 \udc81 fin");
    const again = await ui.request("reopenWithEncoding", { encoding: "windows-1252" });
    expect(again.version).toBe(asShiftJis.version + 1);
    const edited = await ui.request("edit", {
      baseVersion: again.version,
      edits: [{ start: 11, end: 11, text: " 😀" }],
    });
    expect(edited.unwritable).toBe(1);
    await ui.request("save", {});
    expect(
      readFileSync(path).equals(
        Buffer.concat([original.subarray(0, 11), Buffer.from(" ?"), original.subarray(11)]),
      ),
    ).toBe(true);
  });
});

describe("Save with Encoding", () => {
  it("converts the whole text, saves it atomically, and reads the document in the new encoding", async () => {
    const text = `${Array.from({ length: 40_000 }, (_, i) => `${i} Le café était fermé à Noël — 25 €`).join("\n")}\n`;
    const { ui, host, path } = await hostFor(iconv.encode(text, "windows-1252"));
    const other = new FakeChannel(host);
    await ui.request("hello", { protocol: 1 });
    const { info, length } = await ui.request("saveWithEncoding", { encoding: "utf-8" });
    expect(info).toMatchObject({ encoding: "utf-8", encodingConfidence: 1 });
    expect(info.counting).toBeUndefined();
    expect(readFileSync(path).equals(Buffer.from(text))).toBe(true);
    expect(length).toBe(Buffer.byteLength(text));
    expect(other.events("reopened").at(-1)?.info.encoding).toBe("utf-8");
    const window = await ui.request("window", { anchor: { line: 39_999 }, linesBefore: 0, linesAfter: 0 });
    expect(window.lines[window.anchorIndex]).toBe("39999 Le café était fermé à Noël — 25 €");
  });

  it("refuses, changing nothing, when characters cannot be written — and writes ? when told to", async () => {
    const original = iconv.encode("東京 cafe\nline two\n", "shift_jis");
    const { ui, path } = await hostFor(original);
    await ui.request("hello", { protocol: 1 });
    await ui.request("reopenWithEncoding", { encoding: "shift_jis" });
    await expect(ui.request("saveWithEncoding", { encoding: "windows-1252" })).rejects.toMatchObject({
      code: "EUNWRITABLE",
      message: expect.stringMatching(/^2 characters cannot be written in windows-1252/),
    });
    expect(readFileSync(path).equals(original)).toBe(true);
    expect((await ui.request("hello", { protocol: 1 })).modified).toBe(false);
    // The refusal changed nothing: no redo step either.
    expect((await ui.request("redo", {})).done).toBe(false);
    const { info } = await ui.request("saveWithEncoding", { encoding: "windows-1252", force: true });
    expect(info.encoding).toBe("windows-1252");
    expect(readFileSync(path).toString("latin1")).toBe("?? cafe\nline two\n");
  });

  it("converts to UTF-16 and back, each time saved the normal way and read anew in the new encoding", async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${i} Le café était fermé — 25 €\n`).join("");
    const original = iconv.encode(text, "windows-1252");
    const { ui, path, host } = await hostFor(original);
    const other = new FakeChannel(host);
    let info = await ui.request("hello", { protocol: 1 });
    expect(info.encoding).toBe("windows-1252");
    // An unsaved edit goes with the conversion.
    await ui.request("edit", { baseVersion: info.version, edits: [{ start: 0, end: 0, text: "é" }] });
    ({ info } = await ui.request("saveWithEncoding", { encoding: "utf-16le" }));
    expect(info).toMatchObject({ encoding: "utf-16le", modified: false });
    await host.doc.whenIndexed();
    expect((await ui.request("hello", { protocol: 1 })).lineCount).toBe(3001);
    expect(readFileSync(path).equals(iconv.encode(`é${text}`, "utf-16le"))).toBe(true);
    expect(other.events("reopened").at(-1)?.info.encoding).toBe("utf-16le");
    const last = await ui.request("window", { anchor: { line: 2999 }, linesBefore: 0, linesAfter: 0 });
    expect(last.lines[last.anchorIndex]).toBe("2999 Le café était fermé — 25 €");
    // The undo history starts at the conversion: no step brings back the old bytes in the new encoding.
    expect((await ui.request("undo", {})).done).toBe(false);
    // Edited in UTF-16 (unsaved), then converted back: the edit is saved first, then converted.
    await ui.request("edit", {
      baseVersion: info.version,
      edits: [{ start: info.length, end: info.length, text: "fin\n" }],
    });
    ({ info } = await ui.request("saveWithEncoding", { encoding: "windows-1252" }));
    expect(info).toMatchObject({ encoding: "windows-1252", modified: false });
    await host.doc.whenIndexed();
    expect((await ui.request("hello", { protocol: 1 })).lineCount).toBe(3002);
    expect(readFileSync(path).equals(iconv.encode(`é${text}fin\n`, "windows-1252"))).toBe(true);
    // And the UTF-16 side in big-endian, from UTF-8.
    ({ info } = await ui.request("saveWithEncoding", { encoding: "utf-8" }));
    ({ info } = await ui.request("saveWithEncoding", { encoding: "utf-16be" }));
    expect(readFileSync(path).equals(iconv.encode(`é${text}fin\n`, "utf-16be"))).toBe(true);
    expect(info.encoding).toBe("utf-16be");
  });

  it("counts bytes that are no text as unwritable: a UTF-16 file's lone byte is not turned into U+FFFD unasked", async () => {
    const original = Buffer.concat([
      Buffer.from("\ufeffab\n", "utf16le"),
      Buffer.from([0x00, 0xd8]), // a lone high surrogate
      Buffer.from("c\n", "utf16le"),
      Buffer.from([0x41]), // an odd last byte
    ]);
    const { ui, path } = await hostFor(original);
    await ui.request("hello", { protocol: 1 });
    await expect(ui.request("saveWithEncoding", { encoding: "utf-8" })).rejects.toMatchObject({
      code: "EUNWRITABLE",
    });
    expect(readFileSync(path).equals(original)).toBe(true);
    // Told to, each such byte becomes ? (no ASCII-range byte is written raw into UTF-8 text).
    await ui.request("saveWithEncoding", { encoding: "utf-8", force: true });
    expect(readFileSync(path).toString("utf8")).toBe("\ufeffab\n??c\n?");
  });

  it("refuses before converting anything when another program changed the file, keeping redo", async () => {
    const { ui, path } = await hostFor(Buffer.from("café au lait\n"));
    const info = await ui.request("hello", { protocol: 1 });
    await ui.request("edit", { baseVersion: info.version, edits: [{ start: 0, end: 0, text: "MINE " }] });
    await ui.request("undo", {});
    utimesSync(path, new Date(2000, 1, 1), new Date(2000, 1, 1));
    await expect(ui.request("saveWithEncoding", { encoding: "windows-1252" })).rejects.toMatchObject({
      code: "EFILECHANGED",
    });
    await ui.request("redo", {});
    const line = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    expect(line.lines[0]).toBe("MINE café au lait");
  });

  it("names the new encoding in the session before its save commits the converted text (a crash mid-save)", async () => {
    const { host, ui, path } = await hostFor(Buffer.from("café au lait\n".repeat(400_000)));
    await ui.request("hello", { protocol: 1 });
    let during: Promise<{ encoding: string | null; head: string }> | null = null;
    host.doc.on("saveProgress", () => {
      // What a restart right now would restore: a read-only open shows the committed session.
      during ??= open(path, { readOnly: true, stateDir: join(dirname(path), "state") }).then(async (view) => {
        const seen = { encoding: view.encoding, head: view.read(0, 4).toString("hex") };
        await view.close();
        return seen;
      });
    });
    await ui.request("saveWithEncoding", { encoding: "windows-1252" });
    expect(during).not.toBeNull();
    expect(await during).toEqual({ encoding: "windows-1252", head: "636166e9" });
  });

  it("is cancelled by cancelSave while it converts, leaving the text and the file as they were", async () => {
    const text = "Le café était fermé\n".repeat(600_000); // 12 MB: several pieces of the rewrite
    const original = iconv.encode(text, "windows-1252");
    const { ui, path } = await hostFor(original);
    const info = await ui.request("hello", { protocol: 1 });
    const saving = ui.request("saveWithEncoding", { encoding: "utf-8" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ui.request("cancelSave", {});
    await expect(saving).rejects.toMatchObject({ code: "EABORTED" });
    const after = await ui.request("hello", { protocol: 1 });
    expect(after).toMatchObject({ encoding: "windows-1252", modified: false, length: info.length });
    expect(readFileSync(path).equals(original)).toBe(true);
    const line = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 });
    expect(line.lines[0]).toBe("Le café était fermé");
  });
});

describe("regex replace in legacy text", () => {
  it("copies captured bytes as they were, and writes the template's ASCII", async () => {
    const original = iconv.encode("id=1 café\nid=22 Noël\n", "windows-1252");
    const { ui, host } = await hostFor(original);
    const info = await ui.request("hello", { protocol: 1 });
    expect(info.encoding).toBe("windows-1252");
    const query = { pattern: "id=(\\d+) (\\S+)", regex: true };
    const result = await ui.request("replaceAll", {
      baseVersion: info.version,
      query,
      replacement: "<$2:$1>",
    });
    expect(result.count).toBe(2);
    expect(
      host.doc.read(0, host.doc.length).equals(iconv.encode("<café:1>\n<Noël:22>\n", "windows-1252")),
    ).toBe(true);
    await expect(
      ui.request("replaceAll", { baseVersion: result.version, query, replacement: "€$1" }),
    ).rejects.toMatchObject({ code: "EENCODING" });
  });
});

describe("UTF-16 documents through the host", () => {
  // 上 is 0A 4E in UTF-16LE and 4E 0A in BE: a 0x0A byte that is no line feed.
  const LINES = ["SELECT 上海 FROM t", "CRLF row\r", "plain ASCII row", "emoji 😀 row"];
  const text = `${Array.from({ length: 5000 }, (_, i) => `${i} ${LINES[i % LINES.length]}`).join("\n")}\n`;

  it.each([
    ["utf-16le", false],
    ["utf-16be", false],
    ["utf-16le", true],
  ])(
    "%s (BOM: %s): windows cut at code-unit line feeds, edits and saves byte-exact, finds and filters",
    async (encoding, bom) => {
      const body = iconv.encode(text, encoding);
      const original = bom ? Buffer.concat([iconv.encode("\ufeff", encoding), body]) : body;
      const { ui, path } = await hostFor(original);
      const info = await ui.request("hello", { protocol: 1 });
      expect(info).toMatchObject({ encoding, lineCount: 5001, counting: { kind: "utf-16", encoding } });
      const counter = byteCounterFor(info.counting!);

      const first = await ui.request("window", { anchor: { byte: 0 }, linesBefore: 0, linesAfter: 3 });
      expect(first.start).toBe(bom ? 2 : 0);
      expect(first.lines.slice(0, 4)).toEqual([
        "0 SELECT 上海 FROM t",
        "1 CRLF row",
        "2 plain ASCII row",
        "3 emoji 😀 row",
      ]);
      expect(first.breaks.slice(0, 3)).toEqual([2, 4, 2]);

      const window = await ui.request("window", { anchor: { line: 4001 }, linesBefore: 1, linesAfter: 1 });
      expect(window.lines[window.anchorIndex]).toBe("4001 CRLF row");
      let at = window.start;
      for (let i = 0; i < window.anchorIndex; i++)
        at += counter.byteLength(window.lines[i]!) + window.breaks[i]!;
      at += counter.byteLength("4001 ");
      await ui.request("edit", { baseVersion: info.version, edits: [{ start: at, end: at, text: "上 " }] });
      await ui.request("save", {});
      const inserted = iconv.encode("上 ", encoding);
      expect(
        readFileSync(path).equals(Buffer.concat([original.subarray(0, at), inserted, original.subarray(at)])),
      ).toBe(true);

      expect(await ui.request("count", { searchId: 1, query: { pattern: "上海" } })).toEqual({ count: 1250 });
      await ui.request("filter", { filterId: 2, query: { pattern: "😀" } });
      const filtered = await ui.request("filterLines", { filterId: 2, from: 0, count: 2 });
      expect(filtered.lines.map((line) => line.text)).toEqual(["3 emoji 😀 row", "7 emoji 😀 row"]);
      // The matching lines saved to a file keep the document's encoding, line ends included.
      const saved = await ui.request("saveFiltered", { filterId: 2, path: join(dirname(path), "emoji.txt") });
      expect(saved.lines).toBe(1250);
      const out = readFileSync(join(dirname(path), "emoji.txt"));
      expect(iconv.decode(out, encoding).split("\n").slice(0, 2)).toEqual([
        "3 emoji 😀 row",
        "7 emoji 😀 row",
      ]);
      expect(out.length % 2).toBe(0);
      // Read as bytes instead: the engine opens the file anew, counting lines in bytes.
      const asBytes = await ui.request("reopenWithEncoding", { encoding: "utf-8" });
      expect(asBytes).toMatchObject({ encoding: "utf-8", length: readFileSync(path).length });
    },
  );
});
