/**
 * A document's versions: the current root, undo and redo (with typing grouped into steps), the
 * last change, the edits not yet committed — and which original file each version reads from.
 *
 * Which original a version reads: the file on disk now is `newest` (the one opened, or the last
 * one saved); `current` is the one the current version reads (older after an undo across a
 * save); `epoch` is the one the session's epoch is over. **A version is committable only if it
 * reads from the epoch's file**: the session never held the others (see `adoptIntoEpoch`).
 * Versions from before a save keep the old file's mapping (the old inode lives on while mapped),
 * so undo across a save works within the process.
 *
 * Every change, live or replayed from the session log, goes through one `apply(op)`.
 */
import type { AppendFile, LineFeedRule, MappedFile } from "../native/index.js";
import { type FollowRefusal, tailRefusal } from "./follow-tail.js";
import { appendAligned, countLineFeeds } from "./line-feed-rule.js";
import type { LineIndex } from "./line-index.js";
import {
  ADDED,
  deleteRange,
  firstDifference,
  forEachPiece,
  insertPieces,
  type LineFeedSource,
  ORIGINAL,
  onlyPiece,
  type PieceNode,
  pieceList,
  singlePieceTree,
  TreeBuilder,
} from "./piece-tree.js";
import type { DecodedOp, SessionOp, SessionState } from "./session-codec.js";
import { CorruptRecordError, type OriginalIdentity } from "./session-format.js";
import type { CommittedSession } from "./session-reader.js";
import type { AddBufferView } from "./snapshot.js";

/** A mapped original file and its line index. */
export interface OriginalBuffer {
  file: MappedFile;
  index: LineIndex;
  indexed: Promise<void>;
  /** Sampled when the buffer was set up: the mapping shows later changes, this does not. */
  identity: OriginalIdentity;
}

/** Consecutive typing within this many milliseconds is one undo step. */
const UNDO_GROUP_MS = 1500;
/** Undo steps kept; older ones are forgotten. Each is a root, sharing most of its tree. */
const UNDO_LIMIT = 10_000;
/** Added-buffer ranges up to this size are counted on the spot when a piece is split. */
const CHEAP_ADDED_COUNT_BYTES = 16 * 1024 * 1024;
/** Bytes of a replaced file copied into the add buffer at once (see adoptIntoEpoch). */
const COPY_VERSION_STEP_BYTES = 16 * 1024 * 1024;

interface LastEdit {
  kind: "insert" | "delete";
  /** insert: where typing continues; delete: where the deletion happened. */
  at: number;
  time: number;
}

/** Whether an op comes from the user now, or from the session log (validated, not recorded). */
export type ApplyMode = "live" | "replay";

/** What an adopted original replaces: `replaced` keeps the old file for undo; `overwritten` does not. */
export type Adoption = "replaced" | "overwritten";

export class Versions {
  /** The original the current version reads from. */
  private current: OriginalBuffer;
  /** The original the file on disk holds now (the one opened, or the last one saved). */
  private newest: OriginalBuffer;
  /** The original the session's epoch is over: only versions over it can be committed. */
  private epoch: OriginalBuffer;
  /** The original each undo/redo version reads from, when it is not `newest`. */
  private readonly originalOf = new WeakMap<PieceNode, OriginalBuffer>();
  /** Originals replaced by saves, kept for undo; closed with the document. */
  private readonly retired: OriginalBuffer[] = [];
  private root: PieceNode;
  private readonly undoStack: PieceNode[] = [];
  private readonly redoStack: PieceNode[] = [];
  private lastEdit: LastEdit | null = null;
  /** The versions before and after the last change, and where it begins once computed. */
  private lastChange: { before: PieceNode; after: PieceNode; at?: number | null } | null = null;
  /** Edits since the last commit, as the session log will record them. */
  private pendingOps: SessionOp[] = [];
  /** Edits since the session started (restored ones included). */
  private editCount = 0;
  /** Set when edits could not be committed as deltas: the next commit is a snapshot. */
  private snapshotNeeded = false;
  /** True while restore() replays a session's edits. */
  private replaying = false;
  private readonly add: AddBufferView | null;
  private readonly onChange: () => void;
  /** Counts line feeds for the tree, over the current original and the add buffer. */
  readonly lineFeedSource: LineFeedSource;
  /** How line feeds are counted (the originals' indexes count by it too). */
  readonly rule: LineFeedRule;

