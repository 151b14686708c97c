import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import iconv from "iconv-lite";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { byteCounterFor } from "../../protocol/index.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: Buffer, encoding: string) {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, { stateDir: join(dir, "state"), autosave: false, encoding });
  opened.push(host);
  await host.doc.whenIndexed();
  const ui = new FakeChannel(host);
  const info = await ui.request("hello", { protocol: 1 });
  return { host, path, ui, info };
}

describe("long lines in the multi-byte sets, through the host", () => {
  it.each([
    ["shift_jis", "日本語"],
    ["gbk", "中文字"],
    ["big5", "中文字"],
    ["euc-kr", "한국어"],
  ])(
    "%s: each segment shows its characters, and typing in the second lands between two",
    async (encoding, unit) => {
      const text = `a${unit.repeat(3000)}`;
      const original = iconv.encode(`${text}\n`, encoding);
      const { ui, info, path } = await hostFor(original, encoding);
      const window = await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 3 });
      expect(window.lines.length).toBeGreaterThan(2);
      for (const line of window.lines) expect(line).not.toMatch(/[\udc00-\udcff]/);
      expect(window.lines.slice(0, -1).join("")).toBe(text);

      const counter = byteCounterFor(info.counting!);
      const segmentStart = window.start + counter.byteLength(window.lines[0]!) + window.breaks[0]!;
      const at = segmentStart + counter.byteLength(window.lines[1]!, 0, 10);
      await ui.request("edit", { baseVersion: info.version, edits: [{ start: at, end: at, text: "X" }] });
      await ui.request("save", {});
      const shown = window.lines[0]! + window.lines[1]!.slice(0, 10);
      expect(iconv.decode(readFileSync(path), encoding)).toBe(`${shown}X${text.slice(shown.length)}\n`);
    },
  );
});

describe("finds in the multi-byte sets take whole characters only", () => {
  /** Byte offsets of `needle` in `haystack` that start a character of `encoding` text (from its start). */
  function wholeOffsets(text: string, needle: string, encoding: string): number[] {
    const offsets: number[] = [];
    let bytes = 0;
    for (let i = 0; i < text.length; ) {
      if (text.startsWith(needle, i)) {
        offsets.push(bytes);
        bytes += iconv.encode(needle, encoding).length;
        i += needle.length;
        continue;
      }
      const char = String.fromCodePoint(text.codePointAt(i)!);
      bytes += iconv.encode(char, encoding).length;
      i += char.length;
    }
    return offsets;
  }

  it("GBK: bytes across two characters (形淖 in 中文字) are no match: count, find, filter, replace", async () => {
    const original = iconv.encode("a中文字\n".repeat(100), "gbk");
    expect(original.includes(iconv.encode("形淖", "gbk"))).toBe(true);
    const { ui, info, path } = await hostFor(original, "gbk");
    const query = { pattern: "形淖" };
    expect(await ui.request("count", { searchId: 1, query })).toEqual({ count: 0 });
    expect((await ui.request("findNext", { query, from: 0, direction: "forward" })).match).toBeNull();
    expect((await ui.request("findNext", { query, from: 50, direction: "backward" })).match).toBeNull();
    const inView = await ui.request("findInRange", { query, start: 0, end: original.length, limit: 10 });
    expect(inView.matches).toEqual([]);
    expect(await ui.request("filter", { filterId: 3, query })).toMatchObject({ lines: 0 });
    const replaced = await ui.request("replaceAll", { baseVersion: info.version, query, replacement: "" });
    expect(replaced.count).toBe(0);
    await ui.request("save", {});
    expect(readFileSync(path).equals(original)).toBe(true);
  });

  it.each([
    ["shift_jis", "ソ表能\\ 予定表 C:\\logs\\ソフト 十\\\n"],
    ["big5", "功能\\ 許蓋 C:\\logs\\功能 \\\n"],
  ])(
    "%s: a backslash that is a second byte is skipped; Replace writes the others, every other byte kept",
    async (encoding, line) => {
      const text = line.repeat(200);
      const original = iconv.encode(text, encoding);
      const backslashes = [...original].filter((byte) => byte === 0x5c).length;
      const whole = wholeOffsets(text, "\\", encoding);
      expect(whole.length).toBeLessThan(backslashes); // some 0x5C bytes are second bytes
      const { ui, info, path } = await hostFor(original, encoding);
      const query = { pattern: "\\" };
      expect(await ui.request("count", { searchId: 1, query })).toEqual({ count: whole.length });
      const inView = await ui.request("findInRange", { query, start: 0, end: original.length, limit: 1000 });
      expect(inView.matches.map((match) => match.start)).toEqual(whole.slice(0, 1000));
      const next = await ui.request("findNext", { query, from: whole[0]! + 1, direction: "forward" });
      expect(next.match?.start).toBe(whole[1]);
      const previous = await ui.request("findNext", { query, from: whole[2]!, direction: "backward" });
      expect(previous.match?.start).toBe(whole[1]);

      const replaced = await ui.request("replaceAll", { baseVersion: info.version, query, replacement: "/" });
      expect(replaced.count).toBe(whole.length);
      await ui.request("save", {});
      const saved = readFileSync(path);
      expect(saved.length).toBe(original.length);
      const expected = Buffer.from(original);
      for (const at of whole) expected[at] = 0x2f;
      expect(saved.equals(expected)).toBe(true);
      expect(iconv.decode(saved, encoding)).toBe(text.replaceAll("\\", "/"));
    },
  );

  it("Shift_JIS: a match inside a character does not hide the whole-character one after it", async () => {
    // ァ is 83 40: its second byte is "@". "ァ@@" is 83 40 40 40: "@@" at 1 cuts ァ; at 2 it is whole.
    const original = iconv.encode("ァ@@\n".repeat(10), "shift_jis");
    const { ui, info } = await hostFor(original, "shift_jis");
    expect(await ui.request("count", { searchId: 1, query: { pattern: "@@" } })).toEqual({ count: 10 });
    const next = await ui.request("findNext", { query: { pattern: "@@" }, from: 0, direction: "forward" });
    expect(next.match).toEqual({ start: 2, end: 4 });
    // A regex too: [A-Z]+ in "アBC" (83 41 42 43) first matches "ABC" from ア's second byte.
    const { ui: other } = await hostFor(iconv.encode("アBC\n", "shift_jis"), "shift_jis");
    const found = await other.request("findNext", {
      query: { pattern: "[A-Z]+", regex: true },
      from: 0,
      direction: "forward",
    });
    expect(found.match).toEqual({ start: 2, end: 4 });
    // A regex replacement copying groups cannot skip the matches that cut characters: refused, nothing changed.
    await expect(
      ui.request("replaceAll", {
        baseVersion: info.version,
        query: { pattern: "(@)@", regex: true },
        replacement: "$1!",
      }),
    ).rejects.toMatchObject({ code: "EENCODING" });
  });
});
