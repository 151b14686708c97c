import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countNewlinesInBytes, indexOfBytes, openMappedFile } from "../../native/index.js";
import { countLf, useTempDirs } from "../helpers/temp-dir.js";
import { DROP_TO_NOBODY, runModuleScript } from "../helpers/unprivileged.js";

const tempDir = useTempDirs();
const CHUNK = 64 * 1024;

function fileWith(bytes: Uint8Array): string {
  const path = join(tempDir(), "file.bin");
  writeFileSync(path, bytes);
  return path;
}

describe("MappedFile.read", () => {
  it("returns exactly the bytes fs reads, for random files and ranges", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 * 4096 + 7 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const path = fileWith(bytes);
        const file = openMappedFile(path);
        try {
          const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
          const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
          expect(Buffer.compare(file.read(start, end), Buffer.from(bytes.subarray(start, end)))).toBe(0);
          expect(file.size).toBe(bytes.length);
        } finally {
          file.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("rejects ranges outside the file, naming the values", () => {
    const file = openMappedFile(fileWith(Buffer.from("hello")));
    expect(() => file.read(2, 1)).toThrow(/Invalid range 2\.\.1 in a buffer of length 5/);
    expect(() => file.read(0, 6)).toThrow(RangeError);
    expect(() => file.read(-1, 2)).toThrow(/non-negative integer/);
    expect(() => file.read(0.5, 2)).toThrow(RangeError);
    file.close();
  });

  it("reports identity from stat, and refuses use after close", () => {
    const path = fileWith(Buffer.from("abc\n"));
    const file = openMappedFile(path);
    const { identity } = file;
    expect(identity.size).toBe(4);
    expect(typeof identity.ino).toBe("bigint");
    expect(identity.mtimeNs > 0n).toBe(true);
    file.close();
    file.close();
    expect(file.closed).toBe(true);
    expect(() => file.read(0, 1)).toThrow(/file is closed/);
  });
});

describe("newline counting", () => {
  const shapes = fc.oneof(
    fc.uint8Array({ maxLength: 5000 }),
    fc
      .array(fc.constantFrom("a", "\n", "\r\n", "\r", "é", "\u0000", "line of text"), { maxLength: 400 })
      .map((parts) => new Uint8Array(Buffer.from(parts.join("")))),
  );

  it("matches a plain JS count on random files and ranges (CRLF, no trailing newline, empty)", () => {
    fc.assert(
      fc.property(shapes, fc.nat(), fc.nat(), (bytes, a, b) => {
        const file = openMappedFile(fileWith(bytes));
        try {
          const start = a % (bytes.length + 1);
          const end = start + (b % (bytes.length - start + 1));
          expect(file.countNewlines(start, end)).toBe(countLf(bytes, start, end));
          expect(file.countNewlines(0, bytes.length)).toBe(countLf(bytes));
          expect(countNewlinesInBytes(bytes.subarray(start, end))).toBe(countLf(bytes, start, end));
          // The n-th newline of the range, for every n, and -1 past the last.
          let n = 0;
          for (let i = start; i < end; i++) {
            if (bytes[i] === 10) expect(file.nthNewline(start, end, n++)).toBe(i);
          }
          expect(file.nthNewline(start, end, n)).toBe(-1);
        } finally {
          file.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it("counts an empty file and every alignment of the vector kernel", () => {
    const empty = openMappedFile(fileWith(new Uint8Array(0)));
    expect(empty.size).toBe(0);
    expect(empty.countNewlines(0, 0)).toBe(0);
    expect(empty.read(0, 0).length).toBe(0);
    empty.close();
    const bytes = new Uint8Array(1000).map((_, i) => (i % 3 === 0 ? 10 : 65));
    for (let start = 0; start < 70; start++) {
      for (const length of [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 127, 600]) {
        expect(countNewlinesInBytes(bytes.subarray(start, start + length))).toBe(
          countLf(bytes, start, start + length),
        );
      }
    }
  });

  it("counts more than 255 blocks of newlines without byte-lane overflow", () => {
    const bytes = new Uint8Array(64 * 300 + 5).fill(10);
    expect(countNewlinesInBytes(bytes)).toBe(bytes.length);
  });
});

describe("chunk line index", () => {
  it("gives per-64 KiB counts equal to a JS count, including a line straddling a chunk edge", async () => {
    const bytes = new Uint8Array(CHUNK * 5 + 123);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed % 50 === 0 ? 10 : 97;
    }
    // A CRLF split across the first chunk edge, and a newline on each side of the second.
    bytes[CHUNK - 1] = 13;
    bytes[CHUNK] = 10;
    bytes[2 * CHUNK - 1] = 10;
    bytes[2 * CHUNK] = 10;
    const file = openMappedFile(fileWith(bytes));
    const progress: number[] = [];
    const { lineFeeds: counts, crlfPairs } = await file.startChunkIndex(CHUNK, (done) => progress.push(done))
      .promise;
    let expectedCrlf = 0;
    for (let i = 1; i < bytes.length; i++) if (bytes[i] === 10 && bytes[i - 1] === 13) expectedCrlf++;
    expect(crlfPairs).toBe(expectedCrlf);
    expect(crlfPairs).toBeGreaterThan(0);
    expect(counts.length).toBe(6);
    for (let c = 0; c < counts.length; c++) {
      expect(counts[c]).toBe(countLf(bytes, c * CHUNK, Math.min(bytes.length, (c + 1) * CHUNK)));
    }
    for (const done of progress) expect(done).toBeLessThanOrEqual(bytes.length);
    file.close();
  });

  it("indexes an empty file to no chunks", async () => {
    const file = openMappedFile(fileWith(new Uint8Array(0)));
    expect((await file.startChunkIndex(CHUNK).promise).lineFeeds.length).toBe(0);
    file.close();
  });

  it("can be cancelled, and close() during a build stops it", async () => {
    const path = join(tempDir(), "big.bin");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 512 * 1024 * 1024);
    closeSync(fd);
    const file = openMappedFile(path);
    const job = file.startChunkIndex(CHUNK);
    job.cancel();
    await expect(job.promise).rejects.toMatchObject({ code: "ABORT_ERR" });
    const second = file.startChunkIndex(CHUNK);
    file.close();
    await expect(second.promise).rejects.toMatchObject({ code: "ABORT_ERR" });
  });

  it.runIf(process.platform === "linux")(
    "builds the index on threads of lowered priority (nice 10), so the UI of an opening file goes first",
    async () => {
      const path = join(tempDir(), "sparse-nice.bin");
      const fd = openSync(path, "w");
      ftruncateSync(fd, 2 * 1024 ** 3);
      closeSync(fd);
      const file = openMappedFile(path);
      // Nice values of this process's threads (field 19 of /proc/self/task/TID/stat).
      const niceOf = (tid: string | number) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      };
      // A thread may end between the listing and the read: it has no nice value any more.
      const niceValues = () =>
        readdirSync("/proc/self/task").flatMap((tid) => {
          try {
            return [niceOf(tid)];
          } catch {
            return [];
          }
        });
      // Relative to where this process runs (a test run may itself be niced): the index threads
      // go to nice 10 unless already lower in priority.
      const base = niceOf(process.pid);
      const seen = new Set<number>();
      const sample = () => {
        for (const nice of niceValues()) seen.add(nice);
      };
      const sampler = setInterval(sample, 1);
      try {
        await file.startChunkIndex(CHUNK, sample).promise;
      } finally {
        clearInterval(sampler);
        file.close();
      }
      expect(seen.has(Math.max(base, 10))).toBe(true);
      // This thread (and the rest of the process) keeps its priority.
      expect(niceOf(process.pid)).toBe(base);
    },
  );

  it("counts exactly on a sparse file larger than 4 GiB", async () => {
    const size = 4 * 1024 ** 3 + 3 * CHUNK + 17;
    const path = join(tempDir(), "sparse.bin");
    const fd = openSync(path, "w");
    ftruncateSync(fd, size);
    // Newlines at the edges that 32-bit offsets would get wrong.
    const offsets = [0, CHUNK - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + CHUNK, size - 1];
    for (const offset of offsets) writeSync(fd, Buffer.from("\n"), 0, 1, offset);
    closeSync(fd);
    const file = openMappedFile(path);
    const counts = (await file.startChunkIndex(CHUNK).promise).lineFeeds;
    expect(counts.length).toBe(Math.ceil(size / CHUNK));
    const expected = new Map<number, number>();
    for (const offset of offsets) {
      const chunk = Math.floor(offset / CHUNK);
      expected.set(chunk, (expected.get(chunk) ?? 0) + 1);
    }
    let total = 0;
    for (let c = 0; c < counts.length; c++) {
      total += counts[c]!;
      if (counts[c] !== (expected.get(c) ?? 0)) throw new Error(`chunk ${c}: ${counts[c]}`);
    }
    expect(total).toBe(offsets.length);
    expect(file.countNewlines(2 ** 32 - 1, 2 ** 32 + 1)).toBe(2);
    expect(file.read(2 ** 32, 2 ** 32 + 1).toString()).toBe("\n");
    file.close();
  }, 120_000);
});

describe("literal search", () => {
  it("finds the same leftmost non-overlapping matches as a plain scan", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("a", "b", "ab", "aab", "\n", "xyz"), { maxLength: 300 }),
        fc.constantFrom("a", "ab", "aa", "aab", "aaa", "b\na", "xyz", "abababab"),
        async (parts, needleText) => {
          const text = Buffer.from(parts.join(""));
          const needle = Buffer.from(needleText);
          const expected: number[] = [];
          for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
            expected.push(at);
          }
          const file = openMappedFile(fileWith(text));
          try {
            expect(Array.from(file.findAll(needle, 0, text.length))).toEqual(expected);
            expect(Array.from(await file.startFind(needle, 0, text.length).promise)).toEqual(expected);
            expect(indexOfBytes(text, needle)).toBe(text.indexOf(needle));
          } finally {
            file.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("finds matches that cross the parallel batch edges, and respects limit and range", async () => {
    const batch = 4 * 1024 * 1024;
    const bytes = Buffer.alloc(batch * 3, "x");
    const needle = Buffer.from("NEEDLE");
    const positions = [0, batch - 3, 2 * batch - 1, 2 * batch + 100, bytes.length - needle.length];
    for (const at of positions) needle.copy(bytes, at);
    const file = openMappedFile(fileWith(bytes));
    expect(Array.from(await file.startFind(needle, 0, bytes.length).promise)).toEqual(positions);
    expect(Array.from(await file.startFind(needle, 0, bytes.length, 2).promise)).toEqual(
      positions.slice(0, 2),
    );
    expect(Array.from(file.findAll(needle, 1, bytes.length - 1))).toEqual(positions.slice(1, 4));
    // A self-overlapping needle across a batch edge: greedy from the left, like a plain scan.
    const runs = Buffer.alloc(batch * 2, "y");
    runs.fill("a", batch - 5, batch + 6);
    const file2 = openMappedFile(fileWith(runs));
    const needle2 = Buffer.from("aa");
    const expected: number[] = [];
    for (let at = runs.indexOf(needle2); at >= 0; at = runs.indexOf(needle2, at + 2)) expected.push(at);
    expect(Array.from(await file2.startFind(needle2, 0, runs.length).promise)).toEqual(expected);
    file.close();
    file2.close();
  });

  it("refuses an empty needle", () => {
    const file = openMappedFile(fileWith(Buffer.from("abc")));
    expect(() => file.findAll(new Uint8Array(0), 0, 3)).toThrow(/must not be empty/);
    file.close();
  });
});

describe("errors a user can meet", () => {
  it("names a missing file, a directory and a non-regular file", () => {
    const dir = tempDir();
    expect(() => openMappedFile(join(dir, "nope.log"))).toThrow(
      expect.objectContaining({ code: "ENOENT", message: expect.stringContaining("nope.log") }),
    );
    mkdirSync(join(dir, "sub"));
    expect(() => openMappedFile(join(dir, "sub"))).toThrow(expect.objectContaining({ code: "EISDIR" }));
    expect(() => openMappedFile("/dev/null")).toThrow(expect.objectContaining({ code: "ENOTREG" }));
  });

  it("reports EACCES for a file the user may not read", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const path = join(dir, "secret.log");
    writeFileSync(path, "secret\n");
    chmodSync(path, 0o000);
    // Loads the addon directly so the child needs no TypeScript loader; drops to nobody after.
    const nativeDir = new URL("../../native", import.meta.url).pathname;
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(`${nativeDir}/`)});
      const addon = require("node-gyp-build")(${JSON.stringify(nativeDir)});
      ${DROP_TO_NOBODY}
      try { new addon.MappedFile(${JSON.stringify(path)}); console.log("opened"); }
      catch (error) { console.log(error.code); }`;
    const result = runModuleScript(script);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("EACCES");
  });

  it("throws 'file was truncated on disk' when another process truncates the mapped file", () => {
    const path = fileWith(Buffer.alloc(1024 * 1024, "z"));
    const file = openMappedFile(path);
    expect(file.read(0, 4).toString()).toBe("zzzz");
    const truncate = spawnSync("truncate", ["-s", "4096", path]);
    expect(truncate.status).toBe(0);
    expect(() => file.read(512 * 1024, 512 * 1024 + 10)).toThrow(
      expect.objectContaining({
        code: "ETRUNCATED",
        message: expect.stringContaining("file was truncated on disk"),
      }),
    );
    expect(() => file.countNewlines(0, file.size)).toThrow(/truncated/);
    expect(() => file.findAll(Buffer.from("q"), 0, file.size)).toThrow(/truncated/);
    // The part still on disk reads fine, and the process lives on.
    expect(file.read(0, 4).toString()).toBe("zzzz");
    file.close();
  });

  it("rejects a background index when the file is truncated under it", async () => {
    const path = fileWith(Buffer.alloc(16 * 1024 * 1024, "z"));
    const file = openMappedFile(path);
    spawnSync("truncate", ["-s", "0", path]);
    await expect(file.startChunkIndex(CHUNK).promise).rejects.toMatchObject({ code: "ETRUNCATED" });
    file.close();
  });
});
