/**
 * The on-disk format of a session (see CRASH-SAFETY.md): records of the meta log and the two
 * root slots. Every value read back is bounds-checked; anything that does not verify decodes to
 * null, never to a crash or a partial result.
 */
import { crc32 } from "node:zlib";

/** "GPMR": a meta log record. */
const RECORD_MAGIC = 0x47504d52;
/** "GPRS": a root slot. */
const SLOT_MAGIC = 0x47505253;
/** "GPIP": a slot's in-place copy announcement (in the slot's first sector, after the slot). */
const COPY_MAGIC = 0x47504950;
const COPY_OFFSET = 160;
const COPY_BYTES = 84;
/**
 * "GPEN": the encoding a session's document is read in (its line-feed rule follows from it), in
 * the slot's first sector after the copy announcement. Older slots have none: bytes.
 */
const ENCODING_MAGIC = 0x4750454e;
const ENCODING_OFFSET = 256;
const ENCODING_LABEL_MAX = 64;
const ENCODING_BYTES = 21 + ENCODING_LABEL_MAX;
export const FORMAT_VERSION = 1;

/** Checksums start from this seed, so a block of zeros never verifies. */
const CHECKSUM_SEED = 0x9e3779b9;

export const RECORD_HEADER_BYTES = 40;
/** Each slot lives in its own 4 KiB block of the root file. */
export const SLOT_BLOCK_BYTES = 4096;
const SLOT_BYTES = 144;
/** A record larger than this is garbage, whatever its header says. */
export const MAX_RECORD_PAYLOAD = 1 << 30;

export type RecordKind = "snapshot" | "delta";
const KIND_CODES: Record<RecordKind, number> = { snapshot: 1, delta: 2 };

export function checksum(bytes: Uint8Array): number {
  return crc32(bytes, CHECKSUM_SEED) >>> 0;
}

// ----- records --------------------------------------------------------------------------------

export interface RecordHeader {
  kind: RecordKind;
  payloadLength: number;
  /** The commit (transaction) number this record belongs to. */
  txn: number;
  /** Offset in the meta log of the snapshot this record's chain starts from. */
  baseOffset: number;
  /** Edits since the session started, after this record. */
  edits: number;
}

/** Header + payload, with a checksum over both. */
export function encodeRecord(header: Omit<RecordHeader, "payloadLength">, payload: Uint8Array): Buffer {
  const record = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(RECORD_MAGIC, 0);
  record.writeUInt16LE(FORMAT_VERSION, 4);
  record.writeUInt16LE(KIND_CODES[header.kind], 6);
  record.writeUInt32LE(payload.length, 8);
  // 12..16: checksum, filled below
  record.writeDoubleLE(header.txn, 16);
  record.writeDoubleLE(header.baseOffset, 24);
  record.writeDoubleLE(header.edits, 32);
  record.set(payload, RECORD_HEADER_BYTES);
  record.writeUInt32LE(checksum(record), 12);
  return record;
}

/** The header at the start of bytes, if its magic, version and sizes are sane (payload unchecked). */
export function decodeRecordHeader(bytes: Buffer): RecordHeader | null {
  if (bytes.length < RECORD_HEADER_BYTES) return null;
  if (bytes.readUInt32LE(0) !== RECORD_MAGIC || bytes.readUInt16LE(4) !== FORMAT_VERSION) return null;
  const code = bytes.readUInt16LE(6);
  const kind = code === 1 ? "snapshot" : code === 2 ? "delta" : null;
  const payloadLength = bytes.readUInt32LE(8);
  const txn = bytes.readDoubleLE(16);
  const baseOffset = bytes.readDoubleLE(24);
  const edits = bytes.readDoubleLE(32);
  if (!kind || payloadLength > MAX_RECORD_PAYLOAD) return null;
  if (![txn, baseOffset, edits].every((value) => Number.isSafeInteger(value) && value >= 0)) return null;
  return { kind, payloadLength, txn, baseOffset, edits };
}

/** Whether a whole record (header + payload) verifies against its checksum. */
export function verifyRecord(record: Buffer): boolean {
  const header = decodeRecordHeader(record);
  if (!header || record.length !== RECORD_HEADER_BYTES + header.payloadLength) return false;
  const stored = record.readUInt32LE(12);
  const copy = Buffer.from(record);
  copy.writeUInt32LE(0, 12);
  return checksum(copy) === stored;
}

// ----- root slots -----------------------------------------------------------------------------

/** Identity of the original file a session was made over. */
export interface OriginalIdentity {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  /** Checksum of bytes sampled across the file. */
  sample: number;
}

