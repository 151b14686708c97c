/**
 * Document: the scripting API (DESIGN.md, "The scripting API") over the piece tree, the mapped
 * original and the add buffer. Offsets are bytes; lines are 0-based; the document is the single
 * source of truth for its bytes, undo and redo.
 */
import { constants as bufferConstants } from "node:buffer";
import { EventEmitter } from "node:events";
import {
  type BigIntStats,
  existsSync,
  fstatSync,
  ftruncateSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type AppendFile, durableIo, type MappedFile, openMappedFile } from "../native/index.js";
import { diskStateOf } from "./disk-state.js";
import { crashPoint, type DurableFiles, systemFiles } from "./durable-files.js";
import { type LineEndings, lineEndingsOf } from "./file-info.js";
import { type IndexProgress, LineIndex } from "./line-index.js";
import { identityFrom, identityOf } from "./original-identity.js";
import {
  ADDED,
  deleteRange,
  findLineFeed,
  firstDifference,
  forEachPiece,
  insertPieces,
  type LineFeedSource,
  lineFeedsBefore,
  ORIGINAL,
  onlyPiece,
  type PieceNode,
  pieceList,
  resolveLineFeeds,
  singlePieceTree,
  TreeBuilder,
} from "./piece-tree.js";
import {
  checkBeforeSave,
  copyTempIntoFile,
  giveIdentity,
  identityOfHandle,
  mayWrite,
  publishTempFile,
  resolveTarget,
  SaveError,
  type SaveOptions,
  type SaveProgress,
  saveModeOf,
  tempPathFor,
  type WrittenFile,
  writeTempFile,
} from "./save.js";
import { countMatches, type FindOptions, findMatches, type Match, replaceAllMatches } from "./search.js";
import type { DecodedOp, SessionOp } from "./session-codec.js";
import { defaultStateDirectory, SESSION_FILES, SessionFolder, sessionFolderFor } from "./session-folder.js";
import {
  type CopyAnnouncement,
  CorruptRecordError,
  type OriginalIdentity,
  type RootSlot,
  sameIdentity,
} from "./session-format.js";
import { clearUncommitted, everCommitted, type RecoveryResult, readCommitted } from "./session-reader.js";
import { SessionStore, type StoreOptions } from "./session-store.js";
import { type AddBufferView, type DocumentSnapshot, readTree } from "./snapshot.js";

export interface OpenOptions {
  /** Open without a session: no edits, and no lock, so it works while another process edits. */
  readOnly?: boolean;
  /** Folder for sessions (default: GIGAPAD_STATE_DIR or the platform's state folder). */
  stateDir?: string;
  /** @internal The I/O seam of the session store (crash tests record and replay it). */
  durableFiles?: DurableFiles;
  /** @internal Session store tuning (tests make snapshots and compaction frequent). */
  sessionTuning?: { snapshotAfterOps?: number; compactAfterBytes?: number };
}

