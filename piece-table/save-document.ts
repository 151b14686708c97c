/**
 * Saving a document (DESIGN.md, "Saving the file itself"): which way the file is written — a
 * temp file renamed over it, the temp file copied into its own inode (in place), or only the
 * added bytes appended to it — and the session's new epoch once it is written. The writing
 * itself (checks, temp file, rename, copy) is save.ts.
 */
import { existsSync, fstatSync, ftruncateSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type AppendFile, durableIo, type MappedFile, openMappedFile } from "../native/index.js";
import { diskStateOf } from "./disk-state.js";
import { crashPoint, type DurableFiles } from "./durable-files.js";
import { identityFrom } from "./original-identity.js";
import { ADDED, forEachPiece, ORIGINAL, type PieceNode, singlePieceTree } from "./piece-tree.js";
import {
  checkBeforeSave,
  copyTempIntoFile,
  giveIdentity,
  publishTempFile,
  resolveTarget,
  SaveError,
  type SaveOptions,
  type SaveProgress,
  saveModeOf,
  type WrittenFile,
  writeTempFile,
} from "./save.js";
import { SessionFolder } from "./session-folder.js";
import type { OriginalIdentity } from "./session-format.js";
import type { SessionStore } from "./session-store.js";
import type { Adoption, Versions } from "./versions.js";

/** What a save needs of the document it saves (the document hands it over; see Document.saveTo). */
export interface SaveHost {
  readonly path: string;
  readonly versions: Versions;
  readonly store: SessionStore;
  readonly session: SessionFolder;
  readonly add: AppendFile;
  readonly io: DurableFiles;
  readonly stateDirectory: string;
  /** Commits the pending edits (a save first makes them durable in the session). */
  commit(): Promise<void>;
  /** Bytes of the current version. */
  read(start: number, end: number): Buffer;
  reportProgress(progress: SaveProgress): void;
  /** The document's file is now `path` (a save-as). */
  moved(path: string): void;
  /** The written file is the document's original now. */
  saved(file: MappedFile, root: PieceNode, adoption: Adoption): void;
  /** The document stops taking edits, for this reason. */
  failed(error: Error): void;
}

/** A save to the document's own file, or a save-as (which refuses a file another Gigapad holds). */
export type SaveKind = "save" | "save-as";

/** Writes the current version to `path` (the document's own file, or another for a save-as). */
export async function saveDocument(
  doc: SaveHost,
  path: string,
  kind: SaveKind,
  options: SaveOptions,
): Promise<void> {
  const { versions, io } = doc;
  const target = resolveTarget(path);
  const sameFile = existsSync(target) && resolveTarget(doc.path) === target;
  if (!sameFile && kind === "save-as") {
    // Refuse before writing anything if another Gigapad has the target open.
    SessionFolder.assertNotHeld(target, doc.stateDirectory);
  }
  const disk = versions.newestOriginal.file;
  const how = saveModeOf(options);
  checkBeforeSave(target, versions.length, sameFile ? disk.identity : null, { force: options.force });
  const existing = existsSync(target) ? statSync(target) : null;
  const mode = existing ? existing.mode & 0o7777 : 0o666 & ~process.umask();
  if (sameFile && how !== "rename" && canAppendInPlace(doc)) {
    await appendInPlace(doc, target, options);
    return;
  }
  // The session first holds every edit over the old file: a crash from here on loses none.
  if (versions.committable) await doc.commit();
  // In place only over the document's own file (the session journals the copy).
  const inPlaceAsked = sameFile && how === "in-place";
  // An in-place save writes the bytes twice (the temp file, then the file): when that is known
  // up front, progress spans both passes.
  const passes =
    inPlaceAsked || (sameFile && how === "auto" && existing !== null && existing.nlink > 1) ? 2 : 1;
  let identityLost: string | null = null;
  const written = await writeTempFile(
    versions.tree,
    versions.currentOriginal.file,
    doc.add,
    target,
    inPlaceAsked ? 0o600 : mode,
    io,
    {
      ...options,
      onProgress: ({ bytesDone, bytesTotal }) =>
        doc.reportProgress({ bytesDone, bytesTotal: bytesTotal * passes }),
      prepare: (handle) => {
        if (existing && !inPlaceAsked) identityLost = giveIdentity(target, existing, handle);
      },
    },
  );
  if (inPlaceAsked || (sameFile && how === "auto" && identityLost !== null)) {
    await copyInPlace(doc, written, target, passes === 2 ? versions.length : 0);
    return;
  }
  // Another program may have written the file while the temp file was being written (a log
  // appended to): look again, as late as the rename allows, or its bytes would be dropped.
  if (sameFile && !options.force && diskStateOf(target, disk.identity) !== "unchanged") {
    io.remove(written.tempPath);
    throw new SaveError(
      `${target} changed on disk while it was being saved (another program wrote to it); ` +
        "nothing was replaced (save with { force: true } to overwrite its changes)",
      "EFILECHANGED",
    );
  }
  const saved = savedTree(versions);
  try {
    // The new epoch is committed before the rename (see SessionStore.beginEpoch).
    doc.store.beginEpoch(written.identity, { root: saved, undo: [], redo: [] }, versions.length);
    crashPoint("save:after-epoch-commit");
  } catch (error) {
    io.remove(written.tempPath);
    throw error;
  }
  publishTempFile(written.tempPath, target, io);
  if (kind === "save-as" && resolveTarget(doc.path) !== target) {
    doc.session.moveTo(target, doc.stateDirectory);
    doc.store.relocate(doc.session.path);
    doc.moved(resolve(path));
  }
  doc.saved(openMappedFile(target), saved, "replaced");
}

