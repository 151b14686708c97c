/**
 * Document: the scripting API (DESIGN.md, "The scripting API") and its argument checks. Offsets
 * are bytes; lines are 0-based; the document is the single source of truth for its bytes, undo
 * and redo. It delegates: its versions and which original each reads to versions.ts, opening to
 * open-document.ts, saving to save-document.ts, the session to session-store.ts.
 */
import { constants as bufferConstants } from "node:buffer";
import { EventEmitter } from "node:events";
import type { AppendFile, LineFeedRule, MappedFile } from "../native/index.js";
import type { DurableFiles } from "./durable-files.js";
import { type LineEndings, lineEndingsOf } from "./file-info.js";
import type { FollowRefusal } from "./follow-tail.js";
import { openGrownOriginal } from "./grown-original.js";
import {
  appendAligned,
  carriageReturnBefore,
  checkAlignedEdit,
  checkAlignedRange,
  decodeText,
  encodeText,
  indexOfLineFeed,
  ruleOf,
  unitBytes,
  whatwgEncoding,
} from "./line-feed-rule.js";
import { type IndexProgress, LineIndex } from "./line-index.js";
import type { SetAsideSession } from "./open-document.js";
import { identityFrom, identityOf } from "./original-identity.js";
import {
  findLineFeed,
  lineFeedsBefore,
  ORIGINAL,
  type PieceNode,
  resolveLineFeeds,
  singlePieceTree,
} from "./piece-tree.js";
import { type ByteTransform, type RewriteOptions, rewriteTree } from "./rewrite.js";
import { mayWrite, resolveTarget, SaveError, type SaveOptions, type SaveProgress } from "./save.js";
import { finishInterruptedAppend, type SaveHost, type SaveKind, saveDocument } from "./save-document.js";
import {
  countMatches,
  type FindOptions,
  findMatches,
  type Match,
  replaceAllMatches,
  type SearchPattern,
} from "./search.js";
import type { SessionState } from "./session-codec.js";
import type { SessionFolder } from "./session-folder.js";
import type { CommittedSession } from "./session-reader.js";
import type { SessionStore } from "./session-store.js";
import { type AddBufferView, type DocumentSnapshot, readTree } from "./snapshot.js";
import { type Adoption, type OriginalBuffer, Versions } from "./versions.js";

/** What open() restored from the document's session: unsaved edits from an earlier run. */
export interface RecoveredSession {
  /** When the restored version was committed. */
  time: Date;
  /** Edits in the session (since it started) up to that commit. */
  edits: number;
  /** Length of the restored document in bytes. */
  bytes: number;
}

/** One edit of {@link Document.applyEdits}: bytes [start, end) become `text`. */
export interface EditRange {
  start: number;
  end: number;
  text: string | Uint8Array;
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
 * How a document may change: `writable` holds its session (the lock, the store and its add
 * buffer); `read-only` holds at most a read-only mapping of a session's add buffer (a committed
 * session another process wrote), and nothing it could write with.
 */
export type DocumentAccess =
  | { readonly kind: "writable"; readonly session: SessionFolder; readonly store: SessionStore }
  | { readonly kind: "read-only"; readonly add: MappedFile | null };

/** The writable access, with its add buffer at hand. */
type Writable = Extract<DocumentAccess, { kind: "writable" }> & { readonly add: AppendFile };

/** Bytes getLine reads ahead for the line end at first, and at most before asking the index. */
const LINE_READ_AHEAD = 256;
const LINE_READ_AHEAD_MAX = 64 * 1024;
/** The largest string V8 can make, in UTF-16 units (a byte range longer than this cannot be decoded). */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;
/** How long a mapping replaced by a followed append stays open for finds that began over it. */
const RELEASE_GROWN_AFTER_MS = 10_000;

/** What a document is made of (open-document.ts gathers them). */
interface DocumentParts {
  path: string;
  original: MappedFile;
  access: DocumentAccess;
  io: DurableFiles;
  stateDirectory: string;
  /** The encoding the document is read in (a WHATWG label), or null: bytes (see line-feed-rule.ts). */
  encoding: string | null;
}

