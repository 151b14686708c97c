import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { durableIo, openAppendFile, openMappedFile } from "../../native/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("durable I/O", () => {
  it("pwrite writes at a position and pread reads back, short at end of file", () => {
    const path = join(tempDir(), "f");
    const fd = openSync(path, "w+");
    durableIo.pwrite(fd, Buffer.from("world"), 6);
    durableIo.pwrite(fd, Buffer.from("hello "), 0);
    durableIo.dataSync(fd);
    durableIo.fullSync(fd);
    expect(durableIo.pread(fd, 100, 0).toString()).toBe("hello world");
    expect(durableIo.pread(fd, 3, 6).toString()).toBe("wor");
    closeSync(fd);
    durableIo.syncDirectory(tempDir());
  });

  it("copyFileRange copies arbitrary ranges exactly (kernel copy or fallback)", () => {
    const dir = tempDir();
    const source = Buffer.alloc(3 * 1024 * 1024 + 11);
    for (let i = 0; i < source.length; i++) source[i] = (i * 131 + (i >> 9)) & 0xff;
    writeFileSync(join(dir, "in"), source);
    const input = openSync(join(dir, "in"), "r");
    const output = openSync(join(dir, "out"), "w+");
    expect(durableIo.copyFileRange(input, 5, output, 0, 2 * 1024 * 1024)).toBe(2 * 1024 * 1024);
    durableIo.pwrite(output, Buffer.from("|"), 2 * 1024 * 1024);
    // Asking past the end of input copies what there is.
    const rest = durableIo.copyFileRange(
      input,
      2 * 1024 * 1024 + 5,
      output,
      2 * 1024 * 1024 + 1,
      5 * 1024 * 1024,
    );
    expect(rest).toBe(source.length - (2 * 1024 * 1024 + 5));
    closeSync(input);
    closeSync(output);
    const expected = Buffer.concat([
      source.subarray(5, 5 + 2 * 1024 * 1024),
      Buffer.from("|"),
      source.subarray(2 * 1024 * 1024 + 5),
    ]);
    expect(Buffer.compare(readFileSync(join(dir, "out")), expected)).toBe(0);
  });

  it("MappedFile and AppendFile copy ranges straight into a file descriptor", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "in"), "0123456789");
    const file = openMappedFile(join(dir, "in"));
    const add = openAppendFile(join(dir, "add.buf"));
    add.append(Buffer.from("abcdef"));
    const out = openSync(join(dir, "out"), "w+");
    expect(file.copyTo(out, 0, 2, 6)).toBe(4);
    expect(add.copyTo(out, 4, 1, 4)).toBe(3);
    expect(file.copyTo(out, 7, 9, 10)).toBe(1);
    closeSync(out);
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("2345bcd9");
    expect(() => file.copyTo(99999, 0, 0, 1)).toThrow(expect.objectContaining({ code: "EBADF" }));
    expect(() => add.copyTo(1, 0, 0, 7)).toThrow(RangeError);
    file.close();
    add.close();
  });

  it("freeSpace agrees with statfs", () => {
    const dir = tempDir();
    const space = durableIo.freeSpace(dir);
    const stats = statfsSync(dir);
    expect(space.total).toBe(stats.blocks * stats.bsize);
    expect(Math.abs(space.available - stats.bavail * stats.bsize)).toBeLessThan(64 * 1024 * 1024);
    expect(() => durableIo.freeSpace(join(dir, "missing"))).toThrow(
      expect.objectContaining({ code: "ENOENT" }),
    );
  });

  it("flock excludes a second holder, in this process and in another", () => {
    const path = join(tempDir(), "lock");
    writeFileSync(path, "");
    const first = openSync(path, "r");
    const second = openSync(path, "r");
    expect(durableIo.lock(first, { mode: "exclusive", wait: "no-wait" })).toBe(true);
    expect(durableIo.lock(second, { mode: "exclusive", wait: "no-wait" })).toBe(false);
    const nativeDir = new URL("../../native", import.meta.url).pathname;
    const probe = `const a = require("node-gyp-build")(${JSON.stringify(nativeDir)});
      const fd = require("fs").openSync(${JSON.stringify(path)}, "r"); console.log(a.lock(fd));`;
    const run = () =>
      spawnSync(process.execPath, ["-e", probe], {
        encoding: "utf8",
        cwd: new URL("../..", import.meta.url).pathname,
      }).stdout.trim();
    expect(run()).toBe("false");
    durableIo.unlock(first);
    expect(run()).toBe("true");
    expect(durableIo.lock(second, { mode: "exclusive", wait: "no-wait" })).toBe(true);
    closeSync(first);
    closeSync(second);
  });

  it("allocate reserves space and errors carry errno details", () => {
    const path = join(tempDir(), "f");
    const fd = openSync(path, "w+");
    durableIo.allocate(fd, 0, 1 << 20);
    expect(readFileSync(path).length).toBe(1 << 20);
    closeSync(fd);
    expect(() => durableIo.dataSync(fd, path)).toThrow(
      expect.objectContaining({ code: "EBADF", syscall: "fdatasync", path }),
    );
    expect(() => durableIo.syncDirectory(join(path, "x"))).toThrow(
      expect.objectContaining({ code: "ENOTDIR" }),
    );
  });
});
