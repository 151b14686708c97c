/**
 * The native layer's typed face: mapped buffers, scanning kernels and durable I/O.
 * Loads the N-API addon built by `npm install` (native/build) or a prebuild (native/prebuilds).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Identity of a file as of open: what recovery compares to tell "the same file" from a changed one. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
}

/** A background job of the addon: its result, and a way to stop it early (rejects with AbortError). */
export interface NativeJob<T> {
  promise: Promise<T>;
  cancel(): void;
}

/** What a chunk index build yields. */
export interface ChunkIndex {
  /** LF count of each chunk: bytes [i * chunkSize, (i + 1) * chunkSize). */
  lineFeeds: Uint32Array;
  /** CRLF pairs in the whole file (to tell lf, crlf and mixed line endings apart). */
  crlfPairs: number;
}

/** What {@link MappedFile.startFindLines} yields. */
export interface FoundLines {
  /** Start and end offsets of each line, in order: [start0, end0, start1, end1, …]. */
  spans: Float64Array;
  /** The lines' bytes, one after the other. */
  bytes: Buffer;
}

/**
 * How a buffer's line feeds are counted and found: `byte` — the byte 0x0A (UTF-8 and every
 * ASCII-compatible encoding); `utf-16le` / `utf-16be` — the code unit `0A 00` / `00 0A` at an
 * even offset of the buffer (0x0A bytes elsewhere are parts of other characters). A unit line
 * feed is counted in a range that holds its last byte, and offsets of line feeds are those of
 * their last byte, so the next line starts one byte after either. Omitted means `byte`.
 */
export type LineFeedRule = "byte" | "utf-16le" | "utf-16be";

/** Madvise hints accepted by {@link MappedFile.advise}. */
export type Advice = "sequential" | "random" | "normal" | "willneed" | "dontneed";

/**
 * A file mapped read-only. Every access runs under the SIGBUS guard: if another program truncates
 * the file, calls throw an error with code `ETRUNCATED` ("file was truncated on disk").
 */
export interface MappedFile {
  /** Bytes mapped (the file's size when opened). */
  readonly size: number;
  readonly path: string;
  readonly identity: FileIdentity;
  readonly closed: boolean;
  /** Copies bytes [start, end) out of the mapping. */
  read(start: number, end: number): Buffer;
  /** Copies bytes [start, end) into target at targetOffset. */
  readInto(target: Uint8Array, targetOffset: number, start: number, end: number): void;
  /** Copies bytes [start, end) into file descriptor fd at outOffset, kernel-side; returns bytes. */
  copyTo(fd: number, outOffset: number, start: number, end: number): number;
  /** Number of line feeds in [start, end) (LF bytes, or units by {@link LineFeedRule}). */
  countNewlines(start: number, end: number, rule?: LineFeedRule): number;
  /**
   * Line feed counts of chunks [firstChunk, endChunk) of chunkSize bytes (the last chunk of the
   * file may be shorter; even under a UTF-16 rule): a bulk scan on all cores, read as
   * {@link configureScan} says.
   */
  countChunks(chunkSize: number, firstChunk: number, endChunk: number, rule?: LineFeedRule): Uint32Array;
  /**
   * Leftmost non-overlapping match starts of needle in [start, end), at most limit (synchronous);
   * under a UTF-16 rule only those at even offsets (whole code units).
   */
  findAll(needle: Uint8Array, start: number, end: number, limit?: number, rule?: LineFeedRule): Float64Array;
  /** Like findAll, on background threads. */
  startFind(
    needle: Uint8Array,
    start: number,
    end: number,
    limit?: number,
    rule?: LineFeedRule,
  ): NativeJob<Float64Array>;
  /**
   * The lines holding a match of needle that starts in [start, end), on background threads (a
   * regex prefilter): a line runs from just after the LF before the match (or `floor`) through
   * the LF after it (or `ceiling`). Lines come once each, in order, with their bytes.
   */
  startFindLines(
    needle: Uint8Array,
    start: number,
    end: number,
    floor?: number,
    ceiling?: number,
  ): NativeJob<FoundLines>;
  /** Offset of (the last byte of) the n-th (0-based) line feed in [start, end), or -1. */
  nthNewline(start: number, end: number, n: number, rule?: LineFeedRule): number;
  /**
   * Line feed count per chunkSize bytes of the whole file, and the number of CRLF pairs (units
   * `0D 00 0A 00` under utf-16le), on background threads, with progress.
   */
  startChunkIndex(
    chunkSize: number,
    onProgress?: (bytesDone: number, bytesTotal: number) => void,
    /** True when nothing else waits (`gigapad info`): normal priority instead of nice 10. */
    foreground?: boolean,
    rule?: LineFeedRule,
  ): NativeJob<ChunkIndex>;
  advise(advice: Advice, start?: number, end?: number): void;
  /** Unmaps now (or, if a background job runs, as soon as it has stopped). Idempotent. */
  close(): void;
}