/** The saved version: the written file as one piece, its line-feed count carried over. */
function savedTree(versions: Versions): PieceNode {
  return singlePieceTree(ORIGINAL, 0, versions.length, versions.tree.lineFeeds);
}

/**
 * The in-place save, once the new content is in a synced temp file beside the file: the temp
 * file's directory entry is made durable, the session announces "copying temp T over the file",
 * T is copied into the file's own inode (copy_file_range, ftruncate, fsync), the new epoch
 * begins and T is removed. A crash anywhere in between is finished on the next open by redoing
 * the copy from T, so the file is the old or the new version once reopened. The file keeps its
 * inode, hence its owner, group, mode, hard links, xattrs and ACLs.
 */
async function copyInPlace(
  doc: SaveHost,
  written: WrittenFile,
  target: string,
  /** Bytes the progress already counted for the temp file's pass (0: the copy counts alone). */
  counted: number,
): Promise<void> {
  const { versions, io, store } = doc;
  const old = versions.newestOriginal;
  try {
    io.syncDirectory(dirname(target));
    crashPoint("save:after-inplace-temp");
    store.announceCopy(
      { pid: written.pid, time: written.time, temp: written.identity },
      () => ({ root: singlePieceTree(ORIGINAL, 0, old.file.size, Number.NaN), undo: [], redo: [] }),
      old.file.size,
    );
    crashPoint("save:after-inplace-announce");
  } catch (error) {
    io.remove(written.tempPath);
    throw error;
  }
  // From here the file's own bytes change: the old mapping (and every version reading it) is
  // gone once the copy starts. A failure leaves the announcement for the next open to finish.
  old.index.cancel();
  try {
    const identity = await copyTempIntoFile(written.tempPath, target, io, ({ bytesDone, bytesTotal }) =>
      doc.reportProgress({ bytesDone: counted + bytesDone, bytesTotal: counted + bytesTotal }),
    );
    const saved = savedTree(versions);
    store.beginEpoch(identity, { root: saved, undo: [], redo: [] }, versions.length);
    crashPoint("save:after-epoch-commit");
    io.remove(written.tempPath);
    crashPoint("save:after-inplace-remove");
    doc.saved(openMappedFile(target), saved, "overwritten");
  } catch (error) {
    const failure = Object.assign(
      new Error(
        `the in-place save of ${target} was interrupted (${(error as Error).message}); ` +
          "the document is read-only — reopen the file to finish the save from its session",
        { cause: error },
      ),
      { code: (error as NodeJS.ErrnoException).code ?? "ESESSIONFAILED" },
    );
    doc.failed(failure);
    throw failure;
  }
}

/**
 * If the version is the start of the original (one piece from offset 0) followed only by added
 * bytes, the length of that start; otherwise -1.
 */
function originalPrefix(root: PieceNode): number {
  let prefix = -1;
  let shape = true;
  forEachPiece(root, 0, root.length, (buffer, from, to) => {
    if (prefix < 0) {
      shape = buffer === ORIGINAL && from === 0;
      prefix = to;
      return shape;
    }
    shape = buffer === ADDED;
    return shape;
  });
  return shape ? prefix : -1;
}