export class Document extends EventEmitter<DocumentEvents> {
  /**
   * @internal Most bytes of the replaced file a version from before a save may need copied into
   * the add buffer to be committed (tests lower it).
   */
  static versionCopyLimit = 256 * 1024 * 1024;
  /**
   * @internal Whether an opened original's line index starts building at once, in the
   * background (the editor: the scrollbar and go-to want it soon). False (`gigapad run`, a script
   * that may only search): it starts when first awaited (whenIndexed); until then line queries
   * count what they need on the spot, as they do before a build completes, and no indexProgress
   * or indexed events come.
   */
  static indexInBackground = true;

  private readonly versions: Versions;
  private readonly access: DocumentAccess;
  private readonly io: DurableFiles;
  private readonly stateDirectory: string;
  private readonly encodingLabel: string | null;
  private readonly rule: LineFeedRule;
  private filePath: string;
  private recoveredSession: RecoveredSession | null = null;
  private setAsideSession: SetAsideSession | null = null;
  private changes = 0;
  /** Why the document stopped accepting edits (a failed session sync), or null. */
  private failure: Error | null = null;
  private closed = false;
  /** A save is running: edits wait (it writes the version it started from). */
  private saving = false;

  /** @internal How open() makes a document (scripts call open()). */
  static create(parts: DocumentParts): Document {
    return new Document(parts);
  }

  /** Use open(): a document is made from an opened file and its session. */
  protected constructor(parts: DocumentParts) {
    super();
    this.filePath = parts.path;
    this.access = parts.access;
    this.io = parts.io;
    this.stateDirectory = parts.stateDirectory;
    this.encodingLabel = parts.encoding;
    this.rule = ruleOf(parts.encoding);
    this.versions = new Versions({
      original: this.originalBuffer(parts.original),
      add: parts.access.kind === "writable" ? parts.access.store.add : parts.access.add,
      rule: this.rule,
      onChange: () => {
        this.changes++;
        this.emit("changed");
      },
    });
  }

  /** What was restored from a session on open, or null. */
  get recovered(): RecoveredSession | null {
    return this.recoveredSession;
  }

  /** A session open() found but could not apply (moved aside, not deleted), or null. */
  get setAside(): SetAsideSession | null {
    return this.setAsideSession;
  }

  /** Increases with every change of content (edits, undo, redo). */
  get version(): number {
    return this.changes;
  }

  /**
   * The encoding opened in (a WHATWG name), or null: none given and no UTF-16 BOM. UTF-16 counts
   * lines in code units, decodes and encodes UTF-16, takes whole-unit edits only (else EALIGN).
   */
  get encoding(): string | null {
    return this.encodingLabel;
  }

  /** Absolute path of the document's file (saveAs changes it). */
  get path(): string {
    return this.filePath;
  }

  /** Length of the document in bytes. */
  get length(): number {
    return this.versions.length;
  }

  /** True if the document takes no edits: opened read-only, or its session failed. */
  get readOnly(): boolean {
    return this.access.kind === "read-only" || this.failure !== null;
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
    return this.versions.uncommitted.length === 0 && this.failure === null;
  }

  /** The original file as mapped at open: size and identity (dev, ino, mtime). */
  get originalFile(): { size: number; identity: MappedFile["identity"] } {
    const file = this.versions.currentOriginal.file;
    return { size: file.size, identity: file.identity };
  }

  /**
   * @internal The file on disk as the document last took it in (opened, saved or followed): size
   * and identity. It differs from originalFile while the current version is from before a save
   * (undo went past it), which still reads the replaced file.
   */
  get fileOnDisk(): { size: number; identity: MappedFile["identity"] } {
    const file = this.versions.newestOriginal.file;
    return { size: file.size, identity: file.identity };
  }

  /** Progress of the background line index over the original file. */
  get indexProgress(): IndexProgress {
    return this.lineIndex.indexProgress;
  }

  /** Resolves once the original's line index is built (line queries never wait for it). */
  whenIndexed(): Promise<void> {
    return this.versions.currentOriginal.indexed;
  }

  /**
   * True when the content differs from the file on disk as last opened or saved: anything but the
   * whole of that file as one piece. (Typing a character and deleting it again counts as a change;
   * undoing it does not.)
   */
  get modified(): boolean {
    return this.versions.modified;
  }

