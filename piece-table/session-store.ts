/**
 * The session store: a document's edits made durable, so they survive kill -9 and power loss.
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
 * recovery takes the other slot. Recovery (`readCommitted`) is the one place that picks a slot.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type AppendFile, type MappedFile, openAppendFile } from "../native/index.js";
import {
  crashPoint,
  type DurableFiles,
  type FileHandle,
  makeDurableDirectory,
  systemFiles,
} from "./durable-files.js";
import {
  ADDED,
  branchFromChildren,
  forEachPiece,
  Leaf,
  leafFromPieces,
  ORIGINAL,
  type PieceNode,
  piecesOfLeaf,
} from "./piece-tree.js";
import {
  ByteReader,
  ByteWriter,
  type CopyAnnouncement,
  CorruptRecordError,
  checksum,
  decodeRecordHeader,
  decodeSlot,
  encodeRecord,
  encodeSlot,
  type OriginalIdentity,
  RECORD_HEADER_BYTES,
  type RecordHeader,
  type RootSlot,
  SLOT_BLOCK_BYTES,
  sameIdentity,
  verifyRecord,
} from "./session-format.js";

/** An edit as the session log records it; replaying the log repeats the document's history. */
export type SessionOp =
  | { kind: "insert"; offset: number; addStart: number; length: number; newGroup: boolean }
  | { kind: "delete"; start: number; end: number; newGroup: boolean }
  | { kind: "replace"; start: number; end: number; addStart: number; length: number }
  | { kind: "undo" }
  | { kind: "redo" }
  /** A whole new tree (replaceAll): one undo step. */
  | { kind: "setRoot"; root: PieceNode };

/** The document state a snapshot holds: the tree and the undo/redo stacks (sharing nodes). */
export interface SessionState {
  root: PieceNode;
  undo: PieceNode[];
  redo: PieceNode[];
}

/** What a committed session holds: a snapshot, the edits after it, and its slot. */
export interface CommittedSession {
  slot: RootSlot;
  snapshot: SessionState;
  ops: SessionOp[];
}

/** Write a snapshot instead of a delta once this many edits... */
const SNAPSHOT_AFTER_OPS = 50_000;
/** ...or this many bytes of deltas accumulated since the last snapshot. */
const SNAPSHOT_AFTER_BYTES = 32 * 1024 * 1024;
/** A snapshot starts a new, compacted meta file once the current one is this large. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/** The meta file of a generation: `meta`, then `meta.1`, `meta.2`, ... after compactions. */
export function metaFileName(generation: number): string {
  return generation === 0 ? SESSION_FILES.meta : `${SESSION_FILES.meta}.${generation}`;
}

const OP_CODES = { insert: 1, delete: 2, replace: 3, undo: 4, redo: 5, setRoot: 6 } as const;

/** Error for a store that failed to sync: it refuses further commits (never retry an fsync). */
export class SessionFailedError extends Error {
  readonly code = "ESESSIONFAILED";
}

export const SESSION_FILES = { add: "add.buf", meta: "meta", root: "root" } as const;

/**
 * Identity of the original: dev, ino, size, mtime, and a checksum of 16 samples of 256 bytes
 * spread over the file (catches a rewrite that kept size and mtime).
 */
export function identityOf(original: MappedFile): OriginalIdentity {
  return identityFrom(original.identity, (start, end) => original.read(start, end));
}

/** The same identity from a file's stat fields and a way to read its bytes. */
export function identityFrom(
  stat: { dev: bigint; ino: bigint; size: number; mtimeNs: bigint },
  read: (start: number, end: number) => Buffer,
): OriginalIdentity {
  const { dev, ino, size, mtimeNs } = stat;
  const samples: Buffer[] = [];
  const sampleBytes = 256;
  for (let i = 0; i < 16 && size > 0; i++) {
    const at = Math.floor(((size - Math.min(size, sampleBytes)) * i) / 15);
    samples.push(read(at, Math.min(size, at + sampleBytes)));
  }
  return { dev, ino, size, mtimeNs, sample: checksum(Buffer.concat(samples)) };
}