  constructor(parts: {
    original: OriginalBuffer;
    add: AddBufferView | null;
    /** Default `byte`. */
    rule?: LineFeedRule;
    onChange: () => void;
  }) {
    this.current = parts.original;
    this.newest = parts.original;
    this.epoch = parts.original;
    this.add = parts.add;
    const rule = parts.rule ?? "byte";
    this.rule = rule;
    this.onChange = parts.onChange;
    this.lineFeedSource = {
      count: (buffer, start, end) =>
        buffer === ORIGINAL
          ? this.current.index.count(start, end)
          : this.addBuffer.countNewlines(start, end, rule),
      tryCount: (buffer, start, end) => {
        // While a session replays, counts are left unknown: they are filled in when first asked
        // for, usually after the background index makes them O(1).
        if (this.replaying) return Number.NaN;
        if (buffer === ORIGINAL) return this.current.index.tryCount(start, end);
        return end - start <= CHEAP_ADDED_COUNT_BYTES
          ? this.addBuffer.countNewlines(start, end, rule)
          : Number.NaN;
      },
      nthLineFeed: (buffer, start, end, n) =>
        buffer === ORIGINAL
          ? this.current.index.nthLineFeed(start, end, n)
          : this.addBuffer.nthNewline(start, end, n, rule),
    };
    this.root = this.wholeFile(parts.original);
  }

  /** The current version's tree. */
  get tree(): PieceNode {
    return this.root;
  }

  get length(): number {
    return this.root.length;
  }

  /** The original the current version reads from. */
  get currentOriginal(): OriginalBuffer {
    return this.current;
  }

  /** The original the file on disk holds now. */
  get newestOriginal(): OriginalBuffer {
    return this.newest;
  }

  /** Whether the current version reads from the epoch's file (so a commit can hold it as it is). */
  get committable(): boolean {
    return this.current === this.epoch;
  }

  /** Whether the current version reads from the file on disk as it is now. */
  get overNewest(): boolean {
    return this.current === this.newest;
  }