  /** Line endings of the original file (`lf`, `crlf`, `mixed`, `none`) once indexed; null before. */
  get originalLineEndings(): LineEndings | null {
    const crlf = this.lineIndex.crlfPairCount;
    if (crlf === null || !this.lineIndex.isComplete) return null;
    return lineEndingsOf(this.lineIndex.count(0, this.versions.currentOriginal.file.size), crlf);
  }

  /** CRLF pairs in the original file, once indexed (null before). */
  get originalCrlfPairs(): number | null {
    return this.lineIndex.crlfPairCount;
  }

  /** The add buffer to read from: the session's, a read-only mapping of one, or none. */
  private get add(): AddBufferView | null {
    return this.access.kind === "writable" ? this.access.store.add : this.access.add;
  }

  private get lineIndex(): LineIndex {
    return this.versions.currentOriginal.index;
  }

  // ----- reading -------------------------------------------------------------------------------

  /** The bytes [start, end), exactly. */
  read(start = 0, end = this.length): Buffer {
    this.checkOpen();
    this.checkRange(start, end);
    if (end - start > bufferConstants.MAX_LENGTH) {
      throw new RangeError(`Range ${start}..${end} is too large for one Buffer; read it in parts`);
    }
    return readTree(this.versions.tree, start, end, this.versions.currentOriginal.file, this.add);
  }

  /**
   * The text of [start, end) decoded as UTF-8, or as UTF-16 in a UTF-16 document (whose offsets
   * must then be even, else EALIGN); a BOM at offset 0 is not part of the text.
   */
  getText(start = 0, end = this.length): string {
    this.checkOpen();
    this.checkRange(start, end);
    checkAlignedRange(this.rule, start, end, this.length);
    if (end - start > MAX_STRING_LENGTH) {
      throw new RangeError(
        `Range ${start}..${end} (${end - start} bytes) is too large for a JavaScript string ` +
          `(at most ${MAX_STRING_LENGTH}); use read() or getText() on smaller ranges`,
      );
    }
    return decodeText(this.read(start, end), start, this.rule);
  }

  /** Number of lines: LF count + 1. Counts what the background index has not reached yet. */
  lineCount(): number {
    this.checkOpen();
    return resolveLineFeeds(this.versions.tree, this.versions.lineFeedSource) + 1;
  }

  /** Byte offset where 0-based line `line` starts. */
  lineStart(line: number): number {
    this.checkOpen();
    if (!Number.isInteger(line) || line < 0) throw new RangeError(`Invalid line ${line}`);
    if (line === 0) return 0;
    const lineFeed = findLineFeed(this.versions.tree, line - 1, this.versions.lineFeedSource);
    if (lineFeed < 0) throw new RangeError(`Invalid line ${line} in document with ${this.lineCount()} lines`);
    return lineFeed + 1;
  }

  /** The 0-based line holding byte `offset` (the LF ending a line belongs to that line). */
  lineAt(offset: number): number {
    this.checkOpen();
    this.checkOffset(offset);
    return lineFeedsBefore(this.versions.tree, offset, this.versions.lineFeedSource);
  }

  /** Text of 0-based line `line`, without its terminator (LF or CRLF). */
  getLine(line: number): string {
    const start = this.lineStart(line);
    // Most lines are short: read ahead a little and look for the LF there, instead of a second
    // walk through the tree and the line index.
    for (let window = LINE_READ_AHEAD; window <= LINE_READ_AHEAD_MAX; window *= 8) {
      const windowEnd = Math.min(this.length, start + window);
      const bytes = this.read(start, windowEnd);
      let end = indexOfLineFeed(bytes, this.rule);
      if (end < 0 && windowEnd < this.length) continue;
      if (end < 0) end = bytes.length;
      else if (carriageReturnBefore(bytes, end, this.rule)) end -= unitBytes(this.rule);
      return decodeText(bytes.subarray(0, end), start, this.rule);
    }
    // The offset of the line feed's last byte: the line ends where the line feed's unit begins.
    const unit = unitBytes(this.rule);
    const lineFeed = findLineFeed(this.versions.tree, line, this.versions.lineFeedSource);
    let end = lineFeed < 0 ? this.length : lineFeed + 1 - unit;
    if (end - start >= unit && carriageReturnBefore(this.read(end - unit, end), unit, this.rule)) end -= unit;
    return this.getText(start, end);
  }

