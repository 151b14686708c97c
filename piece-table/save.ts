/**
 * Writing a document version to disk (DESIGN.md, "Saving the file itself"): the checks before,
 * and the temp file beside the target — original pieces copied kernel-side (copy_file_range),
 * added pieces from the add buffer — synced before anyone renames it into place.
 */
import {
  accessSync,
  type BigIntStats,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  openSync,
  realpathSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { durableIo } from "../native/index.js";
import { diskStateOf } from "./disk-state.js";
import { type CopySource, crashPoint, type DurableFiles } from "./durable-files.js";
import { identityFrom } from "./original-identity.js";
import { forEachPiece, ORIGINAL, type PieceNode } from "./piece-tree.js";
import type { OriginalIdentity } from "./session-format.js";

/**
 * How far a save is. An in-place save writes its bytes twice (the temp file, then the file): when
 * that is known before it starts, bytesTotal counts both passes.
 */
export interface SaveProgress {
  bytesDone: number;
  bytesTotal: number;
}

export interface SaveOptions {
  /** Overwrite the file even if another program changed it since it was opened. */
  force?: boolean;
  /** Called as the file is written (at most every 64 MiB). */
  onProgress?: (progress: SaveProgress) => void;
  /** Cancels the save; the target stays as it was. */
  signal?: AbortSignal;
  /**
   * How the file is replaced. `auto` (the default): by renaming a temp file that was given the
   * file's owner, group, mode, xattrs and ACLs, unless that cannot keep the file what it is (it
   * has other hard links, an owner or attribute this process cannot give a new file) — then in
   * place. `rename`: always by rename (hard links then keep the old text; what cannot be copied is
   * lost). `in-place`: always into the file's own inode, journaled through the session.
   */
  mode?: SaveMode;
}

export type SaveMode = "auto" | "rename" | "in-place";
const SAVE_MODES: readonly SaveMode[] = ["auto", "rename", "in-place"];

/** The save mode asked for, checked. */
export function saveModeOf(options: SaveOptions): SaveMode {
  const mode = options.mode ?? "auto";
  if (!SAVE_MODES.includes(mode)) {
    throw new RangeError(`Invalid save mode ${String(mode)}: use "auto", "rename" or "in-place"`);
  }
  return mode;
}

/** Bytes copied per step: progress and cancellation are checked between steps. */
const COPY_STEP_BYTES = 64 * 1024 * 1024;
/** Free space wanted beyond the file itself. */
const FREE_SPACE_MARGIN = 16 * 1024 * 1024;

/** Error codes a save can fail with besides the system's own (ENOSPC, EIO, EACCES, ...). */
export class SaveError extends Error {
  constructor(
    message: string,
    readonly code: "EFILECHANGED" | "ENOSPC" | "EACCES" | "ABORT_ERR" | "ESAVEBUSY",
  ) {
    super(message);
    this.name = code === "ABORT_ERR" ? "AbortError" : "SaveError";
  }
}

/** The file a save writes: a symlink's target (the link stays a link), and the folder it is in. */
export function resolveTarget(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const folder = dirname(absolute);
  if (!existsSync(folder)) {
    throw Object.assign(new Error(`cannot save ${absolute}: the folder ${folder} does not exist`), {
      code: "ENOENT",
    });
  }
  return join(realpathSync(folder), basename(absolute));
}

/**
 * Whether this process may write the file itself (and create a temp file beside it): what a
 * save needs, and what an editor shows as a read-only badge. A path that does not exist yet
 * needs only its folder.
 */
export function mayWrite(target: string): boolean {
  try {
    if (existsSync(target)) accessSync(target, constants.W_OK);
    accessSync(dirname(target), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses, with a clear error, a save that cannot succeed or should not happen: the file itself
 * or its folder is not writable (`force` does not change that), the disk lacks room, or (unless
 * forced) the file changed on disk since opened.
 */
export function checkBeforeSave(
  target: string,
  length: number,
  expected: { dev: bigint; ino: bigint; size: number; mtimeNs: bigint } | null,
  { force = false }: Pick<SaveOptions, "force">,
): void {
  const folder = dirname(target);
  if (existsSync(target)) {
    // The file's own permission, not only its folder's: a file this user may not write is never
    // replaced, even in a folder anyone may write to.
    try {
      accessSync(target, constants.W_OK);
    } catch {
      throw new SaveError(
        `cannot save ${target}: you may not write to this file (it is read-only)`,
        "EACCES",
      );
    }
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new SaveError(`cannot save ${target}: the folder ${folder} is not writable`, "EACCES");
  }
  if (expected && !force) {
    const state = diskStateOf(target, expected);
    if (state === "modified" || state === "replaced" || state === "truncated") {
      throw new SaveError(
        `${target} changed on disk since it was opened; saving would overwrite those changes ` +
          "(save with { force: true } to overwrite them)",
        "EFILECHANGED",
      );
    }
  }
  const { available } = durableIo.freeSpace(folder);
  if (available < length + FREE_SPACE_MARGIN) {
    throw new SaveError(
      `cannot save ${target}: it needs ${length} bytes plus a margin, and only ${available} are free`,
      "ENOSPC",
    );
  }
}

/** Renames a synced temp file over target and syncs the folder: the file is then durably new. */
export function publishTempFile(tempPath: string, target: string, io: DurableFiles): void {
  try {
    io.rename(tempPath, target);
  } catch (error) {
    io.remove(tempPath);
    throw error;
  }
  crashPoint("save:after-rename");
  io.syncDirectory(dirname(target));
  crashPoint("save:after-directory-sync");
}

/** What writeTempFile produced: the synced temp file and the identity it will have as the target. */
export interface WrittenFile {
  tempPath: string;
  identity: OriginalIdentity;
  /** What names the temp file: the saving process and the save's start (see tempPathFor). */
  pid: number;
  time: number;
}

/** The temp file a save writes beside target. */
export function tempPathFor(target: string, pid: number, time: number): string {
  return join(dirname(target), `.${basename(target)}.gigapad-${pid}-${time}.tmp`);
}

/**
 * Gives a temp file what makes `target` the file it is — owner and group (fchown), xattrs and
 * ACLs (all extended attributes, copied natively), mode — so that renaming it over target keeps
 * all of that. Returns null when it did, or why it cannot: target has other hard links (a rename
 * would leave them the old text), or an owner, group or attribute this process cannot give.
 */
export function giveIdentity(target: string, targetStat: Stats | BigIntStats, handle: number): string | null {
  if (Number(targetStat.nlink) > 1) return `${target} has ${targetStat.nlink} hard links`;
  const uid = Number(targetStat.uid);
  const gid = Number(targetStat.gid);
  const mine = fstatSync(handle);
  if (mine.uid !== uid || mine.gid !== gid) {
    try {
      fchownSync(handle, uid, gid);
    } catch (error) {
      return `${target}'s owner ${uid}:${gid} cannot be given to a new file (${(error as Error).message})`;
    }
  }
  let source: number;
  try {
    source = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return `${target}'s attributes cannot be read (${(error as Error).message})`;
  }
  try {
    durableIo.copyXattrs(source, handle, target);
  } catch (error) {
    return `${target}'s extended attributes cannot be copied (${(error as Error).message})`;
  } finally {
    closeSync(source);
  }
  // Last: fchown clears set-user-ID and set-group-ID bits, and an ACL sets the group bits.
  fchmodSync(handle, Number(targetStat.mode) & 0o7777);
  return null;
}

/** A file read through its descriptor, as a copy source (the in-place save copies its temp file). */
export function fileCopySource(fd: number, label: string): CopySource {
  return {
    copyTo: (outFd, outOffset, start, end) =>
      durableIo.copyFileRange(fd, start, outFd, outOffset, end - start, label),
    read: (start, end) => durableIo.pread(fd, end - start, start, label),
  };
}

/** A file's identity through an open descriptor (stat fields and sampled bytes). */
export function identityOfHandle(handle: number, label: string): OriginalIdentity {
  const stat = fstatSync(handle, { bigint: true });
  return identityFrom(
    { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs },
    (start, end) => durableIo.pread(handle, end - start, start, label),
  );
}

/**
 * The copy step of an in-place save (and of its recovery): the synced temp file's bytes into
 * target's own inode (copy_file_range), its size set to the temp file's, then a full fsync (its
 * mtime is part of the identity the next epoch is committed over, so fdatasync would not do).
 * Idempotent: redoing it after a crash anywhere inside gives the same file. Returns the file's
 * identity afterwards.
 */
export async function copyTempIntoFile(
  tempPath: string,
  target: string,
  io: DurableFiles,
  onProgress?: (progress: SaveProgress) => void,
): Promise<OriginalIdentity> {
  const temp = io.openReadOnly(tempPath);
  try {
    const total = io.size(temp);
    const source = fileCopySource(temp, tempPath);
    const handle = io.open(target, "existing");
    try {
      for (let start = 0; start < total; start += COPY_STEP_BYTES) {
        const end = Math.min(total, start + COPY_STEP_BYTES);
        io.copyInto(handle, start, source, start, end);
        if (end < total) {
          onProgress?.({ bytesDone: end, bytesTotal: total });
          await new Promise<void>((resolveStep) => setImmediate(resolveStep));
        }
      }
      crashPoint("save:after-inplace-copy");
      io.truncate(handle, total);
      crashPoint("save:after-inplace-truncate");
      io.fullSync(handle);
      crashPoint("save:after-inplace-sync");
      onProgress?.({ bytesDone: total, bytesTotal: total });
      return identityOfHandle(handle, target);
    } finally {
      io.close(handle);
    }
  } finally {
    io.close(temp);
  }
}

/**
 * Writes the version into a synced temp file beside target (mode `mode`). On any failure or
 * cancellation the temp file is removed and the target is untouched.
 */
export async function writeTempFile(
  root: PieceNode,
  original: CopySource,
  add: CopySource | null,
  target: string,
  mode: number,
  io: DurableFiles,
  options: SaveOptions & {
    /** Called on the written temp file before it is synced (to give it the target's identity). */
    prepare?: (handle: number) => void;
  },
): Promise<WrittenFile> {
  const pid = process.pid;
  const time = Date.now();
  const tempPath = tempPathFor(target, pid, time);
  const handle = io.open(tempPath, "create");
  let ok = false;
  try {
    const total = root.length;
    // Reserve the space first: a full disk fails here, before anything is copied.
    if (total > 0) durableIo.allocate(handle, 0, total, tempPath);
    fchmodSync(handle, mode);
    const segments: [boolean, number, number, number][] = [];
    forEachPiece(root, 0, total, (buffer, from, to, at) => {
      segments.push([buffer === ORIGINAL, from, to, at]);
      return true;
    });
    let done = 0;
    let sinceYield = 0;
    for (const [isOriginal, from, to, at] of segments) {
      for (let start = from; start < to; start += COPY_STEP_BYTES) {
        const end = Math.min(to, start + COPY_STEP_BYTES);
        io.copyInto(handle, at + (start - from), isOriginal ? original : add!, start, end);
        done += end - start;
        sinceYield += end - start;
        if (sinceYield >= COPY_STEP_BYTES) {
          // Let the disk start on what is copied while the rest is copied: the final fsync is shorter.
          durableIo.startWriteback(handle, done - sinceYield, sinceYield);
          sinceYield = 0;
          options.onProgress?.({ bytesDone: done, bytesTotal: total });
          // Let replies and cancellation in between steps.
          await new Promise<void>((resolveStep) => setImmediate(resolveStep));
        }
        if (options.signal?.aborted) throw new SaveError("the save was cancelled", "ABORT_ERR");
      }
    }
    options.prepare?.(handle);
    crashPoint("save:after-temp-write");
    io.fullSync(handle);
    crashPoint("save:after-temp-sync");
    const identity = identityOfHandle(handle, tempPath);
    options.onProgress?.({ bytesDone: total, bytesTotal: total });
    ok = true;
    return { tempPath, identity, pid, time };
  } finally {
    io.close(handle);
    if (!ok) {
      try {
        io.remove(tempPath);
      } catch {
        // Best effort: the failure that brought us here is the one to report.
      }
    }
  }
}
