/**
 * Opening a document: for editing (taking the session's lock, restoring its committed edits,
 * finishing a save a crash cut short) or read-only (no lock, nothing written); and the policy
 * for sessions that cannot be applied — set aside, never deleted — and for temp files a dead
 * save left beside the file.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { durableIo, type MappedFile, openMappedFile } from "../native/index.js";
import { Document } from "./document.js";
import { crashPoint, type DurableFiles, systemFiles } from "./durable-files.js";
import { encodingFromBom, ruleOf, whatwgEncoding } from "./line-feed-rule.js";
import { identityOf } from "./original-identity.js";
import { ORIGINAL, singlePieceTree } from "./piece-tree.js";
import { copyTempIntoFile, identityOfHandle, resolveTarget, tempPathFor } from "./save.js";
import { defaultStateDirectory, SESSION_FILES, SessionFolder, sessionFolderFor } from "./session-folder.js";
import {
  type CopyAnnouncement,
  CorruptRecordError,
  type OriginalIdentity,
  type RootSlot,
  sameIdentity,
} from "./session-format.js";
import {
  type CommittedSession,
  clearUncommitted,
  everCommitted,
  type RecoveryResult,
  readCommitted,
} from "./session-reader.js";
import { SessionStore, type StoreOptions } from "./session-store.js";

export interface OpenOptions {
  /** Open without a session: no edits, and no lock, so it works while another process edits. */
  readOnly?: boolean;
  /** Folder for sessions (default: GIGAPAD_STATE_DIR or the platform's state folder). */
  stateDir?: string;
  /**
   * The encoding to read the file in, a WHATWG label ("utf-16le", "utf-16be", "utf-8",
   * "shift_jis", …; an unknown one is a RangeError): UTF-16 counts lines in code units and takes
   * edits of whole units only, any other encoding is bytes to the engine (`doc.encoding` keeps
   * its WHATWG name). Without it a UTF-16 byte order mark (FF FE, FE FF) is followed, and
   * anything else is bytes. A committed session is restored in the encoding it was made in when
   * that counts lines another way (its edits are whole units of that encoding).
   */
  encoding?: string;
  /** @internal The I/O seam of the session store (crash tests record and replay it). */
  durableFiles?: DurableFiles;
  /** @internal Session store tuning (tests make snapshots and compaction frequent). */
  sessionTuning?: { snapshotAfterOps?: number; compactAfterBytes?: number };
}

/**
 * A session open() could not apply: it was made over a different version of the file (the file
 * changed on disk), or its records did not replay. It was moved aside, not deleted; its inserted
 * text can be exported with `gigapad recover FILE --export OUT`.
 */
export interface SetAsideSession {
  folder: string;
  reason: "file changed on disk" | "session could not be replayed" | "session could not be read";
  committedAt: Date | null;
  edits: number;
}

/**
 * Opens a document, restoring its committed session (unsaved edits of an earlier run) if there
 * is one. Throws with code ENOENT, EACCES, EISDIR, ENOTREG, ESESSIONLOCKED, ...
 */
export async function open(path: string, options: OpenOptions = {}): Promise<Document> {
  const absolute = resolve(path);
  const named = options.encoding === undefined ? null : whatwgEncoding(options.encoding);
  const original = openMappedFile(absolute);
  const stateDirectory = options.stateDir ?? defaultStateDirectory();
  try {
    const io = options.durableFiles ?? systemFiles;
    const encoding = named ?? encodingFromBom(original.read(0, Math.min(2, original.size)));
    if (options.readOnly) return openReadOnly(absolute, original, stateDirectory, io, encoding);
    return openForEditing(absolute, original, stateDirectory, { io, ...options.sessionTuning, encoding });
  } catch (error) {
    original.close();
    throw error;
  }
}