  // ----- editing -------------------------------------------------------------------------------

  /** Inserts text (UTF-8, or UTF-16 in a UTF-16 document) or bytes at offset. */
  insert(offset: number, text: string | Uint8Array): void {
    const { add } = this.writable();
    this.checkOffset(offset);
    const bytes = typeof text === "string" ? encodeText(text, this.rule) : text;
    if (bytes.length === 0) return;
    checkAlignedEdit(this.rule, { start: offset, end: offset, inserted: bytes.length }, this.length);
    const newGroup = this.versions.startsUndoGroup("insert", offset, offset + bytes.length, bytes);
    const addStart = appendAligned(add, bytes, this.rule);
    this.versions.apply({ kind: "insert", offset, addStart, length: bytes.length, newGroup });
  }

  /** Deletes bytes [start, end). */
  delete(start: number, end: number): void {
    this.writable();
    this.checkRange(start, end);
    if (start === end) return;
    checkAlignedEdit(this.rule, { start, end, inserted: 0 }, this.length);
    this.versions.apply({
      kind: "delete",
      start,
      end,
      newGroup: this.versions.startsUndoGroup("delete", start, end),
    });
  }

  /** Replaces bytes [start, end) with text, as one undo step. */
  replace(start: number, end: number, text: string | Uint8Array): void {
    const { add } = this.writable();
    this.checkRange(start, end);
    const bytes = typeof text === "string" ? encodeText(text, this.rule) : text;
    if (start === end && bytes.length === 0) return;
    checkAlignedEdit(this.rule, { start, end, inserted: bytes.length }, this.length);
    this.versions.breakUndoGroup();
    const addStart = bytes.length > 0 ? appendAligned(add, bytes, this.rule) : 0;
    this.versions.apply({ kind: "replace", start, end, addStart, length: bytes.length });
  }

  /** Steps back one edit (or one group of typing). Returns false when there is nothing to undo. */
  undo(): boolean {
    this.writable();
    if (!this.versions.canUndo) return false;
    this.versions.breakUndoGroup();
    this.versions.apply({ kind: "undo" });
    return true;
  }

  /**
   * Applies several edits at once, as one undo step (one edit alone groups with typing like
   * insert/delete do). Offsets are in the current version; the ranges must not overlap (inserts
   * at one offset land in the order given). What a multi-cursor keystroke or a paste sends.
   */
  applyEdits(edits: readonly EditRange[]): void {
    const { add } = this.writable();
    const prepared = edits.map((edit) => ({
      start: edit.start,
      end: edit.end,
      bytes: typeof edit.text === "string" ? encodeText(edit.text, this.rule) : edit.text,
    }));
    for (const edit of prepared) {
      this.checkRange(edit.start, edit.end);
      checkAlignedEdit(this.rule, { ...edit, inserted: edit.bytes.length }, this.length);
    }
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
    this.versions.breakUndoGroup();
    let newGroup = true;
    for (let i = real.length - 1; i >= 0; i--) {
      const { start, end, bytes } = real[i]!;
      if (end > start) {
        this.versions.apply({ kind: "delete", start, end, newGroup });
        newGroup = false;
      }
      if (bytes.length > 0) {
        const addStart = appendAligned(add, bytes, this.rule);
        this.versions.apply({ kind: "insert", offset: start, addStart, length: bytes.length, newGroup });
        newGroup = false;
      }
    }
  }

  /**
   * Byte offset where the last change (edit, undo, redo, replaceAll) begins, to bring it into
   * view; null before the first change or when the two versions read the same bytes.
   */
  get lastChangeAt(): number | null {
    return this.versions.lastChangeAt;
  }

  /** Re-applies the last undone step. Returns false when there is nothing to redo. */
  redo(): boolean {
    this.writable();
    if (!this.versions.canRedo) return false;
    this.versions.breakUndoGroup();
    this.versions.apply({ kind: "redo" });
    return true;
  }