/** What open() restored from the document's session: unsaved edits from an earlier run. */
export interface RecoveredSession {
  /** When the restored version was committed. */
  time: Date;
  /** Edits in the session (since it started) up to that commit. */
  edits: number;
  /** Length of the restored document in bytes. */
  bytes: number;
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

/** Consecutive typing within this many milliseconds is one undo step. */
const UNDO_GROUP_MS = 1500;
/** Added-buffer ranges up to this size are counted on the spot when a piece is split. */
const CHEAP_ADDED_COUNT_BYTES = 16 * 1024 * 1024;
/** Bytes getLine reads ahead for the line end at first, and at most before asking the index. */
const LINE_READ_AHEAD = 256;
const LINE_READ_AHEAD_MAX = 64 * 1024;
/** Bytes of a replaced file copied into the add buffer at once (see adoptIntoEpoch). */
const COPY_VERSION_STEP_BYTES = 16 * 1024 * 1024;
/** Undo steps kept; older ones are forgotten. Each is a root, sharing most of its tree. */
const UNDO_LIMIT = 10_000;
/** The largest string V8 can make, in UTF-16 units (a byte range longer than this cannot be decoded). */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

/** A mapped original file and its line index. */
interface OriginalBuffer {
  file: MappedFile;
  index: LineIndex;
  indexed: Promise<void>;
  /** Sampled when the buffer was set up: the mapping shows later changes, this does not. */
  identity: OriginalIdentity;
}

/** One edit of {@link Document.applyEdits}: bytes [start, end) become `text`. */
export interface EditRange {
  start: number;
  end: number;
  text: string | Uint8Array;
}

interface LastEdit {
  kind: "insert" | "delete";
  /** insert: where typing continues; delete: where the deletion happened. */
  at: number;
  time: number;
}

export interface DocumentEvents {
  indexProgress: [IndexProgress];
  indexed: [];
  changed: [];
  saveProgress: [SaveProgress];
  saved: [];
  /** The file grew and the document took the new bytes in (see adoptAppended): how many. */
  appended: [number];
}

/**
 * Opens a document, restoring its committed session (unsaved edits of an earlier run) if there
 * is one. Throws with code ENOENT, EACCES, EISDIR, ENOTREG, ESESSIONLOCKED, ...
 */
export async function open(path: string, options: OpenOptions = {}): Promise<Document> {
  const absolute = resolve(path);
  const original = openMappedFile(absolute);
  const stateDirectory = options.stateDir ?? defaultStateDirectory();
  try {
    const io = options.durableFiles ?? systemFiles;
    if (options.readOnly) return openReadOnly(absolute, original, stateDirectory, io);
    return openForEditing(absolute, original, stateDirectory, { io, ...options.sessionTuning });
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
): Document {
  // A read-only view shows the committed session too (a snapshot of what another process saved),
  // without taking its lock or writing anything.
  const folder = sessionFolderFor(path, stateDirectory);
  const identity = identityOf(original);
  let recovery = existsSync(folder) ? readCommitted(folder, identity, io) : null;
  // An in-place save under way (or cut short): its old version shows only over the old file.
  if (recovery?.copyFrom && !identityMatchesSlot(recovery, identity)) recovery = null;
  const addPath = join(folder, SESSION_FILES.add);
  if (!recovery?.committed || !existsSync(addPath))
    return new Document(path, original, null, null, null, null);
  const addView = openMappedFile(addPath);
  const doc = new Document(path, original, addView, null, null, null);
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
  let session = SessionFolder.acquire(path, stateDirectory, io);
  let setAside: SetAsideSession | null = null;
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
          store = SessionStore.open(session.path, file, recovery.committed, { ...storeOptions, identity });
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
        return new Document(path, file, store.add, store.add, session, store, io, stateDirectory);
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
    let store = SessionStore.open(session.path, original, recovery.committed, { ...storeOptions, identity });
    let doc = new Document(path, original, store.add, store.add, session, store, io, stateDirectory);
    if (recovery.committed) {
      try {
        doc.restore(recovery.committed);
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        // Verified records that do not replay: keep them aside, start clean.
        store.close();
        setAside = { ...setAsideInfo(recovery.committed.slot), reason: "session could not be replayed" };
        session = moveAside(session, path, stateDirectory, setAside, io);
        store = SessionStore.open(session.path, original, null, { ...storeOptions, identity });
        doc = new Document(path, original, store.add, store.add, session, store, io, stateDirectory);
      }
    }
    doc.setAside = setAside;
    if (recovery.grownFrom !== undefined) await doc.finishInterruptedAppend(recovery.grownFrom);
    return doc;
  } catch (error) {
    session.release();
    throw error;
  }
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

export class Document extends EventEmitter<DocumentEvents> {
  /** What was restored from a session on open, or null. */
  recovered: RecoveredSession | null = null;
  /** A session open() found but could not apply (moved aside, not deleted), or null. */
  setAside: SetAsideSession | null = null;
  /** Increases with every change of content (edits, undo, redo). */
  version = 0;

  private root: PieceNode;
  private readonly undoStack: PieceNode[] = [];
  private readonly redoStack: PieceNode[] = [];
  private lastEdit: LastEdit | null = null;
  /** Edits since the last commit, as the session log will record them. */
  private pendingOps: SessionOp[] = [];
  /** Edits since the session started (restored ones included). */
  private edits = 0;
  /** True while restore() replays a session's edits. */
  private replaying = false;
  /** Why the document stopped accepting edits (a failed session sync), or null. */
  private failure: Error | null = null;
  private closed = false;
  /** The original file the current version reads from, with its line index. */
  private current: OriginalBuffer;
  /**
   * The original each undo/redo version reads from, when it is not `current`: versions from
   * before a save keep the old file's mapping (the old inode lives on while mapped), so undo
   * across a save works within the process.
   */
  private readonly originalOf = new WeakMap<PieceNode, OriginalBuffer>();
  /** Originals replaced by saves, kept for undo; closed with the document. */
  private readonly retired: OriginalBuffer[] = [];
  private filePath: string;
  /** @internal Counts line feeds for the tree. */
  readonly lineFeedSource: LineFeedSource;

  /** @internal Use open(). */
  constructor(
    path: string,
    original: MappedFile,
    /** The add buffer for reading: the writable one, or a read-only mapping of a session's. */
    private readonly add: AddBufferView | null,
    /** The add buffer for appending; null when read-only. */
    private readonly appendable: AppendFile | null,
    private readonly session: SessionFolder | null,
    private readonly store: SessionStore | null,
    private readonly io: DurableFiles = systemFiles,
    private readonly stateDirectory: string = defaultStateDirectory(),
  ) {
    super();
    this.filePath = path;
    this.current = this.originalBuffer(original);
    this.newest = this.current;
    this.epoch = this.current;
    this.lineFeedSource = {
      count: (buffer, start, end) =>
        buffer === ORIGINAL ? this.lineIndex.count(start, end) : this.add!.countNewlines(start, end),
      tryCount: (buffer, start, end) => {
        // While a session replays, counts are left unknown: they are filled in when first asked
        // for, usually after the background index makes them O(1).
        if (this.replaying) return Number.NaN;
        if (buffer === ORIGINAL) return this.lineIndex.tryCount(start, end);
        return end - start <= CHEAP_ADDED_COUNT_BYTES ? this.add!.countNewlines(start, end) : Number.NaN;
      },
      nthLineFeed: (buffer, start, end, n) =>
        buffer === ORIGINAL ? this.lineIndex.nthLineFeed(start, end, n) : this.add!.nthNewline(start, end, n),
    };
    this.root = singlePieceTree(
      ORIGINAL,
      0,
      original.size,
      original.size === 0 ? 0 : this.lineIndex.tryCount(0, original.size),
    );
  }

  /** A mapped original with its line index, building in the background. */
  private originalBuffer(file: MappedFile, seeded: LineIndex | null = null): OriginalBuffer {
    const index = seeded ?? new LineIndex(file);
    const indexed = index.build((progress) => {
      if (this.current?.index === index) this.emit("indexProgress", progress);
    });
    indexed.then(
      () => {
        if (this.current?.index === index) this.emit("indexed");
      },
      () => {},
    );
    return { file, index, indexed, identity: identityOf(file) };
  }

  private get original(): MappedFile {
    return this.current.file;
  }

  private get lineIndex(): LineIndex {
    return this.current.index;
  }

  private get indexed(): Promise<void> {
    return this.current.indexed;
  }

  /** Absolute path of the document's file (saveAs changes it). */
  get path(): string {
    return this.filePath;
  }

  /** Length of the document in bytes. */
  get length(): number {
    return this.root.length;
  }

  /** True if the document takes no edits: opened read-only, or its session failed. */
  get readOnly(): boolean {
    return this.appendable === null || this.failure !== null;
  }

  /**
   * Whether save() may write the file: the document takes edits and this process may write the
   * file itself and its folder. False is what an editor shows as a read-only badge.
   */
  get canSave(): boolean {
    if (this.readOnly || this.closed) return false;
    try {
      return mayWrite(resolveTarget(this.path));
    } catch {
      return false;
    }
  }

  /** Whether every edit is committed to the session (what a UI shows as "all edits safe"). */
  get allEditsSafe(): boolean {
    return this.pendingOps.length === 0 && this.failure === null;
  }

  /** The original file as mapped at open: size and identity (dev, ino, mtime). */
  get originalFile(): { size: number; identity: MappedFile["identity"] } {
    return { size: this.original.size, identity: this.original.identity };
  }

  /** Progress of the background line index over the original file. */
  get indexProgress(): IndexProgress {
    return this.lineIndex.indexProgress;
  }

  /** Resolves once the original's line index is built (line queries never wait for it). */
  whenIndexed(): Promise<void> {
    return this.indexed;
  }

  /**
   * True when the content differs from the file on disk as last opened or saved: anything but the
   * whole of that file as one piece. (Typing a character and deleting it again counts as a change;
   * undoing it does not.)
   */
  get modified(): boolean {
    if (this.current !== this.newest) return true;
    const size = this.newest.file.size;
    const root = this.root;
    if (root.length !== size) return true;
    if (size === 0) return false;
    const piece = onlyPiece(root);
    return piece === null || piece.buffer !== ORIGINAL || piece.start !== 0;
  }

  /** Line endings of the original file (`lf`, `crlf`, `mixed`, `none`) once indexed; null before. */
  get originalLineEndings(): LineEndings | null {
    const crlf = this.lineIndex.crlfPairCount;
    if (crlf === null || !this.lineIndex.isComplete) return null;
    return lineEndingsOf(this.lineIndex.count(0, this.original.size), crlf);
  }

  /** CRLF pairs in the original file, once indexed (null before). */
  get originalCrlfPairs(): number | null {
    return this.lineIndex.crlfPairCount;
  }

  // ----- reading -------------------------------------------------------------------------------

  /** The bytes [start, end), exactly. */
  read(start = 0, end = this.length): Buffer {
    this.checkOpen();
    this.checkRange(start, end);
    if (end - start > bufferConstants.MAX_LENGTH) {
      throw new RangeError(`Range ${start}..${end} is too large for one Buffer; read it in parts`);
    }
    return readTree(this.root, start, end, this.original, this.add);
  }

  /** The text of [start, end) decoded as UTF-8 (a BOM at offset 0 is not part of the text). */
  getText(start = 0, end = this.length): string {
    this.checkOpen();
    this.checkRange(start, end);
    if (end - start > MAX_STRING_LENGTH) {
      throw new RangeError(
        `Range ${start}..${end} (${end - start} bytes) is too large for a JavaScript string ` +
          `(at most ${MAX_STRING_LENGTH}); use read() or getText() on smaller ranges`,
      );
    }
    return decodeUtf8(this.read(start, end), start === 0);
  }

  /** Number of lines: LF count + 1. Counts what the background index has not reached yet. */
  lineCount(): number {
    this.checkOpen();
    return resolveLineFeeds(this.root, this.lineFeedSource) + 1;
  }

  /** Byte offset where 0-based line `line` starts. */
  lineStart(line: number): number {
    this.checkOpen();
    if (!Number.isInteger(line) || line < 0) throw new RangeError(`Invalid line ${line}`);
    if (line === 0) return 0;
    const lineFeed = findLineFeed(this.root, line - 1, this.lineFeedSource);
    if (lineFeed < 0) throw new RangeError(`Invalid line ${line} in document with ${this.lineCount()} lines`);
    return lineFeed + 1;
  }

  /** The 0-based line holding byte `offset` (the LF ending a line belongs to that line). */
  lineAt(offset: number): number {
    this.checkOpen();
    this.checkOffset(offset);
    return lineFeedsBefore(this.root, offset, this.lineFeedSource);
  }

  /** Text of 0-based line `line`, without its terminator (LF or CRLF). */
  getLine(line: number): string {
    const start = this.lineStart(line);
    // Most lines are short: read ahead a little and look for the LF there, instead of a second
    // walk through the tree and the line index.
    for (let window = LINE_READ_AHEAD; window <= LINE_READ_AHEAD_MAX; window *= 8) {
      const windowEnd = Math.min(this.length, start + window);
      const bytes = this.read(start, windowEnd);
      let end = bytes.indexOf(10);
      if (end < 0 && windowEnd < this.length) continue;
      if (end < 0) end = bytes.length;
      else if (end > 0 && bytes[end - 1] === 13) end--;
      return decodeUtf8(bytes.subarray(0, end), start === 0);
    }
    const lineFeed = findLineFeed(this.root, line, this.lineFeedSource);
    let end = lineFeed < 0 ? this.length : lineFeed;
    if (lineFeed > start && this.read(lineFeed - 1, lineFeed)[0] === 13) end = lineFeed - 1;
    return this.getText(start, end);
  }

  // ----- editing -------------------------------------------------------------------------------

  /** Inserts text (UTF-8) or bytes at offset. */
  insert(offset: number, text: string | Uint8Array): void {
    this.checkWritable();
    this.checkOffset(offset);
    const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    if (bytes.length === 0) return;
    const newGroup = this.startsUndoGroup("insert", offset, offset + bytes.length, bytes);
    const addStart = this.appendable!.append(bytes);
    this.apply({ kind: "insert", offset, addStart, length: bytes.length, newGroup });
  }

  /** Deletes bytes [start, end). */
  delete(start: number, end: number): void {
    this.checkWritable();
    this.checkRange(start, end);
    if (start === end) return;
    this.apply({ kind: "delete", start, end, newGroup: this.startsUndoGroup("delete", start, end) });
  }

  /** Replaces bytes [start, end) with text, as one undo step. */
  replace(start: number, end: number, text: string | Uint8Array): void {
    this.checkWritable();
    this.checkRange(start, end);
    const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    if (start === end && bytes.length === 0) return;
    this.lastEdit = null;
    const addStart = bytes.length > 0 ? this.appendable!.append(bytes) : 0;
    this.apply({ kind: "replace", start, end, addStart, length: bytes.length });
  }

  /** Steps back one edit (or one group of typing). Returns false when there is nothing to undo. */
  undo(): boolean {
    this.checkWritable();
    if (this.undoStack.length === 0) return false;
    this.lastEdit = null;
    this.apply({ kind: "undo" });
    return true;
  }

  /**
   * Applies several edits at once, as one undo step (one edit alone groups with typing like
   * insert/delete do). Offsets are in the current version; the ranges must not overlap (inserts
   * at one offset land in the order given). What a multi-cursor keystroke or a paste sends.
   */
  applyEdits(edits: readonly EditRange[]): void {
    this.checkWritable();
    const prepared = edits.map((edit) => ({
      start: edit.start,
      end: edit.end,
      bytes: typeof edit.text === "string" ? Buffer.from(edit.text, "utf8") : edit.text,
    }));
    for (const edit of prepared) this.checkRange(edit.start, edit.end);
    const sorted = prepared
      .map((edit, order) => ({ ...edit, order }))
      .sort((x, y) => x.start - y.start || x.end - y.end || x.order - y.order);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.start < sorted[i - 1]!.end) {
        const [x, y] = [sorted[i - 1]!, sorted[i]!];
        throw new RangeError(`Edits ${x.start}..${x.end} and ${y.start}..${y.end} overlap`);
      }
    }
    const real = sorted.filter((edit) => edit.end > edit.start || edit.bytes.length > 0);
    if (real.length === 0) return;
    if (real.length === 1) {
      const { start, end, bytes } = real[0]!;
      if (start === end) this.insert(start, bytes);
      else if (bytes.length === 0) this.delete(start, end);
      else this.replace(start, end, bytes);
      return;
    }
    // From the last to the first, so each edit's offsets are still those of the version given.
    // Only the first operation opens an undo step; the rest join it.
    this.lastEdit = null;
    let newGroup = true;
    for (let i = real.length - 1; i >= 0; i--) {
      const { start, end, bytes } = real[i]!;
      if (end > start) {
        this.apply({ kind: "delete", start, end, newGroup });
        newGroup = false;
      }
      if (bytes.length > 0) {
        const addStart = this.appendable!.append(bytes);
        this.apply({ kind: "insert", offset: start, addStart, length: bytes.length, newGroup });
        newGroup = false;
      }
    }
  }