/**
 * Whether saving only needs to extend the file: the version is the file as opened (one piece
 * from 0 to its end — or a prefix of it, after an interrupted append) followed by added bytes.
 */
function canAppendInPlace(doc: SaveHost): boolean {
  const { versions } = doc;
  if (!versions.committable || !versions.overNewest) return false;
  const original = versions.currentOriginal.file;
  const fileLength = original.size;
  if (versions.length < fileLength) return false;
  const prefix = originalPrefix(versions.tree);
  // Nothing to append at all (and no interrupted append to finish): not this path.
  if (prefix < 0 || prefix > fileLength || (prefix === fileLength && versions.length === fileLength)) {
    return false;
  }
  // After an interrupted append the file holds more than the prefix: those bytes must be ours.
  return prefix === fileLength || doc.read(prefix, fileLength).equals(original.read(prefix, fileLength));
}

/**
 * The append fast path: the session announces the append (so a crash mid-way is finished on
 * reopen), the added bytes are written after the file's end, synced, and a new epoch begins.
 * Costs what the appended bytes cost, whatever the file's size. `from` is where the file's own
 * bytes end: its size, or where an interrupted append began.
 */
async function appendInPlace(
  doc: SaveHost,
  target: string,
  options: SaveOptions,
  from = doc.versions.currentOriginal.file.size,
): Promise<void> {
  const { versions, io, store } = doc;
  const original = versions.currentOriginal.file;
  await doc.commit();
  const fileLength = from;
  const interrupted = from !== original.size;
  // The commit took a while: a program appending to the file meanwhile would see its bytes
  // overwritten and cut off. Look again before announcing anything.
  if (!interrupted && !options.force) {
    if (diskStateOf(target, versions.newestOriginal.file.identity) !== "unchanged") {
      throw new SaveError(
        `${target} changed on disk while it was being saved (another program wrote to it); ` +
          "nothing was written (save with { force: true } to overwrite its changes)",
        "EFILECHANGED",
      );
    }
  }
  if (!interrupted) store.announceAppend(fileLength);
  crashPoint("save:after-append-announce");
  const handle = io.open(target, "existing");
  const length = versions.length;
  let identity: OriginalIdentity;
  try {
    let done = 0;
    const total = length - fileLength;
    forEachPiece(versions.tree, fileLength, length, (buffer, start, end, at) => {
      io.copyInto(handle, at, buffer === ORIGINAL ? original : doc.add, start, end);
      done += end - start;
      return true;
    });
    // Finishing an interrupted append: whatever the cut-short write left past the end goes.
    if (fstatSync(handle).size > length) ftruncateSync(handle, length);
    crashPoint("save:after-append-write");
    io.fullSync(handle);
    crashPoint("save:after-append-sync");
    doc.reportProgress({ bytesDone: done, bytesTotal: total });
    const stat = fstatSync(handle, { bigint: true });
    identity = identityFrom(
      { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs },
      (start, end) => durableIo.pread(handle, end - start, start, target),
    );
  } finally {
    io.close(handle);
  }
  const saved = savedTree(versions);
  store.beginEpoch(identity, { root: saved, undo: [], redo: [] }, length);
  crashPoint("save:after-epoch-commit");
  doc.saved(openMappedFile(target), saved, "replaced");
}

/**
 * After recovery found an append save cut short (the session announced it from `from`, and the
 * file has grown since): the bytes past `from` are that save's, whatever they hold now (a power
 * cut can leave zeros), so they are rewritten from the document. Returns whether it did.
 */
export async function finishInterruptedAppend(doc: SaveHost, from: number): Promise<boolean> {
  const { versions, io } = doc;
  if (originalPrefix(versions.tree) !== from) return false;
  // The bytes past `from` are this save's — as written, or zeros a power cut left — unless
  // another program appended after the crash (a log being written): then they are neither,
  // not ours to rewrite or cut off, and the recovered edits stay in the session.
  const target = resolveTarget(doc.path);
  const size = statSync(target).size;
  const checked = Math.min(size - from, 64 * 1024);
  if (checked > 0) {
    const ours = doc.read(from, Math.min(versions.length, from + checked));
    const handle = io.openReadOnly(target);
    try {
      const past = io.read(handle, checked, from);
      for (let i = 0; i < past.length; i++) {
        if (past[i] !== 0 && past[i] !== (ours[i] ?? 0)) return false;
      }
    } finally {
      io.close(handle);
    }
  }
  await appendInPlace(doc, target, {}, from);
  return true;
}
