/**
 * Document: the scripting API (DESIGN.md, "The scripting API") over the piece tree, the mapped
 * original and the add buffer. Offsets are bytes; lines are 0-based; the document is the single
 * source of truth for its bytes, undo and redo.
 */
import { constants as bufferConstants } from "node:buffer";
import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import {
  type AppendFile,
  countNewlinesInBytes,
  type MappedFile,
  openAppendFile,
  openMappedFile,
} from "../native/index.js";
import { type IndexProgress, LineIndex } from "./line-index.js";
import {
  ADDED,
  deleteRange,
  findLineFeed,
  insertPieces,
  type LineFeedSource,
  lineFeedsBefore,
  ORIGINAL,
  type PieceNode,
  pieceList,
  resolveLineFeeds,
  singlePieceTree,
} from "./piece-tree.js";
import { countMatches, type FindOptions, findMatches, type Match, replaceAllMatches } from "./search.js";
import { defaultStateDirectory, SessionFolder } from "./session-folder.js";
import { type DocumentSnapshot, readTree } from "./snapshot.js";

export interface OpenOptions {
  /** Open without a session: no edits, and no lock, so it works while another process edits. */
  readOnly?: boolean;
  /** Folder for sessions (default: GIGAPAD_STATE_DIR or the platform's state folder). */
  stateDir?: string;
}

/** What open() restored from a session; null until sessions are persisted (see README). */
export interface RecoveredSession {
  time: Date;
  edits: number;
  bytes: number;
}

/** Consecutive typing within this many milliseconds is one undo step. */
const UNDO_GROUP_MS = 1500;
/** Added-buffer ranges up to this size are counted on the spot when a piece is split. */
const CHEAP_ADDED_COUNT_BYTES = 16 * 1024 * 1024;
/** Bytes getLine reads ahead for the line end at first, and at most before asking the index. */
const LINE_READ_AHEAD = 256;
const LINE_READ_AHEAD_MAX = 64 * 1024;
/** Undo steps kept; older ones are forgotten. Each is a root, sharing most of its tree. */
const UNDO_LIMIT = 10_000;
/** The largest string V8 can make, in UTF-16 units (a byte range longer than this cannot be decoded). */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

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
}

/** Opens a document. Throws with code ENOENT, EACCES, EISDIR, ENOTREG, ESESSIONLOCKED, ... */
export async function open(path: string, options: OpenOptions = {}): Promise<Document> {
  const absolute = resolve(path);
  const original = openMappedFile(absolute);
  let session: SessionFolder | null = null;
  let add: AppendFile | null = null;
  try {
    if (!options.readOnly) {
      session = SessionFolder.acquire(absolute, options.stateDir ?? defaultStateDirectory());
      // Sessions are not persisted yet: a new session starts with an empty add buffer.
      rmSync(session.file("add.buf"), { force: true });
      add = openAppendFile(session.file("add.buf"), 0);
    }
  } catch (error) {
    original.close();
    session?.release();
    throw error;
  }
  return new Document(absolute, original, add, session);
}

export class Document extends EventEmitter<DocumentEvents> {
  /** What was restored from a session on open, or null. */
  readonly recovered: RecoveredSession | null = null;
  /** Increases with every change of content (edits, undo, redo). */
  version = 0;

  private root: PieceNode;
  private readonly undoStack: PieceNode[] = [];
  private readonly redoStack: PieceNode[] = [];
  private lastEdit: LastEdit | null = null;
  private readonly lineIndex: LineIndex;
  private readonly indexed: Promise<void>;
  private closed = false;
  /** @internal Counts line feeds for the tree. */
  readonly lineFeedSource: LineFeedSource;