  /**
   * Byte offset where the last change (edit, undo, redo, replaceAll) begins, to bring it into
   * view; null before the first change or when the two versions read the same bytes.
   */
  get lastChangeAt(): number | null {
    const change = this.lastChange;
    if (!change) return null;
    if (change.at === undefined) {
      const at = firstDifference(change.before, change.after);
      change.at = at < 0 ? null : at;
    }
    return change.at;
  }

  /** Re-applies the last undone step. Returns false when there is nothing to redo. */
  redo(): boolean {
    this.checkWritable();
    if (this.redoStack.length === 0) return false;
    this.lastEdit = null;
    this.apply({ kind: "redo" });
    return true;
  }

  // ----- search --------------------------------------------------------------------------------

  /** Matches of pattern, in order, as byte ranges; streamed, stoppable by break or opts.signal. */
  find(pattern: string | RegExp, options: FindOptions = {}): AsyncIterable<Match> {
    this.checkOpen();
    return findMatches(this.snapshot(), pattern, options);
  }

  /** Number of matches of pattern (as find would yield them), faster than iterating them. */
  countMatches(pattern: string | RegExp, options: FindOptions = {}): Promise<number> {
    this.checkOpen();
    return countMatches(this.snapshot(), pattern, options);
  }

  /** Replaces every match (one undo step); returns how many. Memory stays bounded on GB files. */
  async replaceAll(
    pattern: string | RegExp,
    replacement: string,
    options: FindOptions = {},
  ): Promise<number> {
    this.checkWritable();
    const snapshot = this.snapshot();
    const result = await replaceAllMatches(snapshot, pattern, replacement, options, (bytes) =>
      this.appendable!.append(bytes),
    );
    if (result.count === 0) return 0;
    if (this.root !== snapshot.root) {
      throw new Error("the document changed while replaceAll was running; nothing was replaced");
    }
    this.lastEdit = null;
    this.apply({ kind: "setRoot", root: result.root });
    return result.count;
  }

