/**
 * The session store: the writing side of a document's session, which makes its edits durable so
 * they survive kill -9 and power loss.
 *
 * A session folder holds `add.buf` (the add buffer), `meta` (an append-only log of records:
 * snapshots of the document's state and deltas of edits) and `root` (two checksummed slots in
 * separate 4 KiB blocks). A commit is three phases, each durable before the next begins:
 *
 *   1. the added text is in add.buf and synced;
 *   2. the record (a delta of the edits since the last commit, or a snapshot) is appended to meta
 *      and synced;
 *   3. the inactive root slot is written with txn + 1, pointing at that record, and synced.
 *
 * Why a crash anywhere is harmless: until phase 3's write reaches the disk, the active slot still
 * names the previous record, whose bytes (and the add bytes it references) were synced before it
 * was written; bytes appended after it are ignored. A torn phase-3 write fails its checksum and
 * recovery takes the other slot. Which slot is taken is decided in one place, `pickSlot`
 * (session-reader.ts); the payloads are session-codec.ts.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type AppendFile, type MappedFile, openAppendFile } from "../native/index.js";
import {
  crashPoint,
  type DurableFiles,
  type FileHandle,
  makeDurableDirectory,
  systemFiles,
} from "./durable-files.js";
import { identityOf } from "./original-identity.js";
import { encodeOps, encodeSnapshot, type SessionOp, type SessionState } from "./session-codec.js";
import { isMetaFileName, metaFileName, SESSION_FILES } from "./session-folder.js";
import {
  type CopyAnnouncement,
  checksum,
  decodeRecordHeader,
  encodeRecord,
  encodeSlot,
  type OriginalIdentity,
  RECORD_HEADER_BYTES,
  type RootSlot,
  SLOT_BLOCK_BYTES,
} from "./session-format.js";
import { type CommittedSession, pickSlot } from "./session-reader.js";

/** Write a snapshot instead of a delta once this many edits... */
const SNAPSHOT_AFTER_OPS = 50_000;
/** ...or this many bytes of deltas accumulated since the last snapshot. */
const SNAPSHOT_AFTER_BYTES = 32 * 1024 * 1024;
/** A snapshot starts a new, compacted meta file once the current one is this large. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/** Error for a store that failed to sync: it refuses further commits (never retry an fsync). */
export class SessionFailedError extends Error {
  readonly code = "ESESSIONFAILED";
}

export interface StoreOptions {
  io?: DurableFiles;
  /** The original's identity, when the caller already computed it. */
  identity?: OriginalIdentity;
  /** The document's encoding, written into every slot (recovery reopens with it); null: bytes. */
  encoding?: string | null;
  /** Tuning (tests make these small to exercise snapshots and compaction). */
  snapshotAfterOps?: number;
  compactAfterBytes?: number;
}

/** What one commit records. */
export interface CommitRequest {
  /** The edits since the last commit. */
  ops: SessionOp[];
  /** The state a snapshot holds; asked for only when a snapshot is written. */
  state: () => SessionState;
  /** Edits since the session started. */
  edits: number;
  documentLength: number;
  /**
   * `when-due` (the default): a delta, unless the thresholds call for a snapshot. `always`: a
   * snapshot (the edits since the last commit would not replay as deltas).
   */
  snapshot?: "when-due" | "always";
}

/** Where the session's log stands after its last commit. */
interface LogPosition {
  /** The last committed slot, or null before the first commit. */
  lastSlot: RootSlot | null;
  /** Which root block (0 or 1) holds lastSlot. */
  activeBlock: 0 | 1;
  meta: FileHandle;
  metaGeneration: number;
  /** Where the next record goes: right after the last committed one. */
  metaEnd: number;
  /** Where the chain of the last committed record begins (its snapshot). */
  baseOffset: number;
}

/** The writable side of a session: owns add.buf, meta and root while the document is open. */
export class SessionStore {
  readonly add: AppendFile;
  private folderPath: string;
  private readonly root: FileHandle;
  private readonly io: DurableFiles;
  private identity: OriginalIdentity;
  private position: LogPosition;
  private failure: Error | null = null;
  private opsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private snapshotDue: boolean;
  private readonly snapshotAfterOps: number;
  private readonly compactAfterBytes: number;
  private encoding: string | null;

  private constructor(parts: {
    folder: string;
    add: AppendFile;
    root: FileHandle;
    io: DurableFiles;
    identity: OriginalIdentity;
    position: LogPosition;
    options: StoreOptions;
  }) {
    this.folderPath = parts.folder;
    this.add = parts.add;
    this.root = parts.root;
    this.io = parts.io;
    this.identity = parts.identity;
    this.position = parts.position;
    this.snapshotDue = parts.position.lastSlot === null;
    this.snapshotAfterOps = parts.options.snapshotAfterOps ?? SNAPSHOT_AFTER_OPS;
    this.compactAfterBytes = parts.options.compactAfterBytes ?? COMPACT_AFTER_BYTES;
    this.encoding = parts.options.encoding ?? null;
  }