// ----- encoding state and edits ---------------------------------------------------------------

function encodeSnapshot(state: SessionState): Buffer {
  const writer = new ByteWriter();
  const ids = new Map<PieceNode, number>();
  const nodes: PieceNode[] = [];
  // Post-order: children get ids before their parents, shared nodes are written once.
  const visit = (node: PieceNode): number => {
    const known = ids.get(node);
    if (known !== undefined) return known;
    if ("children" in node) for (const child of node.children) visit(child);
    ids.set(node, nodes.length);
    nodes.push(node);
    return nodes.length - 1;
  };
  const rootId = visit(state.root);
  const undoIds = state.undo.map(visit);
  const redoIds = state.redo.map(visit);
  writer.u32(nodes.length);
  for (const node of nodes) {
    if (!(node instanceof Leaf)) {
      writer.u8(1);
      writer.u32(node.children.length);
      for (const child of node.children) writer.u32(ids.get(child)!);
    } else {
      const pieces = piecesOfLeaf(node);
      writer.u8(0);
      writer.u32(pieces.length / 3);
      for (let i = 0; i < pieces.length; i += 3) {
        writer.u8(pieces[i]!);
        writer.f64(pieces[i + 1]!);
        writer.f64(pieces[i + 2]!);
      }
    }
  }
  writer.u32(rootId);
  writer.u32(undoIds.length);
  for (const id of undoIds) writer.u32(id);
  writer.u32(redoIds.length);
  for (const id of redoIds) writer.u32(id);
  return writer.finish();
}

/** Limits a decoded tree must respect: pieces inside the buffers as committed. */
interface BufferBounds {
  originalSize: number;
  addLength: number;
}

function decodeSnapshot(payload: Buffer, bounds: BufferBounds): SessionState {
  const reader = new ByteReader(payload);
  const nodeCount = reader.u32();
  if (nodeCount > payload.length) throw new CorruptRecordError("node count larger than the record");
  const nodes: PieceNode[] = [];
  for (let id = 0; id < nodeCount; id++) {
    const type = reader.u8();
    const count = reader.u32();
    if (count > payload.length) throw new CorruptRecordError("count larger than the record");
    if (type === 1) {
      const children: PieceNode[] = [];
      for (let i = 0; i < count; i++) {
        const child = reader.u32();
        if (child >= id) throw new CorruptRecordError("child written after its parent");
        children.push(nodes[child]!);
      }
      const branch = branchFromChildren(children);
      if (!branch) throw new CorruptRecordError("branch children of different heights");
      nodes.push(branch);
    } else if (type === 0) {
      const pieces: number[] = [];
      for (let i = 0; i < count; i++) {
        const buffer = reader.u8();
        const start = reader.count();
        const length = reader.count();
        checkPiece(buffer, start, length, bounds);
        pieces.push(buffer, start, length);
      }
      nodes.push(leafFromPieces(pieces));
    } else {
      throw new CorruptRecordError(`unknown node type ${type}`);
    }
  }
  const node = (id: number) => {
    if (id >= nodes.length) throw new CorruptRecordError(`node ${id} of ${nodes.length}`);
    return nodes[id]!;
  };
  const root = node(reader.u32());
  const undo = Array.from({ length: checkedCount(reader.u32(), nodes.length) }, () => node(reader.u32()));
  const redo = Array.from({ length: checkedCount(reader.u32(), nodes.length) }, () => node(reader.u32()));
  return { root, undo, redo };
}

function checkedCount(count: number, limit: number): number {
  if (count > limit) throw new CorruptRecordError(`count ${count} above ${limit}`);
  return count;
}

function checkPiece(buffer: number, start: number, length: number, bounds: BufferBounds): void {
  if (buffer !== ORIGINAL && buffer !== ADDED) throw new CorruptRecordError(`unknown buffer ${buffer}`);
  const limit = buffer === ORIGINAL ? bounds.originalSize : bounds.addLength;
  if (length <= 0 || start + length > limit) {
    throw new CorruptRecordError(`piece ${start}+${length} outside a buffer of ${limit} bytes`);
  }
}