/** The add buffer: a mapped, preallocated, append-only file. */
export interface AppendFile {
  /** Bytes of data (appended or committed). */
  readonly length: number;
  /** Bytes reserved on disk and mapped. */
  readonly capacity: number;
  readonly path: string;
  /** Appends bytes; returns the offset they start at. Grows (and remaps) as needed. */
  append(bytes: Uint8Array): number;
  read(start: number, end: number): Buffer;
  readInto(target: Uint8Array, targetOffset: number, start: number, end: number): void;
  copyTo(fd: number, outOffset: number, start: number, end: number): number;
  countNewlines(start: number, end: number, rule?: LineFeedRule): number;
  nthNewline(start: number, end: number, n: number, rule?: LineFeedRule): number;
  findAll(needle: Uint8Array, start: number, end: number, limit?: number, rule?: LineFeedRule): Float64Array;
  /** msync(MS_SYNC) of what was appended since the last sync, then fdatasync. Throws once failed. */
  sync(): void;
  close(): void;
}

/**
 * How bulk sequential scans (the chunk index, large LF counts, literal search) read a mapped
 * file: through the mapping (`mmap`), with `pread` into a reused buffer per thread (`pread`: ten
 * times faster on a file not in the page cache), or — the default, `auto` — each batch through
 * the mapping when its pages are in the page cache and with pread when not. Random access
 * always uses the mapping. `GIGAPAD_SCAN=auto|mmap|pread` sets the strategy at load; the sizes
 * are for tests (tiny buffers put chunk and match edges everywhere).
 */
export interface ScanSettings {
  strategy: "auto" | "mmap" | "pread";
  /** Bytes each thread reads at once with pread (default 1 MiB). */
  bufferBytes: number;
  /** Bytes handed to a thread at a time (default 4 MiB). */
  batchBytes: number;
}

interface NativeAddon {
  MappedFile: new (path: string) => MappedFile;
  AppendFile: new (path: string, length?: number) => AppendFile;
  countNewlinesInBytes(bytes: Uint8Array, rule?: LineFeedRule): number;
  indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from?: number): number;
  scanThreads: number;
  configureScan(settings?: Partial<ScanSettings>): ScanSettings;
  dataSync(fd: number, label?: string): void;
  fullSync(fd: number, label?: string): void;
  syncDirectory(path: string): void;
  pwrite(fd: number, bytes: Uint8Array, position: number, label?: string): number;
  pread(fd: number, length: number, position: number, label?: string): Buffer;
  copyFileRange(
    fdIn: number,
    offsetIn: number,
    fdOut: number,
    offsetOut: number,
    length: number,
    label?: string,
  ): number;
  allocate(fd: number, offset: number, length: number, label?: string): void;
  startWriteback(fd: number, offset: number, length: number): void;
  freeSpace(path: string): { available: number; total: number };
  lock(fd: number, exclusive?: boolean, wait?: boolean, label?: string): boolean;
  unlock(fd: number, label?: string): void;
  copyXattrs(fromFd: number, toFd: number, label?: string): number;
  listXattrs(fd: number, label?: string): string[];
  getXattr(fd: number, name: string, label?: string): Buffer | null;
  setXattr(fd: number, name: string, value: Uint8Array, label?: string): void;
}