  /** @internal Use open(). */
  constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly original: MappedFile,
    private readonly add: AppendFile | null,
    private readonly session: SessionFolder | null,
  ) {
    super();
    this.lineIndex = new LineIndex(original);
    const index = this.lineIndex;
    this.lineFeedSource = {
      count: (buffer, start, end) =>
        buffer === ORIGINAL ? index.count(start, end) : this.added.countNewlines(start, end),
      tryCount: (buffer, start, end) => {
        if (buffer === ORIGINAL) return index.tryCount(start, end);
        return end - start <= CHEAP_ADDED_COUNT_BYTES ? this.added.countNewlines(start, end) : Number.NaN;
      },
      nthLineFeed: (buffer, start, end, n) =>
        buffer === ORIGINAL ? index.nthLineFeed(start, end, n) : this.added.nthNewline(start, end, n),
    };
    this.root = singlePieceTree(
      ORIGINAL,
      0,
      original.size,
      original.size === 0 ? 0 : index.tryCount(0, original.size),
    );
    this.indexed = index.build((progress) => this.emit("indexProgress", progress));
    this.indexed.then(
      () => this.emit("indexed"),
      () => {},
    );
  }

  /** Length of the document in bytes. */
  get length(): number {
    return this.root.length;
  }

  /** True if the document was opened read-only. */
  get readOnly(): boolean {
    return this.add === null;
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
    this.beginEdit("insert", offset, offset + bytes.length, bytes);
    this.root = this.withInserted(this.root, offset, bytes);
    this.changed();
  }

  /** Deletes bytes [start, end). */
  delete(start: number, end: number): void {
    this.checkWritable();
    this.checkRange(start, end);
    if (start === end) return;
    this.beginEdit("delete", start, end);
    this.root = deleteRange(this.root, start, end, this.lineFeedSource);
    this.changed();
  }

  /** Replaces bytes [start, end) with text, as one undo step. */
  replace(start: number, end: number, text: string | Uint8Array): void {
    this.checkWritable();
    this.checkRange(start, end);
    const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    if (start === end && bytes.length === 0) return;
    this.pushUndo();
    this.lastEdit = null;
    let root = deleteRange(this.root, start, end, this.lineFeedSource);
    if (bytes.length > 0) root = this.withInserted(root, start, bytes);
    this.root = root;
    this.changed();
  }

  /** Steps back one edit (or one group of typing). Returns false when there is nothing to undo. */
  undo(): boolean {
    this.checkWritable();
    const previous = this.undoStack.pop();
    if (!previous) return false;
    this.redoStack.push(this.root);
    this.root = previous;
    this.lastEdit = null;
    this.changed();
    return true;
  }

  /** Re-applies the last undone step. Returns false when there is nothing to redo. */
  redo(): boolean {
    this.checkWritable();
    const next = this.redoStack.pop();
    if (!next) return false;
    this.undoStack.push(this.root);
    this.root = next;
    this.lastEdit = null;
    this.changed();
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
      this.added.append(bytes),
    );
    if (result.count === 0) return 0;
    if (this.root !== snapshot.root) {
      throw new Error("the document changed while replaceAll was running; nothing was replaced");
    }
    this.pushUndo();
    this.lastEdit = null;
    this.root = result.root;
    this.changed();
    return result.count;
  }

  // ----- lifecycle -----------------------------------------------------------------------------

  /**
   * Makes the current version a durable session checkpoint. Until the session store lands
   * (README: "Sessions"), edits are kept in memory only and this only checks the document is open.
   */
  async commit(): Promise<void> {
    this.checkOpen();
  }

  /** Writes the document to its file. Not available yet: saving lands with the save issue. */
  async save(): Promise<void> {
    this.checkWritable();
    throw notYet("save()");
  }

  /** Writes the document to path and makes it the document's file. Not available yet. */
  async saveAs(_path: string): Promise<void> {
    this.checkWritable();
    throw notYet("saveAs()");
  }

  /** Closes the document: unmaps its buffers and releases its session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lineIndex.cancel();
    this.original.close();
    this.add?.close();
    // Without a persisted session there is nothing to keep for the next open.
    this.session?.remove();
  }

  /** Drops the session: the next open shows the file as it is on disk. */
  async discard(): Promise<void> {
    await this.close();
  }

  // ----- internals -----------------------------------------------------------------------------

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

  private get added(): AppendFile {
    if (!this.add) throw new Error(`${this.path} is open read-only`);
    return this.add;
  }

  private withInserted(root: PieceNode, offset: number, bytes: Uint8Array): PieceNode {
    const start = this.added.append(bytes);
    const pieces = pieceList();
    pieces.push(ADDED, start, bytes.length, countNewlinesInBytes(bytes));
    return insertPieces(root, offset, pieces, this.lineFeedSource);
  }

  private beginEdit(kind: "insert" | "delete", start: number, end: number, bytes?: Uint8Array): void {
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
    if (!continues) this.pushUndo();
    this.redoStack.length = 0;
    this.lastEdit = { kind, at: kind === "insert" ? end : start, time: now };
  }

  private pushUndo(): void {
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
    if (!this.add) throw new Error(`${this.path} is open read-only`);
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

function notYet(what: string): Error {
  const error = new Error(
    `${what} is not available yet in this version of Gigapad (saving lands with sessions)`,
  );
  (error as Error & { code: string }).code = "ENOTSUP";
  return error;
}