function encodeOps(ops: SessionOp[]): Buffer {
  const writer = new ByteWriter();
  writer.u32(ops.length);
  for (const op of ops) {
    writer.u8(OP_CODES[op.kind]);
    switch (op.kind) {
      case "insert":
        writer.f64(op.offset);
        writer.f64(op.addStart);
        writer.f64(op.length);
        writer.u8(op.newGroup ? 1 : 0);
        break;
      case "delete":
        writer.f64(op.start);
        writer.f64(op.end);
        writer.u8(op.newGroup ? 1 : 0);
        break;
      case "replace":
        writer.f64(op.start);
        writer.f64(op.end);
        writer.f64(op.addStart);
        writer.f64(op.length);
        break;
      case "setRoot": {
        // The new tree as a flat piece list: it is rebuilt with the bulk builder.
        const pieces: number[] = [];
        collectPieces(op.root, pieces);
        writer.u32(pieces.length / 3);
        for (let i = 0; i < pieces.length; i += 3) {
          writer.u8(pieces[i]!);
          writer.f64(pieces[i + 1]!);
          writer.f64(pieces[i + 2]!);
        }
        break;
      }
      default:
        break;
    }
  }
  return writer.finish();
}

function collectPieces(root: PieceNode, out: number[]): void {
  forEachPiece(root, 0, root.length, (buffer, start, end) => {
    out.push(buffer, start, end - start);
    return true;
  });
}

/** A decoded setRoot op carries its pieces; the document rebuilds the tree from them. */
export interface SetRootPieces {
  kind: "setRootPieces";
  pieces: number[];
}
export type DecodedOp = Exclude<SessionOp, { kind: "setRoot" }> | SetRootPieces;

function decodeOps(payload: Buffer, bounds: BufferBounds): DecodedOp[] {
  const reader = new ByteReader(payload);
  const count = checkedCount(reader.u32(), payload.length);
  const ops: DecodedOp[] = [];
  for (let i = 0; i < count; i++) {
    const code = reader.u8();
    if (code === OP_CODES.insert) {
      const op = {
        kind: "insert" as const,
        offset: reader.count(),
        addStart: reader.count(),
        length: reader.count(),
      };
      checkPiece(ADDED, op.addStart, op.length, bounds);
      ops.push({ ...op, newGroup: reader.u8() === 1 });
    } else if (code === OP_CODES.delete) {
      ops.push({ kind: "delete", start: reader.count(), end: reader.count(), newGroup: reader.u8() === 1 });
    } else if (code === OP_CODES.replace) {
      const op = {
        kind: "replace" as const,
        start: reader.count(),
        end: reader.count(),
        addStart: reader.count(),
        length: reader.count(),
      };
      if (op.length > 0) checkPiece(ADDED, op.addStart, op.length, bounds);
      ops.push(op);
    } else if (code === OP_CODES.undo) {
      ops.push({ kind: "undo" });
    } else if (code === OP_CODES.redo) {
      ops.push({ kind: "redo" });
    } else if (code === OP_CODES.setRoot) {
      const pieceCount = checkedCount(reader.u32(), payload.length);
      const pieces: number[] = [];
      for (let p = 0; p < pieceCount; p++) {
        const buffer = reader.u8();
        const start = reader.count();
        const length = reader.count();
        checkPiece(buffer, start, length, bounds);
        pieces.push(buffer, start, length);
      }
      ops.push({ kind: "setRootPieces", pieces });
    } else {
      throw new CorruptRecordError(`unknown edit code ${code}`);
    }
  }
  return ops;
}

// ----- reading a session ----------------------------------------------------------------------