export interface RootSlot {
  txn: number;
  /** The record this commit ends with: where it is in the meta log, and its checksum. */
  recordOffset: number;
  recordLength: number;
  recordChecksum: number;
  /** Bytes of add.buf that are committed (synced before this slot was written). */
  addLength: number;
  identity: OriginalIdentity;
  /** When the commit happened (ms since the epoch), edits since the session started, document bytes. */
  committedAt: number;
  edits: number;
  documentLength: number;
  /** Which meta file holds the record: 0 is `meta`, n is `meta.<n>` (a compacted log). */
  metaGeneration: number;
  /**
   * An append save in progress: the file is being extended in place from this offset (its length
   * when the session was made), or -1. Recovery may then find the file longer, and finishes it.
   */
  appendFrom: number;
  /**
   * An in-place save in progress: the complete new content is in a synced temp file beside the
   * file (named from the saving process's pid and the save's start time), about to be copied
   * into the file's own inode; or null. Recovery that finds it redoes the copy.
   */
  copyFrom: CopyAnnouncement | null;
  /**
   * The encoding the document was read in when committed (a WHATWG label, see
   * line-feed-rule.ts), or null/absent: bytes (what every slot written before it meant).
   * Recovery reopens with it so the edits replay under the same line-feed rule.
   */
  encoding?: string | null;
}

/** The temp file an in-place save copies over the file: how to name it, and what it holds. */
export interface CopyAnnouncement {
  pid: number;
  time: number;
  /** The temp file's identity (its size and sampled bytes say it is whole). */
  temp: OriginalIdentity;
}

export function encodeSlot(slot: RootSlot): Buffer {
  const bytes = Buffer.alloc(SLOT_BLOCK_BYTES);
  bytes.writeUInt32LE(SLOT_MAGIC, 0);
  bytes.writeUInt16LE(FORMAT_VERSION, 4);
  // 8..12: checksum over [0, SLOT_BYTES) with this field zero
  bytes.writeDoubleLE(slot.txn, 16);
  bytes.writeDoubleLE(slot.recordOffset, 24);
  bytes.writeDoubleLE(slot.recordLength, 32);
  bytes.writeUInt32LE(slot.recordChecksum >>> 0, 40);
  bytes.writeDoubleLE(slot.addLength, 48);
  bytes.writeBigUInt64LE(slot.identity.dev, 56);
  bytes.writeBigUInt64LE(slot.identity.ino, 64);
  bytes.writeDoubleLE(slot.identity.size, 72);
  bytes.writeBigInt64LE(slot.identity.mtimeNs, 80);
  bytes.writeUInt32LE(slot.identity.sample >>> 0, 88);
  bytes.writeDoubleLE(slot.committedAt, 96);
  bytes.writeDoubleLE(slot.edits, 104);
  bytes.writeDoubleLE(slot.documentLength, 112);
  bytes.writeUInt32LE(slot.metaGeneration >>> 0, 120);
  bytes.writeDoubleLE(slot.appendFrom, 128);
  bytes.writeUInt32LE(checksum(bytes.subarray(0, SLOT_BYTES)), 8);
  if (slot.copyFrom) {
    // Its own checksum, over its fields and the slot's txn and checksum: it belongs to this slot.
    const copy = bytes.subarray(COPY_OFFSET, COPY_OFFSET + COPY_BYTES);
    copy.writeUInt32LE(COPY_MAGIC, 0);
    copy.writeDoubleLE(slot.txn, 8);
    copy.writeUInt32LE(bytes.readUInt32LE(8), 16);
    copy.writeDoubleLE(slot.copyFrom.pid, 20);
    copy.writeDoubleLE(slot.copyFrom.time, 28);
    copy.writeBigUInt64LE(slot.copyFrom.temp.dev, 36);
    copy.writeBigUInt64LE(slot.copyFrom.temp.ino, 44);
    copy.writeDoubleLE(slot.copyFrom.temp.size, 52);
    copy.writeBigInt64LE(slot.copyFrom.temp.mtimeNs, 60);
    copy.writeUInt32LE(slot.copyFrom.temp.sample >>> 0, 68);
    copy.writeUInt32LE(checksum(copy), 4);
  }
  if (slot.encoding) {
    // Like the copy announcement: its own checksum, bound to this slot's txn and checksum.
    const label = Buffer.from(slot.encoding, "latin1");
    if (label.length > ENCODING_LABEL_MAX || label.toString("latin1") !== slot.encoding) {
      throw new RangeError(`encoding label "${slot.encoding}" cannot be kept in a session`);
    }
    const block = bytes.subarray(ENCODING_OFFSET, ENCODING_OFFSET + ENCODING_BYTES);
    block.writeUInt32LE(ENCODING_MAGIC, 0);
    block.writeDoubleLE(slot.txn, 8);
    block.writeUInt32LE(bytes.readUInt32LE(8), 16);
    block.writeUInt8(label.length, 20);
    label.copy(block, 21);
    block.writeUInt32LE(checksum(block), 4);
  }
  return bytes;
}

/** The encoding stored with a slot: absent (null), or it must verify (else undefined). */
function decodeEncoding(block: Buffer, txn: number): string | null | undefined {
  if (block.length < ENCODING_OFFSET + ENCODING_BYTES) return null;
  const stored = Buffer.from(block.subarray(ENCODING_OFFSET, ENCODING_OFFSET + ENCODING_BYTES));
  if (stored.readUInt32LE(0) !== ENCODING_MAGIC) return null;
  const sum = stored.readUInt32LE(4);
  stored.writeUInt32LE(0, 4);
  if (checksum(stored) !== sum) return undefined;
  if (stored.readDoubleLE(8) !== txn || stored.readUInt32LE(16) !== block.readUInt32LE(8)) return undefined;
  const length = stored.readUInt8(20);
  if (length === 0 || length > ENCODING_LABEL_MAX) return undefined;
  return stored.toString("latin1", 21, 21 + length);
}

