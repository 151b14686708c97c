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
  ])("%s: each segment shows its characters, and typing in the second lands between two", async (encoding, unit) => {
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
  });
});