/** What recovery found in a session folder. */
export interface RecoveryResult {
  /** The newest committed session that verifies and matches the original, or null. */
  committed: (Omit<CommittedSession, "ops"> & { ops: DecodedOp[] }) | null;
  /** The newest slot that verifies but was made over a different original (the file changed). */
  staleSlot: RootSlot | null;
  /**
   * With `staleSlot`: whether any slot that verifies holds edits (edits > 0). When none does, the
   * session is the old file's bytes and nothing of the user's.
   */
  staleEdits?: boolean;
  /** Set when the session was made over the file when it was this long, and it has grown since. */
  grownFrom?: number;
  /**
   * Set when the newest slot over this file (same device and inode) announced an in-place save
   * that did not reach its new epoch: open() redoes the copy from the temp file. `committed` is
   * then that slot's version over the old content, or null if it did not verify.
   */
  copyFrom?: CopyAnnouncement;
}

function readFileFully(io: DurableFiles, path: string): Buffer | null {
  if (!existsSync(path)) return null;
  const handle = io.openReadOnly(path);
  try {
    return io.read(handle, io.size(handle), 0);
  } finally {
    io.close(handle);
  }
}

/**
 * Reads a session folder and rebuilds its newest committed version: the slot with the highest
 * txn whose slot, record chain and add buffer verify and whose original identity matches. Never
 * writes. Anything that does not verify is skipped, so garbage yields an empty result.
 */
export function readCommitted(
  folder: string,
  identity: OriginalIdentity,
  io: DurableFiles = systemFiles,
  readOriginal?: (start: number, end: number) => Buffer,
): RecoveryResult {
  const rootBytes = readFileFully(io, join(folder, SESSION_FILES.root));
  if (!rootBytes) return { committed: null, staleSlot: null };
  const slots = [0, 1]
    .map((index) => decodeSlot(rootBytes.subarray(index * SLOT_BLOCK_BYTES, (index + 1) * SLOT_BLOCK_BYTES)))
    .filter((slot): slot is RootSlot => slot !== null)
    .sort((a, b) => b.txn - a.txn);
  if (slots.length === 0) return { committed: null, staleSlot: null };
  const matching = slots.filter((slot) => sameIdentity(slot.identity, identity));
  // An in-place save announced over this very file (same device and inode): whatever the copy
  // left in the file — old bytes, new ones, a mix — is finished from the temp file on open.
  // Only the newest slot over this inode counts: once the save's epoch is committed, an older
  // announcement is history (and must never copy over what another program wrote since).
  const newestOverInode = slots.find(
    (slot) => slot.identity.dev === identity.dev && slot.identity.ino === identity.ino,
  );
  const copying = newestOverInode?.copyFrom ? newestOverInode : null;
  if (copying) {
    const meta = readFileFully(io, join(folder, metaFileName(copying.metaGeneration)));
    const addPath = join(folder, SESSION_FILES.add);
    const addSize = existsSync(addPath) ? sizeOf(io, addPath) : 0;
    const committed = readChain(meta, copying, addSize, copying.identity.size);
    return { committed, staleSlot: null, copyFrom: copying.copyFrom! };
  }
  // A slot that announced an append save over a shorter version of this very file (same device
  // and inode, its sampled bytes unchanged): the save was cut short; open() finishes it.
  const grown = readOriginal
    ? slots.filter(
        (slot) =>
          !matching.includes(slot) &&
          slot.appendFrom === slot.identity.size &&
          grewFrom(slot.identity, identity, readOriginal),
      )
    : [];
  if (matching.length === 0 && grown.length === 0) {
    return { committed: null, staleSlot: slots[0]!, staleEdits: slots.some((slot) => slot.edits > 0) };
  }
  const metaFiles = new Map<number, Buffer | null>();
  const addPath = join(folder, SESSION_FILES.add);
  const addSize = existsSync(addPath) ? sizeOf(io, addPath) : 0;
  for (const slot of [...matching, ...grown]) {
    if (!metaFiles.has(slot.metaGeneration)) {
      metaFiles.set(slot.metaGeneration, readFileFully(io, join(folder, metaFileName(slot.metaGeneration))));
    }
    const committed = readChain(metaFiles.get(slot.metaGeneration)!, slot, addSize, slot.identity.size);
    if (committed) {
      return matching.includes(slot)
        ? { committed, staleSlot: null }
        : { committed, staleSlot: null, grownFrom: slot.identity.size };
    }
  }
  return matching.length === 0
    ? { committed: null, staleSlot: slots[0]!, staleEdits: slots.some((slot) => slot.edits > 0) }
    : { committed: null, staleSlot: null };
}