  /** The encoding written into the slots committed from now on (see Document.labelSessionEncoding). */
  relabel(encoding: string | null): void {
    this.encoding = encoding;
  }

  /**
   * Opens the store of a locked session folder. With a committed session, its files are reused
   * and new records go after the committed ones; otherwise the folder starts over (anything in
   * it did not verify, so it is not live data).
   */
  static open(
    folder: string,
    original: MappedFile,
    recovered: CommittedSession | null,
    options: StoreOptions = {},
  ): SessionStore {
    const io = options.io ?? systemFiles;
    const identity = options.identity ?? identityOf(original);
    makeDurableDirectory(folder, io);
    const addPath = join(folder, SESSION_FILES.add);
    const slot = recovered?.slot ?? null;
    const generation = slot?.metaGeneration ?? 0;
    const metaPath = join(folder, metaFileName(generation));
    const rootPath = join(folder, SESSION_FILES.root);
    const isNew = !existsSync(addPath) || !existsSync(metaPath) || !existsSync(rootPath);
    const startsOver = !recovered && !isNew;
    const add = openAppendFile(addPath, slot ? slot.addLength : 0);
    const meta = io.open(metaPath, "create");
    const root = io.open(rootPath, "create");
    if (isNew) {
      // New files are durable only once their directory entries are (the folder itself and its
      // parents were made durable when they were created).
      io.syncDirectory(folder);
    }
    if (startsOver) {
      // Nothing here verified: clear the slots so no stale one can ever be picked again.
      io.write(root, Buffer.alloc(2 * SLOT_BLOCK_BYTES), 0);
      io.sync(root);
    }
    // The next commit goes to the other block than the one holding the recovered slot.
    const activeBlock = slot
      ? (pickSlot(io.read(root, 2 * SLOT_BLOCK_BYTES, 0), (found) => found.txn === slot.txn)?.block ?? 1)
      : 1;
    const baseOffset = slot
      ? decodeRecordHeader(io.read(meta, RECORD_HEADER_BYTES, slot.recordOffset))!.baseOffset
      : 0;
    // Meta files of other generations are dead: the chosen slot is durable and newer.
    for (const name of readdirSync(folder)) {
      if (isMetaFileName(name) && name !== metaFileName(generation)) io.remove(join(folder, name));
    }
    const metaEnd = slot ? slot.recordOffset + slot.recordLength : 0;
    const position = { lastSlot: slot, activeBlock, meta, metaGeneration: generation, metaEnd, baseOffset };
    return new SessionStore({ folder, add, root, io, identity, position, options });
  }

  get folder(): string {
    return this.folderPath;
  }

  /** The session folder was renamed (save-as): open files stay valid, new ones go there. */
  relocate(folder: string): void {
    this.folderPath = folder;
  }

  /** The last commit, or null if nothing was committed yet. */
  get committed(): RootSlot | null {
    return this.position.lastSlot;
  }

  /** Set after a failed sync: the store refuses to commit again. */
  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Commits the edits since the last commit (or, when one is due, a snapshot of the state),
   * in the three phases of the module comment. Throws SessionFailedError if a write or sync
   * fails; the store then refuses further commits.
   */
  commit(request: CommitRequest): RootSlot {
    return this.write(request, this.identity);
  }

  /**
   * The original grew by an append another program made (a followed log) before anything was
   * committed: later commits are made against the longer file. Nothing is written — a session
   * that promises nothing stays empty (and the next open removes it).
   */
  adoptIdentity(identity: OriginalIdentity): void {
    if (this.position.lastSlot)
      throw new Error("the session has commits: a new original begins an epoch (beginEpoch)");
    this.identity = identity;
  }

  /**
   * Starts a new epoch after a save: a snapshot of the saved state, over the new file's identity
   * (the temp file's, before it is renamed over the target). A crash before the rename leaves this
   * slot naming a file that is not there, so recovery takes the previous one: the old session
   * over the old file. After the rename it names the file: a clean session over the new file.
   * `edits`: the edits the state holds (0 after a save; a log followed under edits keeps its count,
   * so a slot of the epoch is never taken for the file's bytes alone).
   */
  beginEpoch(identity: OriginalIdentity, state: SessionState, documentLength: number, edits = 0): RootSlot {
    const request: CommitRequest = {
      ops: [],
      state: () => state,
      edits,
      documentLength,
      snapshot: "always",
    };
    const slot = this.write(request, identity);
    this.identity = identity;
    return slot;
  }

