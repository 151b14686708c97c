/**
 * Reading a session folder (recovery): which root slot is picked, and the committed version it
 * names rebuilt from its record chain. Never writes. Anything that does not verify is skipped, so
 * garbage yields an empty result. The one rule for choosing a slot is {@link pickSlot}.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type DurableFiles, systemFiles } from "./durable-files.js";
import { identityFrom } from "./original-identity.js";
import { type DecodedOp, decodeOps, decodeSnapshot, type SessionState } from "./session-codec.js";
import { isMetaFileName, metaFileName, SESSION_FILES } from "./session-folder.js";
import {
  type CopyAnnouncement,
  CorruptRecordError,
  checksum,
  decodeRecordHeader,
  decodeSlot,
  type OriginalIdentity,
  RECORD_HEADER_BYTES,
  type RecordHeader,
  type RootSlot,
  SLOT_BLOCK_BYTES,
  sameIdentity,
  verifyRecord,
} from "./session-format.js";

/** What a committed session holds: a snapshot, the edits after it, and its slot. */
export interface CommittedSession {
  slot: RootSlot;
  snapshot: SessionState;
  ops: DecodedOp[];
}

/** What recovery found in a session folder. */
export interface RecoveryResult {
  /** The newest committed session that verifies and matches the original, or null. */
  committed: CommittedSession | null;
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

/** A root slot that verifies, and which of the root file's two blocks holds it. */
export interface PickedSlot {
  slot: RootSlot;
  block: 0 | 1;
}

/**
 * How a slot is picked, everywhere: of the root file's two slots, those whose checksum verifies
 * (a torn write does not), newest (highest txn) first, the first that `accept`s — or null.
 */
export function pickSlot(
  rootBytes: Buffer,
  accept: (slot: RootSlot) => boolean = () => true,
): PickedSlot | null {
  const verified: PickedSlot[] = [];
  for (const block of [0, 1] as const) {
    const slot = decodeSlot(rootBytes.subarray(block * SLOT_BLOCK_BYTES, (block + 1) * SLOT_BLOCK_BYTES));
    if (slot) verified.push({ slot, block });
  }
  verified.sort((a, b) => b.slot.txn - a.slot.txn);
  return verified.find(({ slot }) => accept(slot)) ?? null;
}

/** The whole of a file, or null if it does not exist. */
export function readFileFully(io: DurableFiles, path: string): Buffer | null {
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
 * txn whose slot, record chain and add buffer verify and whose original identity matches.
 */
export function readCommitted(
  folder: string,
  identity: OriginalIdentity,
  io: DurableFiles = systemFiles,
  readOriginal?: (start: number, end: number) => Buffer,
): RecoveryResult {
  const rootBytes = readFileFully(io, join(folder, SESSION_FILES.root));
  const newest = rootBytes && pickSlot(rootBytes);
  if (!rootBytes || !newest) return { committed: null, staleSlot: null };
  const addPath = join(folder, SESSION_FILES.add);
  const addSize = existsSync(addPath) ? sizeOf(io, addPath) : 0;
  const metaFiles = new Map<number, Buffer | null>();
  const chainOf = (slot: RootSlot): CommittedSession | null => {
    if (!metaFiles.has(slot.metaGeneration)) {
      metaFiles.set(slot.metaGeneration, readFileFully(io, join(folder, metaFileName(slot.metaGeneration))));
    }
    return readChain(metaFiles.get(slot.metaGeneration)!, slot, addSize, slot.identity.size);
  };
  // An in-place save announced over this very file (same device and inode): whatever the copy
  // left in the file — old bytes, new ones, a mix — is finished from the temp file on open.
  // Only the newest slot over this inode counts: once the save's epoch is committed, an older
  // announcement is history (and must never copy over what another program wrote since).
  const overThisInode = pickSlot(
    rootBytes,
    (slot) => slot.identity.dev === identity.dev && slot.identity.ino === identity.ino,
  );
  const copyFrom = overThisInode?.slot.copyFrom;
  if (overThisInode && copyFrom) return { committed: chainOf(overThisInode.slot), staleSlot: null, copyFrom };

  const matches = (slot: RootSlot) => sameIdentity(slot.identity, identity);
  let committed: CommittedSession | null = null;
  const verifies = (slot: RootSlot) => {
    committed = chainOf(slot);
    return committed !== null;
  };
  if (pickSlot(rootBytes, (slot) => matches(slot) && verifies(slot))) return { committed, staleSlot: null };
  // A slot that announced an append save over a shorter version of this very file (same device
  // and inode, its sampled bytes unchanged): the save was cut short; open() finishes it.
  const grown = readOriginal
    ? pickSlot(
        rootBytes,
        (slot) =>
          !matches(slot) &&
          slot.appendFrom === slot.identity.size &&
          grewFrom(slot.identity, identity, readOriginal) &&
          verifies(slot),
      )
    : null;
  if (grown) return { committed, staleSlot: null, grownFrom: grown.slot.identity.size };
  if (pickSlot(rootBytes, matches)) return { committed: null, staleSlot: null };
  return {
    committed: null,
    staleSlot: newest.slot,
    staleEdits: pickSlot(rootBytes, (slot) => slot.edits > 0) !== null,
  };
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
): CommittedSession | null {
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
    if (isMetaFileName(name) && statSync(join(folder, name)).size > 0) return true;
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
    if (name === SESSION_FILES.add || name === SESSION_FILES.root || isMetaFileName(name)) {
      io.remove(join(folder, name));
    }
  }
}
