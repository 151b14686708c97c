/**
 * A generated UTF-16LE log (64 MiB; 1 GiB with GIGAPAD_UTF16_LOG_MIB=1024): opened, its lines
 * counted as `iconv -f UTF-16LE -t UTF-8 | wc -l` counts them (checked against iconv when it is
 * installed), a string near the end found, one line edited and saved — and every other byte of
 * the saved file is the original's.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, copyFileSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.GIGAPAD_UTF16_LOG_MIB ?? 64);

/** One block of log lines (~1 MiB): CJK with 0x0A bytes inside (上 is 0A 4E), CRLF now and then. */
function block(index: number): { bytes: Buffer; lineFeeds: number } {
  const lines: string[] = [];
  let length = 0;
  for (let line = 0; length < MIB / 2; line++) {
    const text = `2024-05-${(index % 28) + 1} ${index}:${line} INFO 上海 東京 ਊ request ${line * 7919}${line % 5 === 0 ? "\r" : ""}\n`;
    lines.push(text);
    length += text.length;
  }
  return { bytes: Buffer.from(lines.join(""), "utf16le"), lineFeeds: lines.length };
}

function hasIconv(): boolean {
  return spawnSync("iconv", ["--version"]).status === 0;
}

/** Bytes [start, end) of a file. */
function readRange(fd: number, start: number, end: number): Buffer {
  const bytes = Buffer.alloc(end - start);
  let done = 0;
  while (done < bytes.length) done += readSync(fd, bytes, done, bytes.length - done, start + done);
  return bytes;
}

describe("a large UTF-16LE log", () => {
  it(`${SIZE_MIB} MiB: lines as iconv counts them, a find near the end, one line edited, every other byte kept`, async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const fd = openSync(path, "w");
    let lineFeeds = 0;
    let size = 0;
    const blocks = Math.max(2, Math.round((SIZE_MIB * MIB) / (MIB + 64)));
    for (let index = 0; index < blocks; index++) {
      const { bytes, lineFeeds: count } = block(index);
      // A string that occurs once, on a line near the end.
      const tail = index === blocks - 1 ? Buffer.from("needle 末尾 found\n", "utf16le") : Buffer.alloc(0);
      writeSync(fd, bytes);
      writeSync(fd, tail);
      lineFeeds += count + (tail.length > 0 ? 1 : 0);
      size += bytes.length + tail.length;
    }
    closeSync(fd);
    if (hasIconv()) {
      const counted = execFileSync("sh", ["-c", `iconv -f UTF-16LE -t UTF-8 < '${path}' | wc -l`]).toString();
      expect(Number(counted.trim())).toBe(lineFeeds);
    }
    const doc = await open(path, { stateDir: join(dir, "state"), encoding: "utf-16le" });
    try {
      expect(doc.length).toBe(size);
      await doc.whenIndexed();
      expect(doc.lineCount()).toBe(lineFeeds + 1);
      expect(doc.originalLineEndings).toBe("mixed");
      const found: number[] = [];
      for await (const match of doc.find("needle 末尾")) found.push(match.start);
      expect(found).toEqual([size - Buffer.byteLength("needle 末尾 found\n", "utf16le")]);
      const line = doc.lineAt(found[0]!);
      expect(doc.getLine(line)).toBe("needle 末尾 found");
      expect(await doc.countMatches(/末尾 \w+$/u)).toBe(1);
      // Edit one line in the middle.
      const middle = Math.floor(lineFeeds / 2);
      const start = doc.lineStart(middle);
      const end = doc.lineStart(middle + 1) - 2;
      const before = doc.getLine(middle);
      doc.replace(start, end, "edited 上 line");
      expect(doc.getLine(middle)).toBe("edited 上 line");
      expect(doc.lineCount()).toBe(lineFeeds + 1);
      const original = join(dir, "original.log");
      copyFileSync(path, original);
      await doc.save();
      const inserted = Buffer.from("edited 上 line", "utf16le");
      const removed = end - start;
      expect(statSync(path).size).toBe(size - removed + inserted.length);
      const saved = openSync(path, "r");
      const kept = openSync(original, "r");
      try {
        for (let at = 0; at < start; at += 16 * MIB) {
          const to = Math.min(start, at + 16 * MIB);
          expect(readRange(saved, at, to).equals(readRange(kept, at, to))).toBe(true);
        }
        expect(readRange(saved, start, start + inserted.length).equals(inserted)).toBe(true);
        // The line as it was (and its CR, before a CRLF) is what the edit replaced.
        expect(readRange(kept, start, end).toString("utf16le").replace(/\r$/, "")).toBe(before);
        for (let at = end; at < size; at += 16 * MIB) {
          const to = Math.min(size, at + 16 * MIB);
          const shift = inserted.length - removed;
          expect(readRange(saved, at + shift, to + shift).equals(readRange(kept, at, to))).toBe(true);
        }
      } finally {
        closeSync(saved);
        closeSync(kept);
      }
    } finally {
      await doc.close();
    }
  }, 120_000);
});