/** The folder holding binding.gyp, found from this module's location (source or dist). */
function nativeFolder(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(join(folder, "binding.gyp"))) return folder;
    const candidate = join(folder, "native");
    if (existsSync(join(candidate, "binding.gyp"))) return candidate;
    folder = dirname(folder);
  }
  throw new Error("gigapad: cannot find the native addon folder (native/binding.gyp); reinstall the package");
}

function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const load = require("node-gyp-build") as (dir: string) => NativeAddon;
  const folder = nativeFolder();
  try {
    return load(folder);
  } catch (error) {
    throw new Error(
      `gigapad: the native addon is not built (${(error as Error).message.split("\n")[0]}). ` +
        "Run `npm install` (or `npm run build:native`) in the gigapad package.",
      { cause: error },
    );
  }
}

const addon = loadAddon();

/** Opens and maps a file read-only. Throws with code ENOENT, EACCES, EISDIR, ENOTREG, ... */
export function openMappedFile(path: string): MappedFile {
  return new addon.MappedFile(path);
}

/** Opens or creates an add buffer whose first `length` bytes are data. */
export function openAppendFile(path: string, length = 0): AppendFile {
  return new addon.AppendFile(path, length);
}

/** Number of line feeds in bytes (vectorised; UTF-16 units from bytes[0] under a UTF-16 rule). */
export const countNewlinesInBytes: (bytes: Uint8Array, rule?: LineFeedRule) => number =
  addon.countNewlinesInBytes;
/** Index of the first needle at or after from in haystack, or -1 (vectorised). */
export const indexOfBytes: (haystack: Uint8Array, needle: Uint8Array, from?: number) => number =
  addon.indexOfBytes;
/** Threads the background scans use. */
export const scanThreads: number = addon.scanThreads;
/** Changes (some of) the scan settings for the whole process; returns those now in force. */
export const configureScan: (settings?: Partial<ScanSettings>) => ScanSettings = addon.configureScan;

/** Durable I/O primitives (all synchronous; errors carry code/syscall/path like Node's fs errors). */
export const durableIo = {
  dataSync: addon.dataSync,
  fullSync: addon.fullSync,
  syncDirectory: addon.syncDirectory,
  pwrite: addon.pwrite,
  pread: addon.pread,
  copyFileRange: addon.copyFileRange,
  allocate: addon.allocate,
  /** Starts write-back of a dirty range early (Linux sync_file_range); no durability promise. */
  startWriteback: addon.startWriteback,
  freeSpace: addon.freeSpace,
  /**
   * Takes a whole-file lock (flock): shared or exclusive, waiting for it or not; false when not
   * waiting and another holds it.
   */
  lock: (
    fd: number,
    { mode, wait }: { mode: "shared" | "exclusive"; wait: "wait" | "no-wait" },
    label?: string,
  ): boolean => addon.lock(fd, mode === "exclusive", wait === "wait", label),
  unlock: addon.unlock,
  /**
   * Makes toFd's extended attributes exactly fromFd's (user.*, security.*, trusted.*, and the
   * POSIX ACLs, which Linux keeps as system.posix_acl_*); returns how many were copied. Throws
   * (EPERM, ENOTSUP, ...) naming the first attribute that cannot be copied.
   */
  copyXattrs: addon.copyXattrs,
  /** Names of a file's extended attributes (empty where the filesystem has none). */
  listXattrs: addon.listXattrs,
  /** One extended attribute's value, or null if the file has none of that name. */
  getXattr: addon.getXattr,
  setXattr: addon.setXattr,
} as const;