  // ----- search --------------------------------------------------------------------------------

  /** Matches of pattern, in order, as byte ranges; streamed, stoppable by break or opts.signal. */
  find(pattern: SearchPattern, options: FindOptions = {}): AsyncIterable<Match> {
    this.checkOpen();
    return findMatches(this.snapshot(), pattern, options);
  }

  /** Number of matches of pattern (as find would yield them), faster than iterating them. */
  countMatches(pattern: SearchPattern, options: FindOptions = {}): Promise<number> {
    this.checkOpen();
    return countMatches(this.snapshot(), pattern, options);
  }

  /**
   * Replaces every match (one undo step); returns how many. Memory stays bounded on GB files.
   * A bytes replacement is written as it is (with a bytes pattern: a document in another encoding).
   */
  async replaceAll(
    pattern: SearchPattern,
    replacement: string | Uint8Array,
    options: FindOptions = {},
  ): Promise<number> {
    const { add } = this.writable();
    const snapshot = this.snapshot();
    const result = await replaceAllMatches(snapshot, pattern, replacement, options, (bytes) =>
      appendAligned(add, bytes, this.rule),
    );
    if (result.count === 0) return 0;
    if (this.versions.tree !== snapshot.root) {
      throw new Error("the document changed while replaceAll was running; nothing was replaced");
    }
    this.versions.breakUndoGroup();
    this.versions.apply({ kind: "setRoot", root: result.root });
    return result.count;
  }

  /**
   * Rewrites the whole document through `transform` (e.g. into another encoding) as one undo
   * step; memory stays bounded (piece by piece into the add buffer). Nothing is written to the
   * file until a save.
   */
  async rewrite(transform: ByteTransform, options: RewriteOptions = {}): Promise<void> {
    const { add } = this.writable();
    // A UTF-16 document's lines are code units: bytes of another encoding would be miscounted.
    if (this.rule !== "byte")
      throw encodingError("a UTF-16 document cannot be rewritten into another encoding");
    const snapshot = this.snapshot();
    const root = await rewriteTree(
      snapshot,
      transform,
      (bytes) => appendAligned(add, bytes, this.rule),
      options,
    );
    if (this.versions.tree !== snapshot.root) {
      throw new Error("the document changed while it was being rewritten; nothing was changed");
    }
    this.versions.breakUndoGroup();
    this.versions.apply({ kind: "setRoot", root });
  }