/** Whether `now` is `then` with bytes appended: same file, longer, the same sampled bytes. */
function grewFrom(
  then: OriginalIdentity,
  now: OriginalIdentity,
  read: (start: number, end: number) => Buffer,
): boolean {
  if (then.dev !== now.dev || then.ino !== now.ino || now.size <= then.size) return false;
  return identityFrom({ ...then }, (start, end) => read(start, end)).sample === then.sample;
}

function sizeOf(io: DurableFiles, path: string): number {
  const handle = io.openReadOnly(path);
  try {
    return io.size(handle);
  } finally {
    io.close(handle);
  }
}

/** The snapshot and deltas ending at the slot's record, or null if any part fails to verify. */
function readChain(
  meta: Buffer | null,
  slot: RootSlot,
  addSize: number,
  originalSize: number,
): RecoveryResult["committed"] {
  if (!meta || slot.addLength > addSize) return null;
  const recordEnd = slot.recordOffset + slot.recordLength;
  if (recordEnd > meta.length) return null;
  const last = meta.subarray(slot.recordOffset, recordEnd);
  if (!verifyRecord(last) || checksum(last) !== slot.recordChecksum) return null;
  const lastHeader = decodeRecordHeader(last)!;
  // A slot may name an older record (announceAppend re-commits the same version), never a newer.
  if (lastHeader.txn > slot.txn || lastHeader.baseOffset > slot.recordOffset) return null;
  const bounds = { originalSize, addLength: slot.addLength };
  try {
    let position = lastHeader.baseOffset;
    let snapshot: SessionState | null = null;
    const ops: DecodedOp[] = [];
    while (position < recordEnd) {
      const header: RecordHeader | null = decodeRecordHeader(
        meta.subarray(position, position + RECORD_HEADER_BYTES),
      );
      if (!header) return null;
      const end = position + RECORD_HEADER_BYTES + header.payloadLength;
      if (end > recordEnd) return null;
      const record = meta.subarray(position, end);
      if (!verifyRecord(record)) return null;
      const payload = record.subarray(RECORD_HEADER_BYTES);
      if (snapshot === null) {
        if (header.kind !== "snapshot") return null;
        snapshot = decodeSnapshot(payload, bounds);
      } else {
        if (header.kind !== "delta") return null;
        ops.push(...decodeOps(payload, bounds));
      }
      position = end;
    }
    if (!snapshot || position !== recordEnd) return null;
    return { slot, snapshot, ops };
  } catch (error) {
    if (error instanceof CorruptRecordError) return null;
    throw error;
  }
}

/**
 * Whether a commit ever began in the folder: a commit appends a record to meta and then writes a
 * slot to root, so empty meta files and a root that is missing, empty or all zeros mean none did
 * — the process died before its first commit. Such a session promised nothing: it is no session.
 * (Anything more — a record, a slot's bytes — is kept and reported, even if it does not verify.)
 */
export function everCommitted(folder: string): boolean {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return false;
  }
  for (const name of names) {
    if (/^meta(\.\d+)?$/.test(name) && statSync(join(folder, name)).size > 0) return true;
  }
  const rootPath = join(folder, SESSION_FILES.root);
  if (!existsSync(rootPath)) return false;
  const handle = systemFiles.openReadOnly(rootPath);
  try {
    return systemFiles.read(handle, systemFiles.size(handle), 0).some((byte) => byte !== 0);
  } finally {
    systemFiles.close(handle);
  }
}

/** Removes the data files of a session that never committed (the folder and its lock stay). */
export function clearUncommitted(folder: string, io: DurableFiles): void {
  for (const name of readdirSync(folder)) {
    if (name === SESSION_FILES.add || name === SESSION_FILES.root || /^meta(\.\d+)?$/.test(name)) {
      io.remove(join(folder, name));
    }
  }
}