  private write(request: CommitRequest, identity: OriginalIdentity): RootSlot {
    if (this.failure) throw this.failure;
    const { ops, edits, documentLength } = request;
    const at = this.position;
    try {
      const txn = (at.lastSlot?.txn ?? 0) + 1;
      const snapshot =
        request.snapshot === "always" ||
        this.snapshotDue ||
        this.opsSinceSnapshot >= this.snapshotAfterOps ||
        this.bytesSinceSnapshot >= SNAPSHOT_AFTER_BYTES;
      // Compaction: a snapshot in a large log goes to a new meta file instead; once the slot
      // naming it is durable, the old file is dead and removed.
      const compact = snapshot && at.metaEnd >= this.compactAfterBytes;
      const generation = compact ? at.metaGeneration + 1 : at.metaGeneration;
      const meta = compact ? this.io.open(join(this.folder, metaFileName(generation)), "create") : at.meta;
      if (compact) {
        // Its directory entry must be durable before a slot names it.
        this.io.syncDirectory(this.folder);
      }
      const recordOffset = compact ? 0 : at.metaEnd;
      const baseOffset = snapshot ? recordOffset : at.baseOffset;
      const record = encodeRecord(
        { kind: snapshot ? "snapshot" : "delta", txn, baseOffset, edits },
        snapshot ? encodeSnapshot(request.state()) : encodeOps(ops),
      );
      const slot: RootSlot = {
        txn,
        recordOffset,
        recordLength: record.length,
        recordChecksum: checksum(record),
        addLength: this.add.length,
        identity,
        committedAt: Date.now(),
        edits,
        documentLength,
        metaGeneration: generation,
        appendFrom: -1,
        copyFrom: null,
        encoding: this.encoding,
      };
      const target = otherBlock(at.activeBlock);

      // Phase 1: the added bytes are durable.
      crashPoint("commit:before-add-sync");
      this.io.syncAddBuffer(this.add);
      crashPoint("commit:after-add-sync");

      // Phase 2: the record is durable (appended after the last committed record).
      this.io.write(meta, record, recordOffset);
      crashPoint("commit:after-meta-write");
      this.io.sync(meta);
      crashPoint("commit:after-meta-sync");

      // Phase 3: the inactive slot names the record; durable once synced.
      this.writeSlot(slot, target);

      if (compact) {
        this.io.close(at.meta);
        this.io.remove(join(this.folder, metaFileName(at.metaGeneration)));
      }
      this.position = {
        lastSlot: slot,
        activeBlock: target,
        meta,
        metaGeneration: generation,
        metaEnd: recordOffset + record.length,
        baseOffset,
      };
      this.snapshotDue = false;
      if (snapshot) {
        this.opsSinceSnapshot = 0;
        this.bytesSinceSnapshot = 0;
      } else {
        this.opsSinceSnapshot += ops.length;
        this.bytesSinceSnapshot += record.length;
      }
      return slot;
    } catch (error) {
      throw this.fail(error);
    }
  }

  /**
   * fsyncgate: after a failed write or sync we cannot know what reached the disk. The store
   * stops here for good; the folder keeps the last good commit for recovery.
   */
  private fail(error: unknown): SessionFailedError {
    this.failure = new SessionFailedError(
      `edits to this document can no longer be saved in its session (${(error as Error).message}); ` +
        `the last committed version stays recoverable in ${this.folder}`,
      { cause: error },
    );
    return this.failure as SessionFailedError;
  }

  /**
   * Announces an append save: the committed version, in a new slot that also says the file is
   * about to be extended in place from its current end. Until the save's epoch is committed,
   * recovery that finds the file longer knows the extra bytes are this save's and redoes it.
   */
  announceAppend(fileLength: number): void {
    if (this.failure) throw this.failure;
    const last = this.position.lastSlot;
    if (!last) throw new Error("announceAppend needs a committed session");
    this.announce(last, { appendFrom: fileLength, copyFrom: null });
  }

  /**
   * Announces an in-place save: the last commit (or, with none yet, the file as it is), in a new
   * slot that also names the synced temp file about to be copied into the file's own inode. Until
   * the save's epoch is committed, recovery that finds this slot redoes the copy from the temp file
   * (idempotent), so the file is the old or the new version once reopened, never a mix.
   */
  announceCopy(copyFrom: CopyAnnouncement, fileAsIs: () => SessionState, fileLength: number): void {
    if (this.failure) throw this.failure;
    const last =
      this.position.lastSlot ??
      this.write(
        { ops: [], state: fileAsIs, edits: 0, documentLength: fileLength, snapshot: "always" },
        this.identity,
      );
    this.announce(last, { appendFrom: -1, copyFrom });
  }

  /** The last commit again, in a new slot that also announces a save about to change the file. */
  private announce(last: RootSlot, save: Pick<RootSlot, "appendFrom" | "copyFrom">): void {
    try {
      const slot: RootSlot = { ...last, txn: last.txn + 1, ...save, committedAt: Date.now() };
      const target = otherBlock(this.position.activeBlock);
      this.writeSlot(slot, target);
      this.position = { ...this.position, lastSlot: slot, activeBlock: target };
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Writes a slot into its 4 KiB block and syncs it: the commit point. */
  private writeSlot(slot: RootSlot, block: 0 | 1): void {
    this.io.write(this.root, encodeSlot(slot), block * SLOT_BLOCK_BYTES);
    crashPoint("commit:after-slot-write");
    this.io.sync(this.root);
    crashPoint("commit:after-slot-sync");
  }

  /** Closes the files (the folder and its committed state stay). */
  close(): void {
    this.add.close();
    this.io.close(this.position.meta);
    this.io.close(this.root);
  }
}

function otherBlock(block: 0 | 1): 0 | 1 {
  return block === 0 ? 1 : 0;
}
