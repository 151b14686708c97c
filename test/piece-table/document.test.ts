import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function fileWith(content: string | Buffer): string {
  const path = join(tempDir(), "doc.txt");
  writeFileSync(path, content);
  return path;
}

async function openText(content: string | Buffer): Promise<Document> {
  return open(fileWith(content), { stateDir: join(tempDir(), "state") });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Document basics", () => {
  it("opens a 0-byte file as one empty line", async () => {
    const doc = await openText("");
    expect(doc.length).toBe(0);
    expect(doc.lineCount()).toBe(1);
    expect(doc.getLine(0)).toBe("");
    expect(doc.lineAt(0)).toBe(0);
    expect(doc.getText()).toBe("");
    doc.insert(0, "first\n");
    expect(doc.lineCount()).toBe(2);
    await doc.close();
  });

  it("treats CRLF as one terminator and a lone CR as text", async () => {
    const doc = await openText("a\r\nb\rc\nd");
    expect(doc.lineCount()).toBe(3);
    expect([0, 1, 2].map((line) => doc.getLine(line))).toEqual(["a", "b\rc", "d"]);
    // Splitting the CRLF pair: the CR stays on line 0 as text, the line still ends at the LF.
    doc.insert(2, "X");
    expect(doc.getLine(0)).toBe("a\rX");
    expect(doc.lineCount()).toBe(3);
    // Joining a CR and an LF into a pair.
    doc.delete(2, 3);
    expect(doc.getLine(0)).toBe("a");
    await doc.close();
  });

  it("respects a UTF-8 BOM at the start and keeps every byte", async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69, 0x0a, 0xff, 0xfe, 0x00, 0x0a]);
    const doc = await openText(bytes);
    expect(doc.getText(0, 5)).toBe("hi");
    expect(doc.getLine(0)).toBe("hi");
    expect(doc.read().equals(bytes)).toBe(true);
    expect(doc.getLine(1)).toBe("\ufffd\ufffd\u0000");
    await doc.close();
  });

  it("validates offsets and ranges with errors that name the values", async () => {
    const doc = await openText("hello");
    expect(() => doc.insert(6, "x")).toThrow("Invalid offset 6 in document of length 5");
    expect(() => doc.insert(-1, "x")).toThrow(RangeError);
    expect(() => doc.insert(1.5, "x")).toThrow(RangeError);
    expect(() => doc.delete(3, 2)).toThrow("Invalid range 3..2 in document of length 5");
    expect(() => doc.read(0, 6)).toThrow(RangeError);
    expect(() => doc.lineStart(2)).toThrow("Invalid line 2 in document with 1 lines");
    expect(() => doc.lineAt(6)).toThrow(RangeError);
    await doc.close();
    expect(() => doc.read()).toThrow(/is closed/);
  });

  it("refuses a range too large for a JavaScript string, without reading it", async () => {
    const path = join(tempDir(), "huge.bin");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 600 * 1024 * 1024);
    closeSync(fd);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    expect(() => doc.getText()).toThrow(/too large for a JavaScript string/);
    expect(doc.getText(0, 4)).toBe("\0\0\0\0");
    await doc.close();
  });

  it("groups consecutive typing into one undo step; a newline, a pause or a jump starts a new one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-22T08:00:00Z"));
    const doc = await openText("");
    for (const [i, char] of [..."abc"].entries()) doc.insert(i, char);
    doc.insert(3, "\n");
    doc.insert(4, "d");
    vi.setSystemTime(new Date("2026-11-22T08:00:05Z"));
    doc.insert(5, "e");
    doc.insert(0, ">");
    expect(doc.getText()).toBe(">abc\nde");
    const states: string[] = [];
    while (doc.undo()) states.push(doc.getText());
    expect(states).toEqual(["abc\nde", "abc\nd", "abc", ""]);
    // Backspacing is grouped the same way.
    while (doc.redo()) {}
    doc.delete(6, 7);
    doc.delete(5, 6);
    expect(doc.getText()).toBe(">abc\n");
    doc.undo();
    expect(doc.getText()).toBe(">abc\nde");
    await doc.close();
  });

  it("replace is one undo step and a new edit clears redo", async () => {
    const doc = await openText("one two");
    doc.replace(0, 3, "1");
    expect(doc.getText()).toBe("1 two");
    doc.undo();
    expect(doc.getText()).toBe("one two");
    doc.insert(0, "x");
    expect(doc.redo()).toBe(false);
    await doc.close();
  });
});