  // ----- lifecycle -----------------------------------------------------------------------------

  /**
   * Makes the current version a durable session checkpoint (the three-phase commit of
   * DESIGN.md): after it resolves, a crash or kill -9 loses none of these edits, and the next
   * open() restores them. Costs what the edits since the last commit cost, not the file size.
   * If the disk refuses (full, I/O error), it throws and the document turns read-only; the last
   * good commit stays recoverable.
   */
  async commit(): Promise<void> {
    this.checkOpen();
    if (!this.store || this.pendingOps.length === 0) return;
    if (this.failure) throw this.failure;
    // A version from before the last save reads from the replaced file, which is no longer on
    // disk: the bytes it still needs from there are copied into the add buffer first.
    if (this.current !== this.epoch) this.adoptIntoEpoch();
    try {
      this.store.commit({
        ops: this.pendingOps,
        state: () => this.persistableState(),
        edits: this.edits,
        documentLength: this.length,
        snapshot: this.needsSnapshot ? "always" : "when-due",
      });
      this.pendingOps = [];
      this.needsSnapshot = false;
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  /**
   * Makes the current version — one from before the last save, reading the replaced file's
   * mapping — committable: the bytes it reads from that file are appended to the add buffer and
   * its pieces point there, so it no longer needs the old file; the next commit is a snapshot.
   * Refuses (code EVERSIONTOOLARGE, nothing changed) when that is more than
   * {@link Document.versionCopyLimit} bytes: such a version is made durable by saving it.
   */
  private adoptIntoEpoch(): void {
    const from = this.current;
    let needed = 0;
    forEachPiece(this.root, 0, this.length, (buffer, start, end) => {
      if (buffer === ORIGINAL) needed += end - start;
      return true;
    });
    if (needed > Document.versionCopyLimit) {
      throw Object.assign(
        new Error(
          `this version, from before the last save, reads ${needed} bytes of the file as it was; ` +
            "it cannot be kept in the session (save it, or redo to the saved version)",
        ),
        { code: "EVERSIONTOOLARGE" },
      );
    }
    const builder = new TreeBuilder();
    const add = this.appendable!;
    forEachPiece(this.root, 0, this.length, (buffer, start, end) => {
      if (buffer === ADDED) {
        builder.push(ADDED, start, end - start, add.countNewlines(start, end));
        return true;
      }
      for (let at = start; at < end; at += COPY_VERSION_STEP_BYTES) {
        const stop = Math.min(end, at + COPY_VERSION_STEP_BYTES);
        const addStart = add.append(from.file.read(at, stop));
        builder.push(ADDED, addStart, stop - at, add.countNewlines(addStart, addStart + (stop - at)));
      }
      return true;
    });
    this.root = this.length === 0 ? singlePieceTree(ORIGINAL, 0, 0, 0) : builder.finish();
    this.current = this.epoch;
    this.needsSnapshot = true;
  }

  /**
   * @internal Most bytes of the replaced file a version from before a save may need copied into
   * the add buffer to be committed (tests lower it).
   */
  static versionCopyLimit = 256 * 1024 * 1024;

  /**
   * Writes the document to its file, atomically: a temp file beside it (original pieces copied
   * kernel-side, added pieces from the add buffer), fsync, rename over the file, fsync of the
   * folder. Untouched bytes come out exactly as they went in. Afterwards the file is the new
   * original (the piece table is one piece again) and the session starts a new epoch; undo still
   * walks back across the save within this process. Refuses (code EFILECHANGED) if another
   * program changed the file since it was opened, unless `force`; any failure leaves the file
   * exactly as it was.
   */
  async save(options: SaveOptions = {}): Promise<void> {
    await this.saveTo(this.path, false, options);
  }

  /** Like save(), to `path` (a symlink is written through), which becomes the document's file. */
  async saveAs(path: string, options: SaveOptions = {}): Promise<void> {
    await this.saveTo(path, true, options);
  }

  private async saveTo(path: string, isSaveAs: boolean, options: SaveOptions): Promise<void> {
    if (this.saving) throw new SaveError("a save of this document is already running", "ESAVEBUSY");
    this.checkWritable();
    this.saving = true;
    try {
      const target = resolveTarget(path);
      const sameFile = existsSync(target) && resolveTarget(this.path) === target;
      if (!sameFile && isSaveAs) {
        // Refuse before writing anything if another Gigapad has the target open.
        SessionFolder.assertNotHeld(target, this.stateDirectory);
      }
      const disk = this.newest.file;
      const how = saveModeOf(options);
      checkBeforeSave(target, this.length, sameFile ? disk.identity : null, options.force ?? false);
      const existing = existsSync(target) ? statSync(target) : null;
      const mode = existing ? existing.mode & 0o7777 : 0o666 & ~process.umask();
      const store = this.store!;
      if (sameFile && how !== "rename" && this.canAppendInPlace()) {
        await this.appendInPlace(target, options);
        return;
      }
      // The session first holds every edit over the old file: a crash from here on loses none.
      if (this.current === this.epoch) await this.commit();
      // In place only over the document's own file (the session journals the copy).
      const inPlaceAsked = sameFile && how === "in-place";
      // An in-place save writes the bytes twice (the temp file, then the file): when that is known
      // up front, progress spans both passes.
      const passes =
        inPlaceAsked || (sameFile && how === "auto" && existing !== null && existing.nlink > 1) ? 2 : 1;
      const report = (progress: SaveProgress) => {
        this.emit("saveProgress", progress);
        options.onProgress?.(progress);
      };
      let identityLost: string | null = null;
      const written = await writeTempFile(
        this.root,
        this.original,
        this.appendable,
        target,
        inPlaceAsked ? 0o600 : mode,
        this.io,
        {
          ...options,
          onProgress: ({ bytesDone, bytesTotal }) => report({ bytesDone, bytesTotal: bytesTotal * passes }),
          prepare: (handle) => {
            if (existing && !inPlaceAsked) identityLost = giveIdentity(target, existing, handle);
          },
        },
      );
      if (inPlaceAsked || (sameFile && how === "auto" && identityLost !== null)) {
        await this.copyInPlace(written, target, report, passes === 2 ? this.length : 0);
        return;
      }
      // Another program may have written the file while the temp file was being written (a log
      // appended to): look again, as late as the rename allows, or its bytes would be dropped.
      if (sameFile && !options.force && diskStateOf(target, disk.identity) !== "unchanged") {
        this.io.remove(written.tempPath);
        throw new SaveError(
          `${target} changed on disk while it was being saved (another program wrote to it); ` +
            "nothing was replaced (save with { force: true } to overwrite its changes)",
          "EFILECHANGED",
        );
      }
      const saved = singlePieceTree(ORIGINAL, 0, this.length, this.root.lineFeeds);
      try {
        // The new epoch is committed before the rename (see SessionStore.beginEpoch).
        store.beginEpoch(written.identity, { root: saved, undo: [], redo: [] }, this.length);
        crashPoint("save:after-epoch-commit");
      } catch (error) {
        this.io.remove(written.tempPath);
        throw error;
      }
      publishTempFile(written.tempPath, target, this.io);
      if (isSaveAs && resolveTarget(this.path) !== target) {
        this.session!.moveTo(target, this.stateDirectory);
        store.relocate(this.session!.path);
        this.filePath = resolve(path);
      }
      this.becomeSaved(openMappedFile(target), saved);
    } finally {
      this.saving = false;
    }
  }

  /**
   * The in-place save, once the new content is in a synced temp file beside the file: the temp
   * file's directory entry is made durable, the session announces "copying temp T over the file",
   * T is copied into the file's own inode (copy_file_range, ftruncate, fsync), the new epoch
   * begins and T is removed. A crash anywhere in between is finished on the next open by redoing
   * the copy from T, so the file is the old or the new version once reopened. The file keeps its
   * inode, hence its owner, group, mode, hard links, xattrs and ACLs.
   */
  private async copyInPlace(
    written: WrittenFile,
    target: string,
    report: (progress: SaveProgress) => void,
    /** Bytes the progress already counted for the temp file's pass (0: the copy counts alone). */
    counted: number,
  ): Promise<void> {
    const store = this.store!;
    const old = this.newest;
    try {
      this.io.syncDirectory(dirname(target));
      crashPoint("save:after-inplace-temp");
      store.announceCopy(
        { pid: written.pid, time: written.time, temp: written.identity },
        () => ({ root: singlePieceTree(ORIGINAL, 0, old.file.size, Number.NaN), undo: [], redo: [] }),
        old.file.size,
      );
      crashPoint("save:after-inplace-announce");
    } catch (error) {
      this.io.remove(written.tempPath);
      throw error;
    }
    // From here the file's own bytes change: the old mapping (and every version reading it) is
    // gone once the copy starts. A failure leaves the announcement for the next open to finish.
    old.index.cancel();
    let identity: OriginalIdentity;
    try {
      identity = await copyTempIntoFile(written.tempPath, target, this.io, ({ bytesDone, bytesTotal }) =>
        report({ bytesDone: counted + bytesDone, bytesTotal: counted + bytesTotal }),
      );
      const saved = singlePieceTree(ORIGINAL, 0, this.length, this.root.lineFeeds);
      store.beginEpoch(identity, { root: saved, undo: [], redo: [] }, this.length);
      crashPoint("save:after-epoch-commit");
      this.io.remove(written.tempPath);
      crashPoint("save:after-inplace-remove");
      this.becomeSaved(openMappedFile(target), saved, true);
    } catch (error) {
      this.failure = Object.assign(
        new Error(
          `the in-place save of ${target} was interrupted (${(error as Error).message}); ` +
            "the document is read-only — reopen the file to finish the save from its session",
          { cause: error },
        ),
        { code: (error as NodeJS.ErrnoException).code ?? "ESESSIONFAILED" },
      );
      throw this.failure;
    }
  }

  /**
   * If the version is the start of the original (one piece from offset 0) followed only by added
   * bytes, the length of that start; otherwise -1.
   */
  private originalPrefix(): number {
    let prefix = -1;
    let shape = true;
    forEachPiece(this.root, 0, this.length, (buffer, from, to) => {
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
  private canAppendInPlace(): boolean {
    if (this.current !== this.epoch || this.current !== this.newest) return false;
    const fileLength = this.original.size;
    if (this.length < fileLength) return false;
    const prefix = this.originalPrefix();
    // Nothing to append at all (and no interrupted append to finish): not this path.
    if (prefix < 0 || prefix > fileLength || (prefix === fileLength && this.length === fileLength)) {
      return false;
    }
    // After an interrupted append the file holds more than the prefix: those bytes must be ours.
    return (
      prefix === fileLength || this.read(prefix, fileLength).equals(this.original.read(prefix, fileLength))
    );
  }

  /**
   * The append fast path: the session announces the append (so a crash mid-way is finished on
   * reopen), the added bytes are written after the file's end, synced, and a new epoch begins.
   * Costs what the appended bytes cost, whatever the file's size.
   */
  private async appendInPlace(
    target: string,
    options: SaveOptions,
    from = this.original.size,
  ): Promise<void> {
    const store = this.store!;
    await this.commit();
    const fileLength = from;
    // The commit took a while: a program appending to the file meanwhile would see its bytes
    // overwritten and cut off. Look again before announcing anything.
    if (from === this.original.size && !options.force) {
      if (diskStateOf(target, this.newest.file.identity) !== "unchanged") {
        throw new SaveError(
          `${target} changed on disk while it was being saved (another program wrote to it); ` +
            "nothing was written (save with { force: true } to overwrite its changes)",
          "EFILECHANGED",
        );
      }
    }
    if (from === this.original.size) store.announceAppend(fileLength);
    crashPoint("save:after-append-announce");
    const handle = this.io.open(target, false);
    let identity: OriginalIdentity;
    try {
      let done = 0;
      const total = this.length - fileLength;
      forEachPiece(this.root, fileLength, this.length, (buffer, start, end, at) => {
        this.io.copyInto(handle, at, buffer === ORIGINAL ? this.original : this.appendable!, start, end);
        done += end - start;
        return true;
      });
      // Finishing an interrupted append: whatever the cut-short write left past the end goes.
      if (fstatSync(handle).size > this.length) ftruncateSync(handle, this.length);
      crashPoint("save:after-append-write");
      this.io.fullSync(handle);
      crashPoint("save:after-append-sync");
      options.onProgress?.({ bytesDone: done, bytesTotal: total });
      this.emit("saveProgress", { bytesDone: done, bytesTotal: total });
      const stat = fstatSync(handle, { bigint: true });
      identity = identityFrom(
        { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs },
        (start, end) => durableIo.pread(handle, end - start, start, target),
      );
    } finally {
      this.io.close(handle);
    }
    const saved = singlePieceTree(ORIGINAL, 0, this.length, this.root.lineFeeds);
    store.beginEpoch(identity, { root: saved, undo: [], redo: [] }, this.length);
    crashPoint("save:after-epoch-commit");
    this.becomeSaved(openMappedFile(target), saved);
  }

  /**
   * @internal After recovery found an append save cut short (the session announced it from
   * `from`, and the file has grown since): the bytes past `from` are that save's, whatever they
   * hold now (a power cut can leave zeros), so they are rewritten from the document.
   */
  async finishInterruptedAppend(from: number): Promise<boolean> {
    if (this.originalPrefix() !== from) return false;
    // The bytes past `from` are this save's — as written, or zeros a power cut left — unless
    // another program appended after the crash (a log being written): then they are neither,
    // not ours to rewrite or cut off, and the recovered edits stay in the session.
    const target = resolveTarget(this.path);
    const size = statSync(target).size;
    const checked = Math.min(size - from, 64 * 1024);
    if (checked > 0) {
      const ours = this.read(from, Math.min(this.length, from + checked));
      const handle = this.io.openReadOnly(target);
      try {
        const past = this.io.read(handle, checked, from);
        for (let i = 0; i < past.length; i++) {
          if (past[i] !== 0 && past[i] !== (ours[i] ?? 0)) return false;
        }
      } finally {
        this.io.close(handle);
      }
    }
    await this.appendInPlace(resolveTarget(this.path), {}, from);
    return true;
  }

  /**
   * Follows a file that another program appends to (a log being written): while the document is
   * exactly its file, a longer file whose old bytes are unchanged becomes the document's original
   * — a new epoch, as after an append save, so a session committed from now on matches it. The
   * old bytes are checked as recovery checks an interrupted append: the sampled bytes of the
   * identity are still there. Returns the bytes adopted; 0 when the file did not grow this way or
   * the document has edits (their pieces stay over the file as it was opened).
   */
  async adoptAppended(): Promise<number> {
    this.checkOpen();
    if (this.modified) return 0;
    const before = this.newest.file;
    const oldSize = before.size;
    const target = resolveTarget(this.path);
    let stat: BigIntStats;
    try {
      stat = statSync(target, { bigint: true });
    } catch {
      return 0;
    }
    const { dev, ino } = before.identity;
    if (stat.dev !== dev || stat.ino !== ino || Number(stat.size) <= oldSize) return 0;
    const file = openMappedFile(target);
    try {
      // The bytes sampled when the file became the original, read again where they were: an
      // append leaves them, a rewrite does not. (The old mapping cannot tell: it shows the file
      // as it is now.)
      const then = this.newest.identity;
      const now = identityFrom({ ...then }, (start, end) => file.read(start, end));
      const sameFile = file.identity.dev === dev && file.identity.ino === ino;
      if (!sameFile || file.size <= oldSize || now.sample !== then.sample) {
        file.close();
        return 0;
      }
    } catch (error) {
      file.close();
      throw error;
    }
    const lineFeeds = this.root.lineFeeds + file.countNewlines(oldSize, file.size);
    const root = singlePieceTree(ORIGINAL, 0, file.size, lineFeeds);
    if (this.store) {
      const identity = identityFrom(file.identity, (start, end) => file.read(start, end));
      // A session with commits begins a new epoch over the longer file; an empty one stays empty.
      if (this.store.committed) this.store.beginEpoch(identity, { root, undo: [], redo: [] }, file.size);
      else this.store.adoptIdentity(identity);
    }
    const grown = file.size - oldSize;
    const previous = this.newest;
    // Undo and redo start over: their versions lack the appended bytes, and saving one of them
    // would drop what the other program wrote.
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.lastEdit = null;
    this.adoptOriginal(file, root, false, LineIndex.extending(file, previous.index));
    // The old mapping (and its file descriptor) goes a little later: a find or count that began
    // over it may still read it.
    const release = setTimeout(() => {
      const at = this.retired.indexOf(previous);
      if (this.closed || at < 0) return;
      this.retired.splice(at, 1);
      previous.index.cancel();
      previous.file.close();
    }, 10_000);
    release.unref();
    this.emit("appended", grown);
    return grown;
  }

  private becomeSaved(file: MappedFile, root: PieceNode, overwritten = false): void {
    this.adoptOriginal(file, root, overwritten);
    this.emit("saved");
  }

  /**
   * After a save: the written file is the original; older versions keep theirs for undo. After
   * an in-place save (`overwritten`) the old file's bytes are gone, and with them every version
   * that read them: undo and redo start over.
   */
  private adoptOriginal(
    file: MappedFile,
    root: PieceNode,
    overwritten = false,
    index: LineIndex | null = null,
  ): void {
    const before = this.current;
    if (overwritten) {
      this.undoStack.length = 0;
      this.redoStack.length = 0;
      this.lastEdit = null;
      const gone = this.newest;
      gone.index.cancel();
      gone.file.close();
      const at = this.retired.indexOf(gone);
      if (at >= 0) this.retired.splice(at, 1);
      if (before !== gone && !this.retired.includes(before)) this.retired.push(before);
    }
    for (const entry of [...this.undoStack, ...this.redoStack]) {
      if (!this.originalOf.has(entry)) this.originalOf.set(entry, before);
    }
    for (const buffer of overwritten ? [] : new Set([before, this.newest])) {
      if (!this.retired.includes(buffer)) this.retired.push(buffer);
    }
    const saved = this.originalBuffer(file, index);
    this.newest = saved;
    this.current = saved;
    this.epoch = saved;
    // Same text, one piece: the current version is replaced, not a new undo step.
    this.root = root;
    this.pendingOps = [];
    this.edits = 0;
  }

  /**
   * Closes the document. Edits are committed first and stay in the session (hot exit): the next
   * open() restores them. With `{ commit: false }`, edits since the last commit are dropped
   * instead (what `gigapad run` does when a script fails). A session that never held an edit is
   * removed.
   */
  async close(options: { commit?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    let commitError: unknown = null;
    try {
      if (!this.failure && options.commit !== false) await this.commit();
    } catch (error) {
      commitError = error;
    }
    this.closed = true;
    this.closeOriginals();
    this.store?.close();
    if (this.appendable === null && this.add) (this.add as MappedFile).close();
    if (this.session) {
      if (this.store?.committed) this.session.release();
      else this.session.remove();
    }
    if (commitError) throw commitError;
  }

  /** Drops the session: unsaved edits are gone and the next open shows the file as on disk. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeOriginals();
    this.store?.close();
    if (this.appendable === null && this.add) (this.add as MappedFile).close();
    this.session?.remove();
  }

  // ----- internals -----------------------------------------------------------------------------

  /** The state a session snapshot holds: the current version and the undo/redo versions that
   * read from the epoch's file (versions from before a save live in this process only). */
  private persistableState(): { root: PieceNode; undo: PieceNode[]; redo: PieceNode[] } {
    const persistable = (root: PieceNode) => (this.originalOf.get(root) ?? this.newest) === this.epoch;
    return {
      root: this.root,
      undo: this.undoStack.filter(persistable),
      redo: this.redoStack.filter(persistable),
    };
  }

  private closeOriginals(): void {
    for (const buffer of new Set([this.current, this.newest, ...this.retired])) {
      buffer.index.cancel();
      buffer.file.close();
    }
  }

  /** @internal The current version, for search and tests. */
  snapshot(): DocumentSnapshot {
    return {
      root: this.root,
      length: this.root.length,
      original: this.original,
      add: this.add,
      lineFeedSource: this.lineFeedSource,
    };
  }

  /** @internal Rebuilds a committed session's state: its snapshot, then its edits replayed. */
  restore(committed: NonNullable<RecoveryResult["committed"]>): void {
    this.root = committed.snapshot.root;
    this.undoStack.splice(0, this.undoStack.length, ...committed.snapshot.undo);
    this.redoStack.splice(0, this.redoStack.length, ...committed.snapshot.redo);
    this.edits = committed.slot.edits - committed.ops.length;
    this.replaying = true;
    try {
      for (const op of committed.ops) this.apply(op, true);
    } finally {
      this.replaying = false;
    }
    if (this.root.length !== committed.slot.documentLength) {
      throw new CorruptRecordError(
        `replayed ${this.root.length} bytes, the slot says ${committed.slot.documentLength}`,
      );
    }
    this.pendingOps = [];
    if (committed.slot.edits > 0) {
      this.recovered = {
        time: new Date(committed.slot.committedAt),
        edits: committed.slot.edits,
        bytes: this.length,
      };
    }
  }

  /** @internal Back to the file as on disk (a session that failed to replay). */
  resetToOriginal(): void {
    this.root = singlePieceTree(ORIGINAL, 0, this.original.size, Number.NaN);
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.recovered = null;
  }

  /**
   * Applies one edit — live, or replayed from the session log — and records it for the next
   * commit. Replayed edits are validated: one that does not fit means the log is corrupt.
   */
  private apply(op: SessionOp | DecodedOp, replaying = false): void {
    const fail = (what: string) => {
      throw new CorruptRecordError(`session edit ${op.kind} does not fit: ${what}`);
    };
    const before = this.root;
    switch (op.kind) {
      case "insert":
        if (replaying && op.offset > this.length) fail(`offset ${op.offset} > ${this.length}`);
        if (op.newGroup) this.pushUndo();
        this.redoStack.length = 0;
        this.root = this.withInserted(this.root, op.offset, op.addStart, op.length);
        break;
      case "delete":
        if (replaying && !(op.start <= op.end && op.end <= this.length)) fail(`${op.start}..${op.end}`);
        if (op.newGroup) this.pushUndo();
        this.redoStack.length = 0;
        this.root = deleteRange(this.root, op.start, op.end, this.lineFeedSource);
        break;
      case "replace": {
        if (replaying && !(op.start <= op.end && op.end <= this.length)) fail(`${op.start}..${op.end}`);
        this.pushUndo();
        let root = deleteRange(this.root, op.start, op.end, this.lineFeedSource);
        if (op.length > 0) root = this.withInserted(root, op.start, op.addStart, op.length);
        this.root = root;
        break;
      }
      case "undo": {
        const previous = this.undoStack.pop();
        if (!previous) fail("nothing to undo");
        this.remember(this.root);
        this.redoStack.push(this.root);
        this.switchTo(previous!);
        break;
      }
      case "redo": {
        const next = this.redoStack.pop();
        if (!next) fail("nothing to redo");
        this.remember(this.root);
        this.undoStack.push(this.root);
        this.switchTo(next!);
        break;
      }
      case "setRoot":
        this.pushUndo();
        this.root = op.root;
        break;
      case "setRootPieces": {
        this.pushUndo();
        const builder = new TreeBuilder();
        for (let i = 0; i < op.pieces.length; i += 3) {
          const buffer = op.pieces[i] === ADDED ? ADDED : ORIGINAL;
          const start = op.pieces[i + 1]!;
          const length = op.pieces[i + 2]!;
          builder.push(buffer, start, length, this.lineFeedSource.tryCount(buffer, start, start + length));
        }
        this.root = builder.finish();
        break;
      }
    }
    this.edits++;
    if (!replaying) {
      const at = op.kind === "insert" ? op.offset : "start" in op ? op.start : undefined;
      this.lastChange = at === undefined ? { before, after: this.root } : { before, after: this.root, at };
    }
    if (!replaying)
      this.pendingOps.push(op.kind === "setRootPieces" ? { kind: "setRoot", root: this.root } : op);
    this.changed();
  }

  private withInserted(root: PieceNode, offset: number, addStart: number, length: number): PieceNode {
    const pieces = pieceList();
    pieces.push(ADDED, addStart, length, this.add!.countNewlines(addStart, addStart + length));
    return insertPieces(root, offset, pieces, this.lineFeedSource);
  }

  /** Whether an edit starts a new undo step, or continues the typing (or backspacing) before it. */
  private startsUndoGroup(
    kind: "insert" | "delete",
    start: number,
    end: number,
    bytes?: Uint8Array,
  ): boolean {
    const now = Date.now();
    const last = this.lastEdit;
    const recent = last !== null && last.kind === kind && now - last.time < UNDO_GROUP_MS;
    let continues = false;
    if (recent && kind === "insert") {
      continues = start === last.at && bytes !== undefined && !bytes.includes(10);
    } else if (recent && kind === "delete") {
      // Backspace (end meets the last deletion) or forward delete (same start), a few bytes at a time.
      continues = (end === last.at || start === last.at) && end - start <= 16;
    }
    this.lastEdit = { kind, at: kind === "insert" ? end : start, time: now };
    return !continues || this.undoStack.length === 0;
  }

  /** Notes which original a version reads from, if it is not the newest one. */
  private remember(root: PieceNode): void {
    if (this.retired.length > 0) this.originalOf.set(root, this.current);
  }

  /** Makes a version from the undo or redo stack current, with the original it reads from. */
  private switchTo(root: PieceNode): void {
    this.current = this.originalOf.get(root) ?? this.newest;
    this.root = root;
    // The session never held this version (it reads a file replaced by a save): deltas that pass
    // through it do not replay, so the next commit writes a snapshot.
    if (this.current !== this.epoch) this.needsSnapshot = true;
  }

  /** The original the file on disk holds now (the one opened, or the last one saved). */
  private newest!: OriginalBuffer;
  /** The original the session's epoch is over: only versions over it can be committed. */
  private epoch!: OriginalBuffer;
  private saving = false;
  /** The versions before and after the last change, and where it begins once computed. */
  private lastChange: { before: PieceNode; after: PieceNode; at?: number | null } | null = null;
  /** Set when edits could not be committed as deltas (see commit()): the next commit is a snapshot. */
  private needsSnapshot = false;

  private pushUndo(): void {
    this.remember(this.root);
    this.undoStack.push(this.root);
    // Forget the oldest tenth at once: shifting one entry per edit would cost O(limit) each time.
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.splice(0, UNDO_LIMIT / 10);
    this.redoStack.length = 0;
  }

  private changed(): void {
    this.version++;
    this.emit("changed");
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`document ${this.path} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.failure) throw this.failure;
    if (!this.appendable) {
      throw Object.assign(new Error(`${this.path} is open read-only`), { code: "EREADONLY" });
    }
    // The save writes the version it started from and then makes it the new original: an edit
    // in between would be lost, so edits wait.
    if (this.saving)
      throw new SaveError(`${this.path} is being saved; edit again when the save is done`, "ESAVEBUSY");
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.length) {
      throw new RangeError(`Invalid offset ${offset} in document of length ${this.length}`);
    }
  }

  private checkRange(start: number, end: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.length || start > end) {
      throw new RangeError(`Invalid range ${start}..${end} in document of length ${this.length}`);
    }
  }
}

/**
 * UTF-8 bytes as text, invalid sequences as U+FFFD; a BOM is dropped when the bytes are the
 * start of the document.
 */
function decodeUtf8(bytes: Buffer, atDocumentStart: boolean): string {
  const bom = atDocumentStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return (bom ? bytes.subarray(3) : bytes).toString("utf8");
}