  /** Every original still mapped: the current one, the newest, and those kept for undo. */
  get originals(): OriginalBuffer[] {
    return [...new Set([this.current, this.newest, ...this.retired])];
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Edits since the last commit, as the session log will record them. */
  get uncommitted(): readonly SessionOp[] {
    return this.pendingOps;
  }

  /** Edits since the session started (restored ones included). */
  get edits(): number {
    return this.editCount;
  }

  /** Whether the next commit must be a snapshot (the edits since the last one do not replay). */
  get needsSnapshot(): boolean {
    return this.snapshotNeeded;
  }

  /** The pending edits are committed. */
  committed(): void {
    this.pendingOps = [];
    this.snapshotNeeded = false;
  }

  /**
   * True when the content differs from the file on disk: anything but the whole of that file as
   * one piece. (Typing a character and deleting it again counts as a change; undoing it does not.)
   */
  get modified(): boolean {
    if (this.current !== this.newest) return true;
    const size = this.newest.file.size;
    if (this.root.length !== size) return true;
    if (size === 0) return false;
    const piece = onlyPiece(this.root);
    return piece === null || piece.buffer !== ORIGINAL || piece.start !== 0;
  }

  /**
   * Byte offset where the last change (edit, undo, redo, replaceAll) begins; null before the
   * first change or when the two versions read the same bytes.
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

  /** Whether an edit starts a new undo step, or continues the typing (or backspacing) before it. */
  startsUndoGroup(kind: "insert" | "delete", start: number, end: number, bytes?: Uint8Array): boolean {
    const now = Date.now();
    const last = this.lastEdit;
    const recent = last !== null && last.kind === kind && now - last.time < UNDO_GROUP_MS;
    let continues = false;
    if (recent && kind === "insert") {
      const lineFeeds =
        bytes === undefined
          ? 1
          : this.rule === "byte"
            ? +bytes.includes(10)
            : countLineFeeds(bytes, this.rule);
      continues = start === last.at && lineFeeds === 0;
    } else if (recent && kind === "delete") {
      // Backspace (end meets the last deletion) or forward delete (same start), a few bytes at a time.
      continues = (end === last.at || start === last.at) && end - start <= 16;
    }
    this.lastEdit = { kind, at: kind === "insert" ? end : start, time: now };
    return !continues || this.undoStack.length === 0;
  }

  /** The next edit starts an undo step of its own. */
  breakUndoGroup(): void {
    this.lastEdit = null;
  }

  /**
   * Applies one edit — live, or replayed from the session log — and records it for the next
   * commit. Replayed edits are validated: one that does not fit means the log is corrupt.
   */
  apply(op: SessionOp | DecodedOp, mode: ApplyMode = "live"): void {
    const replaying = mode === "replay";
    const fail = (what: string) => doesNotFit(op, what);
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
        if (!previous) doesNotFit(op, "nothing to undo");
        this.remember(this.root);
        this.redoStack.push(this.root);
        this.switchTo(previous);
        break;
      }
      case "redo": {
        const next = this.redoStack.pop();
        if (!next) doesNotFit(op, "nothing to redo");
        this.remember(this.root);
        this.undoStack.push(this.root);
        this.switchTo(next);
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
    this.editCount++;
    if (!replaying) {
      const at = op.kind === "insert" ? op.offset : "start" in op ? op.start : undefined;
      this.lastChange = at === undefined ? { before, after: this.root } : { before, after: this.root, at };
      this.pendingOps.push(op.kind === "setRootPieces" ? { kind: "setRoot", root: this.root } : op);
    }
    this.onChange();
  }

  /**
   * Rebuilds a committed session's state: its snapshot, then its edits replayed. Throws
   * CorruptRecordError if they do not replay.
   */
  restore(committed: CommittedSession): void {
    this.root = committed.snapshot.root;
    this.undoStack.splice(0, this.undoStack.length, ...committed.snapshot.undo);
    this.redoStack.splice(0, this.redoStack.length, ...committed.snapshot.redo);
    this.editCount = committed.slot.edits - committed.ops.length;
    this.replaying = true;
    try {
      for (const op of committed.ops) this.apply(op, "replay");
    } finally {
      this.replaying = false;
    }
    if (this.root.length !== committed.slot.documentLength) {
      throw new CorruptRecordError(
        `replayed ${this.root.length} bytes, the slot says ${committed.slot.documentLength}`,
      );
    }
    this.pendingOps = [];
  }

  /** Back to the file as on disk, with no history (a session that failed to replay). */
  resetToFile(): void {
    this.root = singlePieceTree(ORIGINAL, 0, this.current.file.size, Number.NaN);
    this.forgetHistory();
  }

  /** Undo and redo start over (their versions no longer read what is on disk). */
  forgetHistory(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.lastEdit = null;
  }

  /**
   * The state a session snapshot holds: the current version and the undo/redo versions that
   * read from the epoch's file (versions from before a save live in this process only).
   */
  persistableState(): SessionState {
    const persistable = (root: PieceNode) => (this.originalOf.get(root) ?? this.newest) === this.epoch;
    return {
      root: this.root,
      undo: this.undoStack.filter(persistable),
      redo: this.redoStack.filter(persistable),
    };
  }

  /**
   * Makes the current version — one from before the last save, reading the replaced file's
   * mapping — committable: the bytes it reads from that file are appended to the add buffer and
   * its pieces point there, so it no longer needs the old file; the next commit is a snapshot.
   * Refuses (code EVERSIONTOOLARGE, nothing changed) when that is more than `limit` bytes: such a
   * version is made durable by saving it.
   */
  adoptIntoEpoch(add: AppendFile, limit: number): void {
    const from = this.current;
    let needed = 0;
    forEachPiece(this.root, 0, this.length, (buffer, start, end) => {
      if (buffer === ORIGINAL) needed += end - start;
      return true;
    });
    if (needed > limit) {
      throw Object.assign(
        new Error(
          `this version, from before the last save, reads ${needed} bytes of the file as it was; ` +
            "it cannot be kept in the session (save it, or redo to the saved version)",
        ),
        { code: "EVERSIONTOOLARGE" },
      );
    }
    const builder = new TreeBuilder();
    forEachPiece(this.root, 0, this.length, (buffer, start, end) => {
      if (buffer === ADDED) {
        builder.push(ADDED, start, end - start, add.countNewlines(start, end, this.rule));
        return true;
      }
      for (let at = start; at < end; at += COPY_VERSION_STEP_BYTES) {
        const stop = Math.min(end, at + COPY_VERSION_STEP_BYTES);
        const addStart = appendAligned(add, from.file.read(at, stop), this.rule);
        builder.push(
          ADDED,
          addStart,
          stop - at,
          add.countNewlines(addStart, addStart + (stop - at), this.rule),
        );
      }
      return true;
    });
    this.root = this.length === 0 ? singlePieceTree(ORIGINAL, 0, 0, 0) : builder.finish();
    this.current = this.epoch;
    this.snapshotNeeded = true;
  }

  /**
   * A saved (or grown) file becomes the original, read by `root` (one piece: the same text), which
   * replaces the current version rather than making an undo step; the session's epoch is over it.
   * After a `replaced` file, older versions keep theirs for undo. After an `overwritten` one (an
   * in-place save) its bytes are gone, and with them every version that read them: undo and redo
   * start over.
   */
  adoptOriginal(saved: OriginalBuffer, root: PieceNode, adoption: Adoption): void {
    const before = this.current;
    if (adoption === "overwritten") {
      this.forgetHistory();
      const gone = this.newest;
      gone.index.cancel();
      gone.file.close();
      this.release(gone);
      if (before !== gone && !this.retired.includes(before)) this.retired.push(before);
    }
    for (const entry of [...this.undoStack, ...this.redoStack]) {
      if (!this.originalOf.has(entry)) this.originalOf.set(entry, before);
    }
    for (const buffer of adoption === "overwritten" ? [] : new Set([before, this.newest])) {
      if (!this.retired.includes(buffer)) this.retired.push(buffer);
    }
    this.newest = saved;
    this.current = saved;
    this.epoch = saved;
    this.root = root;
    this.pendingOps = [];
    this.editCount = 0;
  }

  /**
   * Why bytes appended to the newest file after its first `oldSize` bytes cannot follow the
   * current version, or null when they can (the rule: follow-tail.ts).
   */
  followRefusal(oldSize: number): FollowRefusal | null {
    if (this.current !== this.newest) return "before-save";
    return tailRefusal(this.root, oldSize, this.rule);
  }

  /**
   * The versions with `tail` — bytes [start, start + length) of the grown file, holding
   * `lineFeeds` — at their end, for a file that grew by an append under edits (follow-tail.ts):
   * each version that reads the newest file gains the same tail piece after its last byte — after
   * text typed at the file's old end, and after what is left when the user deleted that end, as
   * the user's edits are pieces over the file and the program appended after its old last byte.
   * Null when the current version cannot (followRefusal); of undo and redo, the versions nearest
   * the current one that can are kept, from the first that cannot (one from before a save) on
   * they are dropped.
   */
  grownVersions(tail: { start: number; length: number; lineFeeds: number }): SessionState | null {
    const fits = (root: PieceNode) =>
      (this.originalOf.get(root) ?? this.newest) === this.newest &&
      tailRefusal(root, tail.start, this.rule) === null;
    if (this.current !== this.newest || !fits(this.root)) return null;
    const grow = (root: PieceNode) => {
      const pieces = pieceList();
      pieces.push(ORIGINAL, tail.start, tail.length, tail.lineFeeds);
      return insertPieces(root, root.length, pieces, this.lineFeedSource);
    };
    // The stacks' tops are nearest the current version.
    const nearest = (stack: PieceNode[]) => stack.slice(stack.findLastIndex((root) => !fits(root)) + 1);
    return {
      root: grow(this.root),
      undo: nearest(this.undoStack).map(grow),
      redo: nearest(this.redoStack).map(grow),
    };
  }

  /**
   * The grown file becomes the original, read by `state` (from grownVersions) as the current,
   * undo and redo versions; the session's new epoch holds them (nothing is uncommitted). The old
   * mapping is kept as a replaced one, for finds that began over it.
   */
  adoptGrown(grown: OriginalBuffer, state: SessionState): void {
    if (!this.retired.includes(this.newest)) this.retired.push(this.newest);
    this.newest = grown;
    this.current = grown;
    this.epoch = grown;
    this.root = state.root;
    this.undoStack.splice(0, this.undoStack.length, ...state.undo);
    this.redoStack.splice(0, this.redoStack.length, ...state.redo);
    this.lastChange = null;
    this.pendingOps = [];
    this.snapshotNeeded = false;
  }

  /** Stops keeping a replaced original; returns whether it was kept. */
  release(buffer: OriginalBuffer): boolean {
    const at = this.retired.indexOf(buffer);
    if (at >= 0) this.retired.splice(at, 1);
    return at >= 0;
  }

  /** The whole of a file as one piece (its count known when the index already knows it). */
  private wholeFile(original: OriginalBuffer): PieceNode {
    const size = original.file.size;
    return singlePieceTree(ORIGINAL, 0, size, size === 0 ? 0 : original.index.tryCount(0, size));
  }

  private get addBuffer(): AddBufferView {
    if (!this.add) throw new Error("this document has no add buffer (no session)");
    return this.add;
  }

  private withInserted(root: PieceNode, offset: number, addStart: number, length: number): PieceNode {
    const pieces = pieceList();
    pieces.push(
      ADDED,
      addStart,
      length,
      this.addBuffer.countNewlines(addStart, addStart + length, this.rule),
    );
    return insertPieces(root, offset, pieces, this.lineFeedSource);
  }

  private pushUndo(): void {
    this.remember(this.root);
    this.undoStack.push(this.root);
    // Forget the oldest tenth at once: shifting one entry per edit would cost O(limit) each time.
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.splice(0, UNDO_LIMIT / 10);
    this.redoStack.length = 0;
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
    if (this.current !== this.epoch) this.snapshotNeeded = true;
  }
}

/** A replayed edit that does not fit the version it is applied to: the session log is corrupt. */
function doesNotFit(op: SessionOp | DecodedOp, what: string): never {
  throw new CorruptRecordError(`session edit ${op.kind} does not fit: ${what}`);
}
