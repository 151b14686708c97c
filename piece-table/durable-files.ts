/**
 * The I/O seam of the session store (CRASH-SAFETY.md, "How to test it"): every durable write
 * goes through one small interface. Production uses the real system calls; the crash tests use a
 * recording implementation that keeps the operation log and models what is volatile until synced.
 *
 * Crash points for kill tests: GIGAPAD_CRASH_AT=<point>[:n] kills the process (SIGKILL, no
 * clean-up) the n-th time (default 1st) it reaches a named point; GIGAPAD_CRASH_AT=io:<n> kills
 * it just before its n-th I/O operation. The points are a closed list ({@link CrashPoint}): a
 * name that is not one of them is refused, so a typo cannot silently disable a kill test.
 *
 * GIGAPAD_TEST_BREAK=<order> makes `systemFiles` one of the deliberately broken orders of
 * broken-orders.ts (the crash tests' negative controls); the engine's own code never asks.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { type AppendFile, durableIo } from "../native/index.js";
import { isBrokenOrder, withBrokenOrder } from "./broken-orders.js";

export type FileHandle = number;

/** How DurableFiles.open treats a missing file: `create` makes it, `existing` fails (ENOENT). */
export type OpenMode = "create" | "existing";

/** A buffer that can copy a range of itself into a file descriptor (MappedFile, AppendFile). */
export interface CopySource {
  copyTo(fd: number, outOffset: number, start: number, end: number): number;
  read(start: number, end: number): Buffer;
}

export interface DurableFiles {
  /** Opens a file for reading and writing: an existing one, or created (mode 0600) if missing. */
  open(path: string, how: OpenMode): FileHandle;
  /** Opens a file for reading only. */
  openReadOnly(path: string): FileHandle;
  size(handle: FileHandle): number;
  /** Writes all of bytes at position (pwrite, retried until complete). */
  write(handle: FileHandle, bytes: Uint8Array, position: number): void;
  /** Reads up to length bytes at position (shorter at the end of the file). */
  read(handle: FileHandle, length: number, position: number): Buffer;
  /** Makes the file's data durable (fdatasync; F_FULLFSYNC on macOS). */
  sync(handle: FileHandle): void;
  /** Makes the file's data and metadata (size, mode) durable (fsync; F_FULLFSYNC on macOS). */
  fullSync(handle: FileHandle): void;
  /** Sets the file's size (ftruncate); durable once the file is fully synced. */
  truncate(handle: FileHandle, length: number): void;
  /** Copies [start, end) of a mapped buffer into the file at position (copy_file_range). */
  copyInto(handle: FileHandle, position: number, source: CopySource, start: number, end: number): void;
  /** Renames a file over another (atomic on POSIX; durable once the directory is synced). */
  rename(from: string, to: string): void;
  /** Makes the directory's entries (new files, renames) durable. */
  syncDirectory(path: string): void;
  /** Creates one directory (mode 0700) in an existing parent; one that exists already is fine. */
  makeDirectory(path: string): void;
  /** Makes the add buffer's bytes durable: msync(MS_SYNC) of what was appended, then fdatasync. */
  syncAddBuffer(add: AppendFile): void;
  close(handle: FileHandle): void;
  /** Removes a file (durable once its directory is synced). */
  remove(path: string): void;
}

/** Every named crash point, in the order a commit, a save, an append save, an in-place save reach them. */
export const CRASH_POINTS = [
  "commit:before-add-sync",
  "commit:after-add-sync",
  "commit:after-meta-write",
  "commit:after-meta-sync",
  "commit:after-slot-write",
  "commit:after-slot-sync",
  "save:after-temp-write",
  "save:after-temp-sync",
  "save:after-epoch-commit",
  "save:after-rename",
  "save:after-directory-sync",
  "save:after-append-announce",
  "save:after-append-write",
  "save:after-append-sync",
  "save:after-inplace-temp",
  "save:after-inplace-announce",
  "save:after-inplace-copy",
  "save:after-inplace-truncate",
  "save:after-inplace-sync",
  "save:after-inplace-remove",
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];
/** What GIGAPAD_CRASH_AT may say: a point, the n-th time it is reached, or the n-th I/O operation. */
export type CrashAt = CrashPoint | `${CrashPoint}:${number}` | `io:${number}`;