  /**
   * @internal The encoding the session's commits name from now on, for a rewrite whose bytes are
   * already in it (Save with Encoding, before its save): a crash before the caller opens the saved
   * file anew in it restores them in it. The open document keeps its line-feed rule.
   */
  labelSessionEncoding(encoding: string): void {
    this.writable().store.relabel(whatwgEncoding(encoding));
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
    const versions = this.versions;
    if (this.access.kind !== "writable" || versions.uncommitted.length === 0) return;
    if (this.failure) throw this.failure;
    const { store } = this.access;
    // A version from before the last save reads from the replaced file, which is no longer on
    // disk: the bytes it still needs from there are copied into the add buffer first.
    if (!versions.committable) versions.adoptIntoEpoch(store.add, Document.versionCopyLimit);
    try {
      store.commit({
        ops: [...versions.uncommitted],
        state: () => versions.persistableState(),
        edits: versions.edits,
        documentLength: versions.length,
        snapshot: versions.needsSnapshot ? "always" : "when-due",
      });
      versions.committed();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

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
    await this.saveTo(this.path, "save", options);
  }

  /** Like save(), to `path` (a symlink is written through), which becomes the document's file. */
  async saveAs(path: string, options: SaveOptions = {}): Promise<void> {
    await this.saveTo(path, "save-as", options);
  }

  private async saveTo(path: string, kind: SaveKind, options: SaveOptions): Promise<void> {
    if (this.saving) throw new SaveError("a save of this document is already running", "ESAVEBUSY");
    const writable = this.writable();
    this.saving = true;
    try {
      await saveDocument(this.saveHost(writable, options), path, kind, options);
    } finally {
      this.saving = false;
    }
  }

  /** What a save may use and do (save-document.ts). */
  private saveHost(writable: Writable, options: SaveOptions): SaveHost {
    return {
      path: this.path,
      versions: this.versions,
      store: writable.store,
      session: writable.session,
      add: writable.add,
      io: this.io,
      stateDirectory: this.stateDirectory,
      commit: () => this.commit(),
      read: (start, end) => this.read(start, end),
      reportProgress: (progress) => {
        this.emit("saveProgress", progress);
        options.onProgress?.(progress);
      },
      moved: (path) => {
        this.filePath = path;
      },
      saved: (file, root, adoption) => this.becomeSaved(file, root, adoption),
      failed: (error) => {
        this.failure = error;
      },
    };
  }

  /**
   * @internal After recovery found an append save cut short (the session announced it from
   * `from`, and the file has grown since): the bytes past `from` are that save's, whatever they
   * hold now (a power cut can leave zeros), so they are rewritten from the document.
   */
  async finishInterruptedAppend(from: number): Promise<boolean> {
    return finishInterruptedAppend(this.saveHost(this.writable(), {}), from);
  }

  /**
   * Follows a file another program appends to (a log being written): a longer file whose old
   * bytes are unchanged (grown-original.ts) becomes the original — a new epoch, as after an append
   * save — and the appended bytes one more piece at the end of the current version and of every
   * undo/redo version over the file (after text typed at its old end, and after what is left when
   * an edit deleted that end: follow-tail.ts). Returns the bytes adopted; 0 when the file did not
   * grow this way, or the current version cannot take them (followAppended says why).
   */
  async adoptAppended(): Promise<number> {
    return (await this.followAppended()).adopted;
  }

  /**
   * @internal adoptAppended, telling why bytes appended to the file were not taken in: `refused`
   * is null when they were, or when the file did not grow by an append; else the reason
   * (follow-tail.ts): `before-save` (the current version is from before the last save) or
   * `cut-unit` (in UTF-16 they would start inside a code unit).
   */
  async followAppended(): Promise<{ adopted: number; refused: FollowRefusal | null }> {
    this.checkOpen();
    const underEdits = this.modified;
    if (underEdits && this.access.kind !== "writable") return { adopted: 0, refused: null };
    const previous = this.versions.newestOriginal;
    const oldSize = previous.file.size;
    const file = openGrownOriginal(this.path, previous);
    if (!file) return { adopted: 0, refused: null };
    // With edits, the current version must be able to take the appended bytes (follow-tail.ts).
    const refused = underEdits ? this.versions.followRefusal(oldSize) : null;
    if (refused) {
      file.close();
      return { adopted: 0, refused };
    }
    const tailLineFeeds = file.countNewlines(oldSize, file.size, this.rule);
    const root = singlePieceTree(ORIGINAL, 0, file.size, this.versions.tree.lineFeeds + tailLineFeeds);
    // Under edits: what was typed is committed first; the new epoch then holds every version
    // with the appended bytes after it, as one more piece.
    let grownState: SessionState | null = null;
    if (underEdits) {
      const tail = { start: oldSize, length: file.size - oldSize, lineFeeds: tailLineFeeds };
      grownState = await this.commit().then(
        () => this.versions.grownVersions(tail),
        (error: unknown) => {
          file.close();
          throw error;
        },
      );
      if (!grownState) {
        file.close();
        return { adopted: 0, refused: this.versions.followRefusal(oldSize) };
      }
    }
    if (this.access.kind === "writable") {
      const { store } = this.access;
      const identity = identityFrom(file.identity, (start, end) => file.read(start, end));
      // A session with commits begins a new epoch over the longer file; an empty one stays empty.
      if (grownState) store.beginEpoch(identity, grownState, grownState.root.length, this.versions.edits);
      else if (store.committed) store.beginEpoch(identity, { root, undo: [], redo: [] }, file.size);
      else store.adoptIdentity(identity);
    }
    const grown = file.size - oldSize;
    const buffer = this.originalBuffer(file, LineIndex.extending(file, previous.index));
    if (grownState) this.versions.adoptGrown(buffer, grownState);
    else {
      // Undo and redo start over: their versions lack the appended bytes, and saving one of
      // them would drop what the other program wrote.
      this.versions.forgetHistory();
      this.versions.adoptOriginal(buffer, root, "replaced");
    }
    // The old mapping (and its file descriptor) goes a little later: a find or count that began
    // over it may still read it.
    const release = setTimeout(() => {
      if (this.closed || !this.versions.release(previous)) return;
      previous.index.cancel();
      previous.file.close();
    }, RELEASE_GROWN_AFTER_MS);
    release.unref();
    this.emit("appended", grown);
    return { adopted: grown, refused: null };
  }

  /** After a save: the written file is the original (see Versions.adoptOriginal). */
  private becomeSaved(file: MappedFile, root: PieceNode, adoption: Adoption): void {
    this.versions.adoptOriginal(this.originalBuffer(file), root, adoption);
    this.emit("saved");
  }

  /**
   * A mapped original with its line index, building in the background (or, without
   * indexInBackground, from when `indexed` is first read).
   */
  private originalBuffer(file: MappedFile, seeded: LineIndex | null = null): OriginalBuffer {
    const index = seeded ?? new LineIndex(file, {}, this.rule);
    // `versions` is not there yet while the first original is set up.
    const isCurrent = () => this.versions?.currentOriginal.index === index;
    let indexed: Promise<void> | null = null;
    const build = (): Promise<void> => {
      if (indexed) return indexed;
      indexed = index.build((progress) => {
        if (isCurrent()) this.emit("indexProgress", progress);
      });
      indexed.then(
        () => {
          if (isCurrent()) this.emit("indexed");
        },
        () => {},
      );
      return indexed;
    };
    if (Document.indexInBackground) build();
    return {
      file,
      index,
      get indexed() {
        return build();
      },
      identity: identityOf(file),
    };
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
    this.tearDown(this.access.kind === "writable" && this.access.store.committed ? "keep" : "remove");
    if (commitError) throw commitError;
  }

  /** Drops the session: unsaved edits are gone and the next open shows the file as on disk. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.tearDown("remove");
  }

  /** Closes every file the document holds; its session folder is kept (released) or removed. */
  private tearDown(session: "keep" | "remove"): void {
    this.closed = true;
    for (const buffer of this.versions.originals) {
      buffer.index.cancel();
      buffer.file.close();
    }
    if (this.access.kind === "read-only") {
      this.access.add?.close();
      return;
    }
    this.access.store.close();
    if (session === "keep") this.access.session.release();
    else this.access.session.remove();
  }

  // ----- internals -----------------------------------------------------------------------------

  /** @internal The current version, for search and tests. */
  snapshot(): DocumentSnapshot {
    const versions = this.versions;
    return {
      root: versions.tree,
      length: versions.length,
      original: versions.currentOriginal.file,
      add: this.add,
      lineFeedSource: versions.lineFeedSource,
      rule: this.rule,
    };
  }

  /** @internal Rebuilds a committed session's state: its snapshot, then its edits replayed. */
  restore(committed: CommittedSession): void {
    this.versions.restore(committed);
    if (committed.slot.edits > 0) {
      this.recoveredSession = {
        time: new Date(committed.slot.committedAt),
        edits: committed.slot.edits,
        bytes: this.length,
      };
    }
  }

  /** @internal Back to the file as on disk (a session that failed to replay). */
  resetToOriginal(): void {
    this.versions.resetToFile();
    this.recoveredSession = null;
  }

  /** @internal open() moved a session it could not apply aside. */
  noteSetAside(info: SetAsideSession): void {
    this.setAsideSession = info;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`document ${this.path} is closed`);
  }

  /** The writable access, or a clear error why the document takes no edits now. */
  private writable(): Writable {
    this.checkOpen();
    if (this.failure) throw this.failure;
    if (this.access.kind !== "writable") {
      throw Object.assign(new Error(`${this.path} is open read-only`), { code: "EREADONLY" });
    }
    // The save writes the version it started from and then makes it the new original: an edit
    // in between would be lost, so edits wait.
    if (this.saving)
      throw new SaveError(`${this.path} is being saved; edit again when the save is done`, "ESAVEBUSY");
    return { ...this.access, add: this.access.store.add };
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

function encodingError(message: string): Error {
  return Object.assign(new Error(message), { code: "EENCODING" });
}