// ----- writing a session ----------------------------------------------------------------------

export interface StoreOptions {
  io?: DurableFiles;
  /** The original's identity, when the caller already computed it. */
  identity?: OriginalIdentity;
  /** Tuning (tests make these small to exercise snapshots and compaction). */
  snapshotAfterOps?: number;
  compactAfterBytes?: number;
}

/** The writable side of a session: owns add.buf, meta and root while the document is open. */
export class SessionStore {
  private failure: Error | null = null;
  private opsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private snapshotDue: boolean;

  private readonly snapshotAfterOps: number;
  private readonly compactAfterBytes: number;

  private constructor(
    private folderPath: string,
    readonly add: AppendFile,
    private meta: FileHandle,
    private metaGeneration: number,
    private readonly root: FileHandle,
    private readonly io: DurableFiles,
    private identity: OriginalIdentity,
    /** The last committed slot, or null before the first commit. */
    private lastSlot: RootSlot | null,
    /** Where the next record goes: right after the last committed one. */
    private metaEnd: number,
    /** Which slot (0 or 1) holds lastSlot. */
    private activeSlot: number,
    private baseOffset: number,
    options: StoreOptions,
  ) {
    this.snapshotDue = lastSlot === null;
    this.snapshotAfterOps = options.snapshotAfterOps ?? SNAPSHOT_AFTER_OPS;
    this.compactAfterBytes = options.compactAfterBytes ?? COMPACT_AFTER_BYTES;
  }