describe("opening what users actually point it at", () => {
  it("gives clear errors for a missing file and a directory", async () => {
    const dir = tempDir();
    await expect(open(join(dir, "missing.log"))).rejects.toMatchObject({
      code: "ENOENT",
      message: expect.stringContaining("missing.log"),
    });
    mkdirSync(join(dir, "folder"));
    await expect(open(join(dir, "folder"))).rejects.toMatchObject({ code: "EISDIR" });
  });

  it("lets one process own a document; others are told who, and may open it read-only", async () => {
    const path = fileWith("shared\n");
    const stateDir = join(tempDir(), "state");
    const first = await open(path, { stateDir });
    await expect(open(path, { stateDir })).rejects.toMatchObject({
      code: "ESESSIONLOCKED",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    const reader = await open(path, { readOnly: true, stateDir });
    expect(reader.getLine(0)).toBe("shared");
    expect(() => reader.insert(0, "x")).toThrow(/read-only/);
    await reader.close();
    // A second process is refused too.
    const moduleUrl = new URL("../../dist/piece-table/index.js", import.meta.url).href;
    const script = `import(${JSON.stringify(moduleUrl)}).then(({ open }) => open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} }))
      .then(() => console.log("opened"), (error) => console.log(error.code));`;
    const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(child.stdout.trim()).toBe("ESESSIONLOCKED");
    await first.close();
    const again = await open(path, { stateDir });
    await again.close();
  });

  it("reports a file truncated by another program instead of crashing", async () => {
    const path = fileWith(Buffer.alloc(256 * 1024, "a"));
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    expect(doc.getText(0, 3)).toBe("aaa");
    spawnSync("truncate", ["-s", "100", path]);
    expect(() => doc.read(200_000, 200_010)).toThrow(/file was truncated on disk/);
    expect(doc.getText(0, 3)).toBe("aaa");
    await doc.close();
  });

  it("edits and navigates a sparse file larger than 4 GiB at offsets past 2^32", async () => {
    const path = join(tempDir(), "sparse.log");
    const size = 4 * 1024 ** 3 + 4096;
    const fd = openSync(path, "w");
    ftruncateSync(fd, size);
    const lineFeedsAt = [100, 2 ** 32 - 1, 2 ** 32 + 10];
    for (const at of lineFeedsAt) writeSync(fd, Buffer.from("\n"), 0, 1, at);
    closeSync(fd);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    // Lines near the start answer before the index is built.
    expect(doc.lineStart(1)).toBe(101);
    await doc.whenIndexed();
    expect(doc.lineCount()).toBe(4);
    expect(doc.lineStart(3)).toBe(2 ** 32 + 11);
    doc.insert(2 ** 32 + 5, "hello\n");
    doc.delete(2 ** 32 - 10, 2 ** 32 - 5);
    expect(doc.length).toBe(size + 6 - 5);
    expect(doc.lineCount()).toBe(5);
    // LFs now at 100, 2^32 - 6, 2^32 + 5 (inserted) and 2^32 + 11.
    expect(doc.lineStart(3)).toBe(2 ** 32 + 6);
    expect(doc.getText(2 ** 32, 2 ** 32 + 6)).toBe("hello\n");
    expect(doc.lineAt(2 ** 32 + 2)).toBe(2);
    expect(doc.lineAt(size - 1)).toBe(4);
    doc.undo();
    doc.undo();
    expect(doc.lineCount()).toBe(4);
    await doc.close();
  }, 120_000);
});
