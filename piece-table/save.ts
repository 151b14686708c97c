/**
 * Writing a document version to disk (DESIGN.md, "Saving the file itself"): the checks before,
 * and the temp file beside the target — original pieces copied kernel-side (copy_file_range),
 * added pieces from the add buffer — synced before anyone renames it into place.
 */
import { accessSync, constants, existsSync, fchmodSync, fstatSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { durableIo } from "../native/index.js";
import { diskStateOf } from "./disk-state.js";
import { type CopySource, crashPoint, type DurableFiles } from "./durable-files.js";
import { forEachPiece, ORIGINAL, type PieceNode } from "./piece-tree.js";
import type { OriginalIdentity } from "./session-format.js";
import { identityFrom } from "./session-store.js";

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
 * Refuses, with a clear error, a save that cannot succeed or should not happen: the folder is
 * not writable, the disk lacks room, or (unless forced) the file changed on disk since opened.
 */
export function checkBeforeSave(
  target: string,
  length: number,
  expected: { dev: bigint; ino: bigint; size: number; mtimeNs: bigint } | null,
  force: boolean,
): void {
  const folder = dirname(target);
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
  options: SaveOptions,
): Promise<WrittenFile> {
  const tempPath = join(dirname(target), `.${basename(target)}.gigapad-${process.pid}-${Date.now()}.tmp`);
  const handle = io.open(tempPath, true);
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
    crashPoint("save:after-temp-write");
    // Test-only: a deliberately broken save (renamed without syncing), to prove the tests see it.
    if (process.env.GIGAPAD_TEST_BREAK !== "rename-before-sync") io.fullSync(handle);
    crashPoint("save:after-temp-sync");
    const stat = fstatSync(handle, { bigint: true });
    const identity = identityFrom(
      { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs },
      (start, end) => durableIo.pread(handle, end - start, start, tempPath),
    );
    options.onProgress?.({ bytesDone: total, bytesTotal: total });
    ok = true;
    return { tempPath, identity };
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