  /**
   * Opens the store of a locked session folder. With a committed session, its files are reused
   * and new records go after the committed ones; otherwise the folder starts over (anything in
   * it did not verify, so it is not live data).
   */
  static open(
    folder: string,
    original: MappedFile,
    recovered: RecoveryResult["committed"],
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
    const meta = io.open(metaPath, true);
    const root = io.open(rootPath, true);
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
    let activeSlot = 1;
    if (slot) {
      const rootBytes = io.read(root, 2 * SLOT_BLOCK_BYTES, 0);
      const first = decodeSlot(rootBytes.subarray(0, SLOT_BLOCK_BYTES));
      activeSlot = first && first.txn === slot.txn ? 0 : 1;
    }
    const metaEnd = slot ? slot.recordOffset + slot.recordLength : 0;
    const base = slot
      ? decodeRecordHeader(io.read(meta, RECORD_HEADER_BYTES, slot.recordOffset))!.baseOffset
      : 0;
    // Meta files of other generations are dead: the chosen slot is durable and newer.
    for (const name of readdirSync(folder)) {
      if (/^meta(\.\d+)?$/.test(name) && name !== metaFileName(generation)) io.remove(join(folder, name));
    }
    return new SessionStore(
      folder,
      add,
      meta,
      generation,
      root,
      io,
      identity,
      slot,
      metaEnd,
      activeSlot,
      base,
      options,
    );
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
    return this.lastSlot;
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
  commit(
    ops: SessionOp[],
    state: () => SessionState,
    edits: number,
    documentLength: number,
    forceSnapshot = false,
  ): RootSlot {
    return this.write(ops, state, edits, documentLength, forceSnapshot, this.identity);
  }

  /**
   * Starts a new epoch after a save: a snapshot of the saved state, over the new file's identity
   * (the temp file's, before it is renamed over the target). A crash before the rename leaves this
   * slot naming a file that is not there, so recovery takes the previous one: the old session
   * over the old file. After the rename it names the file: a clean session over the new file.
   */
  /**
   * The original grew by an append another program made (a followed log) before anything was
   * committed: later commits are made against the longer file. Nothing is written — a session
   * that promises nothing stays empty (and the next open removes it).
   */
  adoptIdentity(identity: OriginalIdentity): void {
    if (this.lastSlot)
      throw new Error("the session has commits: a new original begins an epoch (beginEpoch)");
    this.identity = identity;
  }

  beginEpoch(identity: OriginalIdentity, state: SessionState, documentLength: number): RootSlot {
    const slot = this.write([], () => state, 0, documentLength, true, identity);
    this.identity = identity;
    return slot;
  }

  private write(
    ops: SessionOp[],
    state: () => SessionState,
    edits: number,
    documentLength: number,
    forceSnapshot: boolean,
    identity: OriginalIdentity,
  ): RootSlot {
    if (this.failure) throw this.failure;
    try {
      const txn = (this.lastSlot?.txn ?? 0) + 1;
      const snapshot =
        forceSnapshot ||
        this.snapshotDue ||
        this.opsSinceSnapshot >= this.snapshotAfterOps ||
        this.bytesSinceSnapshot >= SNAPSHOT_AFTER_BYTES;
      // Compaction: a snapshot in a large log goes to a new meta file instead; once the slot
      // naming it is durable, the old file is dead and removed.
      const compact = snapshot && this.metaEnd >= this.compactAfterBytes;
      const generation = compact ? this.metaGeneration + 1 : this.metaGeneration;
      const meta = compact ? this.io.open(join(this.folder, metaFileName(generation)), true) : this.meta;
      if (compact) {
        // Its directory entry must be durable before a slot names it.
        this.io.syncDirectory(this.folder);
      }
      const recordOffset = compact ? 0 : this.metaEnd;
      const base = snapshot ? recordOffset : this.baseOffset;
      const record = encodeRecord(
        { kind: snapshot ? "snapshot" : "delta", txn, baseOffset: base, edits },
        snapshot ? encodeSnapshot(state()) : encodeOps(ops),
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
      };
      const target = 1 - this.activeSlot;

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
        this.io.close(this.meta);
        this.io.remove(join(this.folder, metaFileName(this.metaGeneration)));
        this.meta = meta;
        this.metaGeneration = generation;
      }
      this.activeSlot = target;
      this.lastSlot = slot;
      this.metaEnd = recordOffset + record.length;
      this.baseOffset = base;
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
    const last = this.lastSlot;
    if (!last) throw new Error("announceAppend needs a committed session");
    try {
      const slot: RootSlot = {
        ...last,
        txn: last.txn + 1,
        appendFrom: fileLength,
        copyFrom: null,
        committedAt: Date.now(),
      };
      const target = 1 - this.activeSlot;
      this.writeSlot(slot, target);
      this.activeSlot = target;
      this.lastSlot = slot;
    } catch (error) {
      throw this.fail(error);
    }
  }

  /**
   * Announces an in-place save: the last commit (or, with none yet, the file as it is), in a new
   * slot that also names the synced temp file about to be copied into the file's own inode. Until
   * the save's epoch is committed, recovery that finds this slot redoes the copy from the temp file
   * (idempotent), so the file is the old or the new version once reopened, never a mix.
   */
  announceCopy(copyFrom: CopyAnnouncement, fileAsIs: () => SessionState, fileLength: number): void {
    if (this.failure) throw this.failure;
    if (!this.lastSlot) this.write([], fileAsIs, 0, fileLength, true, this.identity);
    const last = this.lastSlot!;
    try {
      const slot: RootSlot = {
        ...last,
        txn: last.txn + 1,
        appendFrom: -1,
        copyFrom,
        committedAt: Date.now(),
      };
      const target = 1 - this.activeSlot;
      this.writeSlot(slot, target);
      this.activeSlot = target;
      this.lastSlot = slot;
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Writes a slot into its 4 KiB block and syncs it: the commit point. */
  private writeSlot(slot: RootSlot, index: number): void {
    this.io.write(this.root, encodeSlot(slot), index * SLOT_BLOCK_BYTES);
    crashPoint("commit:after-slot-write");
    this.io.sync(this.root);
    crashPoint("commit:after-slot-sync");
  }

  /** Closes the files (the folder and its committed state stay). */
  close(): void {
    this.add.close();
    this.io.close(this.meta);
    this.io.close(this.root);
  }
}
