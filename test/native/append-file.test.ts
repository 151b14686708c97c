import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAppendFile } from "../../native/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("AppendFile", () => {
  it("appends, returns offsets, and keeps every byte across several remaps", () => {
    const path = join(tempDir(), "add.buf");
    const add = openAppendFile(path);
    expect(add.length).toBe(0);
    const initialCapacity = add.capacity;
    const pieces: Buffer[] = [];
    let expectedOffset = 0;
    let seed = 1;
    // ~9 MiB in pieces of varied size: at least three growths past a 1 MiB start.
    while (expectedOffset < 9 * 1024 * 1024) {
      seed = (seed * 48271) % 0x7fffffff;
      const piece = Buffer.alloc(1 + (seed % 300_000), String.fromCharCode(33 + (seed % 90)));
      expect(add.append(piece)).toBe(expectedOffset);
      pieces.push(piece);
      expectedOffset += piece.length;
    }
    expect(add.capacity).toBeGreaterThan(initialCapacity * 4);
    expect(add.length).toBe(expectedOffset);
    const all = Buffer.concat(pieces);
    expect(Buffer.compare(add.read(0, add.length), all)).toBe(0);
    expect(add.countNewlines(0, add.length)).toBe(0);
    add.sync();
    add.close();
    // The file holds the data followed by preallocated space.
    expect(statSync(path).size).toBeGreaterThanOrEqual(all.length);
    const reopened = openAppendFile(path, all.length);
    expect(Buffer.compare(reopened.read(0, all.length), all)).toBe(0);
    expect(reopened.append(Buffer.from("tail\n"))).toBe(all.length);
    expect(reopened.countNewlines(0, reopened.length)).toBe(1);
    expect(Array.from(reopened.findAll(Buffer.from("tail"), 0, reopened.length))).toEqual([all.length]);
    reopened.close();
  });

  it("refuses a committed length longer than the file", () => {
    const path = join(tempDir(), "add.buf");
    writeFileSync(path, "abc");
    expect(() => openAppendFile(path, 10)).toThrow(expect.objectContaining({ code: "ECORRUPT" }));
  });

  it("reads only what was appended, and refuses use after close", () => {
    const add = openAppendFile(join(tempDir(), "add.buf"));
    add.append(Buffer.from("hello"));
    expect(() => add.read(0, 6)).toThrow(/Invalid range 0\.\.6 in a buffer of length 5/);
    expect(() => add.append("text" as unknown as Uint8Array)).toThrow(TypeError);
    add.close();
    expect(() => add.append(Buffer.from("x"))).toThrow(expect.objectContaining({ code: "ECLOSED" }));
  });

  it("names the folder when it cannot create the file", () => {
    const path = join(tempDir(), "missing-folder", "add.buf");
    expect(() => openAppendFile(path)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(existsSync(path)).toBe(false);
  });
});

describe("readInto", () => {
  it("copies a range into a caller's buffer at an offset, and refuses what does not fit", () => {
    const add = openAppendFile(join(tempDir(), "add.buf"));
    add.append(Buffer.from("0123456789"));
    const target = Buffer.alloc(8, "-");
    add.readInto(target, 2, 3, 7);
    expect(target.toString()).toBe("--3456--");
    expect(() => add.readInto(target, 6, 0, 5)).toThrow(/do not fit/);
    expect(() => add.readInto(target, 0, 5, 11)).toThrow(RangeError);
    add.close();
  });
});