let ioCount = 0;
const pointCounts = new Map<CrashPoint, number>();
const crashAt = parseCrashAt(process.env.GIGAPAD_CRASH_AT);

function parseCrashAt(text: string | undefined): { point: CrashPoint | "io"; nth: number } | null {
  if (!text) return null;
  // The point name may hold colons itself ("commit:after-meta-sync"); a trailing ":<n>" is the count.
  const match = /^(.+?)(?::(\d+))?$/.exec(text);
  const point = match?.[1];
  const count = match?.[2] === undefined ? 1 : Number.parseInt(match[2], 10);
  const known = point === "io" || (CRASH_POINTS as readonly string[]).includes(point ?? "");
  if (!point || !known || !Number.isInteger(count) || count < 1) {
    throw new Error(
      `GIGAPAD_CRASH_AT must be a crash point (${CRASH_POINTS.join(", ")}) with an optional ':<n>', ` +
        `or 'io:<n>', not '${text}'`,
    );
  }
  return { point: point as CrashPoint | "io", nth: count };
}

function die(): never {
  process.kill(process.pid, "SIGKILL");
  // SIGKILL cannot be caught; this only satisfies the type checker.
  throw new Error("unreachable");
}

/** Dies here if GIGAPAD_CRASH_AT names this point (for kill tests; a no-op otherwise). */
export function crashPoint(name: CrashPoint): void {
  if (!crashAt || crashAt.point !== name) return;
  const count = (pointCounts.get(name) ?? 0) + 1;
  pointCounts.set(name, count);
  if (count === crashAt.nth) die();
}

function beforeIo(): void {
  ioCount++;
  if (crashAt?.point === "io" && ioCount === crashAt.nth) die();
}

/** The real system calls (through the native addon). */
const realFiles: DurableFiles = {
  open(path, how) {
    beforeIo();
    // Not "a+": O_APPEND would make every pwrite land at the end of the file.
    return openSync(path, constants.O_RDWR | (how === "create" ? constants.O_CREAT : 0), 0o600);
  },
  openReadOnly(path) {
    return openSync(path, "r");
  },
  size(handle) {
    return fstatSync(handle).size;
  },
  write(handle, bytes, position) {
    beforeIo();
    durableIo.pwrite(handle, bytes, position);
  },
  read(handle, length, position) {
    return durableIo.pread(handle, length, position);
  },
  sync(handle) {
    beforeIo();
    durableIo.dataSync(handle);
  },
  fullSync(handle) {
    beforeIo();
    durableIo.fullSync(handle);
  },
  truncate(handle, length) {
    beforeIo();
    ftruncateSync(handle, length);
  },
  copyInto(handle, position, source, start, end) {
    beforeIo();
    source.copyTo(handle, position, start, end);
  },
  rename(from, to) {
    beforeIo();
    renameSync(from, to);
  },
  syncDirectory(path) {
    beforeIo();
    durableIo.syncDirectory(path);
  },
  makeDirectory(path) {
    beforeIo();
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  },
  syncAddBuffer(add) {
    beforeIo();
    add.sync();
  },
  close(handle) {
    closeSync(handle);
  },
  remove(path) {
    beforeIo();
    rmSync(path, { force: true });
  },
};

/** The real system calls — or, in a test build that asks for one, a deliberately broken order. */
export const systemFiles: DurableFiles = brokenOrderAsked(realFiles);

function brokenOrderAsked(io: DurableFiles): DurableFiles {
  const asked = process.env.GIGAPAD_TEST_BREAK;
  if (!asked) return io;
  if (!isBrokenOrder(asked)) throw new Error(`GIGAPAD_TEST_BREAK names no broken order: '${asked}'`);
  return withBrokenOrder(io, asked);
}

/**
 * Creates a directory and the parents it lacks, each made durable: the parent of every directory
 * created is synced, up to the first one that already existed (a new directory's entry is only
 * on disk once its parent is synced — CRASH-SAFETY.md, DESIGN.md "every directory Gigapad creates").
 */
export function makeDurableDirectory(path: string, io: DurableFiles = systemFiles): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  if (missing.length === 0) return;
  missing.reverse();
  for (const dir of missing) io.makeDirectory(dir);
  for (const dir of missing.reverse()) io.syncDirectory(dirname(dir));
}