function openReadOnly(
  path: string,
  original: MappedFile,
  stateDirectory: string,
  io: DurableFiles,
  requested: string | null,
): Document {
  // A read-only view shows the committed session too (a snapshot of what another process saved),
  // without taking its lock or writing anything.
  const folder = sessionFolderFor(path, stateDirectory);
  const identity = identityOf(original);
  let recovery = existsSync(folder) ? readCommitted(folder, identity, io) : null;
  // An in-place save under way (or cut short): its old version shows only over the old file.
  if (recovery?.copyFrom && !identityMatchesSlot(recovery, identity)) recovery = null;
  const addPath = join(folder, SESSION_FILES.add);
  const parts = { path, original, io, stateDirectory, encoding: encodingFor(requested, recovery?.committed) };
  if (!recovery?.committed || !existsSync(addPath)) {
    return Document.create({ ...parts, access: { kind: "read-only", add: null } });
  }
  const doc = Document.create({ ...parts, access: { kind: "read-only", add: openMappedFile(addPath) } });
  try {
    doc.restore(recovery.committed);
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error;
    doc.resetToOriginal();
  }
  return doc;
}

async function openForEditing(
  path: string,
  original: MappedFile,
  stateDirectory: string,
  storeOptions: StoreOptions,
): Promise<Document> {
  const io = storeOptions.io ?? systemFiles;
  const requested = storeOptions.encoding ?? null;
  let session = SessionFolder.acquire(path, stateDirectory, io);
  let setAside: SetAsideSession | null = null;
  let encoding = requested;
  try {
    let identity = identityOf(original);
    let recovery: RecoveryResult = readCommitted(session.path, identity, io, (start, end) =>
      original.read(start, end),
    );
    if (recovery.copyFrom) {
      // An in-place save announced and cut short: redo its copy from the temp file.
      const finished = await finishInterruptedCopy(path, recovery.copyFrom, io);
      if (finished) {
        const file = openMappedFile(path);
        let store: SessionStore | null = null;
        try {
          identity = identityOf(file);
          encoding = encodingFor(requested, recovery.committed);
          store = SessionStore.open(session.path, file, recovery.committed, {
            ...storeOptions,
            identity,
            encoding,
          });
          const saved = singlePieceTree(ORIGINAL, 0, file.size, Number.NaN);
          store.beginEpoch(identity, { root: saved, undo: [], redo: [] }, file.size);
          crashPoint("save:after-epoch-commit");
          io.remove(tempPathFor(resolveTarget(path), recovery.copyFrom.pid, recovery.copyFrom.time));
          removeDeadSaveTempFiles(path);
        } catch (error) {
          store?.close();
          file.close();
          throw error;
        }
        // The mapping opened before the copy shows what the file held then: replaced.
        original.close();
        const access = { kind: "writable", session, store } as const;
        return Document.create({ path, original: file, access, io, stateDirectory, encoding });
      }
      // The temp file is not the one announced (gone or changed): the copy cannot be redone.
      recovery = identityMatchesSlot(recovery, identity)
        ? { committed: recovery.committed, staleSlot: null }
        : { committed: null, staleSlot: recovery.committed?.slot ?? null };
      if (!recovery.committed && !recovery.staleSlot) {
        setAside = { folder: "", committedAt: null, edits: 0, reason: "session could not be read" };
        session = moveAside(session, path, stateDirectory, setAside, io);
      }
    }
    // Holding the session, no save of this file can be running anywhere: temp files left beside
    // it by a save that died are garbage (often as large as the file).
    removeDeadSaveTempFiles(path);
    if (recovery.staleSlot && recovery.staleEdits === false) {
      // Committed as the file was (an epoch begun by a save or by following a growing log, no
      // edit since): the session holds nothing but bytes of a file that has changed — nothing of
      // the user's to keep aside.
      clearUncommitted(session.path, io);
      recovery = { committed: null, staleSlot: null };
    } else if (recovery.staleSlot) {
      setAside = { ...setAsideInfo(recovery.staleSlot), reason: "file changed on disk" };
      session = moveAside(session, path, stateDirectory, setAside, io);
      recovery = { committed: null, staleSlot: null };
    } else if (!recovery.committed && !everCommitted(session.path)) {
      // A process died before its first commit: an empty session is no session.
      clearUncommitted(session.path, io);
    } else if (!recovery.committed && holdsData(session.path)) {
      // Session files that verify nowhere: not overwritten, in case the typed text matters.
      setAside = { folder: "", committedAt: null, edits: 0, reason: "session could not be read" };
      session = moveAside(session, path, stateDirectory, setAside, io);
    }
    encoding = encodingFor(requested, recovery.committed);
    let store = SessionStore.open(session.path, original, recovery.committed, {
      ...storeOptions,
      identity,
      encoding,
    });
    const writable = (store: SessionStore) =>
      Document.create({
        path,
        original,
        access: { kind: "writable", session, store },
        io,
        stateDirectory,
        encoding,
      });
    let doc = writable(store);
    if (recovery.committed) {
      try {
        doc.restore(recovery.committed);
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        // Verified records that do not replay: keep them aside, start clean.
        store.close();
        setAside = { ...setAsideInfo(recovery.committed.slot), reason: "session could not be replayed" };
        session = moveAside(session, path, stateDirectory, setAside, io);
        encoding = requested;
        store = SessionStore.open(session.path, original, null, { ...storeOptions, identity, encoding });
        doc = writable(store);
      }
    }
    if (setAside) doc.noteSetAside(setAside);
    if (recovery.grownFrom !== undefined) await doc.finishInterruptedAppend(recovery.grownFrom);
    return doc;
  } catch (error) {
    session.release();
    throw error;
  }
}