/** The copy announcement stored with a slot: absent (null), or it must verify (else undefined). */
function decodeCopy(block: Buffer, txn: number): CopyAnnouncement | null | undefined {
  if (block.length < COPY_OFFSET + COPY_BYTES) return null;
  const copy = Buffer.from(block.subarray(COPY_OFFSET, COPY_OFFSET + COPY_BYTES));
  if (copy.readUInt32LE(0) !== COPY_MAGIC) return null;
  const stored = copy.readUInt32LE(4);
  copy.writeUInt32LE(0, 4);
  if (checksum(copy) !== stored) return undefined;
  if (copy.readDoubleLE(8) !== txn || copy.readUInt32LE(16) !== block.readUInt32LE(8)) return undefined;
  const announcement: CopyAnnouncement = {
    pid: copy.readDoubleLE(20),
    time: copy.readDoubleLE(28),
    temp: {
      dev: copy.readBigUInt64LE(36),
      ino: copy.readBigUInt64LE(44),
      size: copy.readDoubleLE(52),
      mtimeNs: copy.readBigInt64LE(60),
      sample: copy.readUInt32LE(68),
    },
  };
  const counts = [announcement.pid, announcement.time, announcement.temp.size];
  if (!counts.every((value) => Number.isSafeInteger(value) && value >= 0)) return undefined;
  return announcement;
}

/** The slot in a 4 KiB block, or null if it does not verify. */
export function decodeSlot(block: Buffer): RootSlot | null {
  if (block.length < SLOT_BYTES) return null;
  if (block.readUInt32LE(0) !== SLOT_MAGIC || block.readUInt16LE(4) !== FORMAT_VERSION) return null;
  const copy = Buffer.from(block.subarray(0, SLOT_BYTES));
  const stored = copy.readUInt32LE(8);
  copy.writeUInt32LE(0, 8);
  if (checksum(copy) !== stored) return null;
  const slot: RootSlot = {
    txn: block.readDoubleLE(16),
    recordOffset: block.readDoubleLE(24),
    recordLength: block.readDoubleLE(32),
    recordChecksum: block.readUInt32LE(40),
    addLength: block.readDoubleLE(48),
    identity: {
      dev: block.readBigUInt64LE(56),
      ino: block.readBigUInt64LE(64),
      size: block.readDoubleLE(72),
      mtimeNs: block.readBigInt64LE(80),
      sample: block.readUInt32LE(88),
    },
    committedAt: block.readDoubleLE(96),
    edits: block.readDoubleLE(104),
    documentLength: block.readDoubleLE(112),
    metaGeneration: block.readUInt32LE(120),
    appendFrom: block.readDoubleLE(128),
    copyFrom: null,
  };
  const copyFrom = decodeCopy(block, slot.txn);
  if (copyFrom === undefined) return null;
  slot.copyFrom = copyFrom;
  const encoding = decodeEncoding(block, slot.txn);
  if (encoding === undefined) return null;
  if (encoding !== null) slot.encoding = encoding;
  if (!Number.isSafeInteger(slot.appendFrom) || slot.appendFrom < -1) return null;
  const counts = [
    slot.txn,
    slot.recordOffset,
    slot.recordLength,
    slot.addLength,
    slot.edits,
    slot.documentLength,
  ];
  if (!counts.every((value) => Number.isSafeInteger(value) && value >= 0)) return null;
  if (
    slot.recordLength < RECORD_HEADER_BYTES ||
    slot.recordLength > RECORD_HEADER_BYTES + MAX_RECORD_PAYLOAD
  ) {
    return null;
  }
  return slot;
}

export function sameIdentity(a: OriginalIdentity, b: OriginalIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.sample === b.sample
  );
}

// ----- payloads -------------------------------------------------------------------------------

/** A growable little-endian byte writer. */
export class ByteWriter {
  private bytes = Buffer.alloc(256);
  length = 0;

  private reserve(count: number): void {
    if (this.length + count <= this.bytes.length) return;
    const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.length + count));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.bytes.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.bytes.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  finish(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

/** Thrown by ByteReader on a read past the end or a value out of range: the record is garbage. */
export class CorruptRecordError extends Error {}

export class ByteReader {
  private position = 0;
  constructor(private readonly bytes: Buffer) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  private need(count: number): void {
    if (this.position + count > this.bytes.length) throw new CorruptRecordError("record ends early");
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.position++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.bytes.readDoubleLE(this.position);
    this.position += 8;
    return value;
  }

  /** A non-negative safe integer stored as a double. */
  count(): number {
    const value = this.f64();
    if (!Number.isSafeInteger(value) || value < 0) throw new CorruptRecordError(`bad count ${value}`);
    return value;
  }
}