/**
 * The encoding a document opens in: the one asked for (or the BOM's), unless a committed session
 * was made in one that counts lines another way — its edits replay only under that rule; with
 * none asked for, the session's.
 */
function encodingFor(
  requested: string | null,
  committed: CommittedSession | null | undefined,
): string | null {
  if (!committed) return requested;
  const made = committed.slot.encoding ?? null;
  // None asked for: the one the edits were typed in (a reader chose it; hot exit keeps it).
  if (requested === null) return made;
  return ruleOf(made) === ruleOf(requested) ? requested : made;
}

/** Whether the file is exactly what the recovered slot was committed over. */
function identityMatchesSlot(recovery: RecoveryResult, identity: OriginalIdentity): boolean {
  const slot = recovery.committed?.slot;
  return slot !== undefined && sameIdentity(slot.identity, identity);
}

/**
 * Redoes the copy of an in-place save that was announced and cut short: the temp file the
 * announcement names, if it is still the one announced (size and sampled bytes), is copied into
 * the file again. Returns false (and touches nothing) when it is not.
 */
async function finishInterruptedCopy(
  path: string,
  copy: CopyAnnouncement,
  io: DurableFiles,
): Promise<boolean> {
  const tempPath = tempPathFor(resolveTarget(path), copy.pid, copy.time);
  if (!existsSync(tempPath)) return false;
  const handle = io.openReadOnly(tempPath);
  let whole: boolean;
  try {
    const found = identityOfHandle(handle, tempPath);
    whole = found.size === copy.temp.size && found.sample === copy.temp.sample;
  } finally {
    io.close(handle);
  }
  if (!whole) return false;
  await copyTempIntoFile(tempPath, resolveTarget(path), io);
  return true;
}

/** Removes `.<name>.gigapad-<pid>-<time>.tmp` files beside path whose process is gone. */
function removeDeadSaveTempFiles(path: string): void {
  const folder = dirname(path);
  const prefix = `.${basename(path)}.gigapad-`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const match = name.startsWith(prefix) ? /^(\d+)-\d+\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    rmSync(join(folder, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether a session folder has anything in its data files. */
function holdsData(folder: string): boolean {
  return Object.values(SESSION_FILES).some((name) => {
    try {
      return statSync(join(folder, name)).size > 0;
    } catch {
      return false;
    }
  });
}

function setAsideInfo(slot: RootSlot): Omit<SetAsideSession, "reason" | "folder"> & { folder: string } {
  return { folder: "", committedAt: new Date(slot.committedAt), edits: slot.edits };
}

/** Renames a locked session folder to `<folder>.set-aside-<time>` and takes a fresh one. */
function moveAside(
  session: SessionFolder,
  path: string,
  stateDirectory: string,
  info: SetAsideSession,
  io: DurableFiles,
): SessionFolder {
  const target = `${session.path}.set-aside-${Date.now()}`;
  renameSync(session.path, target);
  durableIo.syncDirectory(dirname(target));
  info.folder = target;
  session.release();
  return SessionFolder.acquire(path, stateDirectory, io);
}
