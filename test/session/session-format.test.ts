/**
 * The on-disk format of a session (piece-table/session-format.ts), tested directly: records and
 * root slots round-trip, their bytes stay what earlier versions wrote (golden encodings), and
 * anything that does not verify — a flipped bit, a short block, a value out of range, a copy
 * announcement belonging to another slot — decodes to null, never to a partial result.
 */
import { describe, expect, it } from "vitest";
import {
  ByteReader,
  ByteWriter,
  CorruptRecordError,
  checksum,
  decodeRecordHeader,
  decodeSlot,
  encodeRecord,
  encodeSlot,
  FORMAT_VERSION,
  MAX_RECORD_PAYLOAD,
  type OriginalIdentity,
  RECORD_HEADER_BYTES,
  type RootSlot,
  SLOT_BLOCK_BYTES,
  sameIdentity,
  verifyRecord,
} from "../../piece-table/session-format.js";

/** The slot's checksummed bytes; its copy announcement sits at [160, 244). */
const SLOT_BYTES = 144;
const COPY_START = 160;
const COPY_END = 244;

const identity: OriginalIdentity = {
  dev: 2049n,
  ino: 777n,
  size: 4096,
  mtimeNs: 1700000000123456789n,
  sample: 0x1234abcd,
};

function slotWith(changes: Partial<RootSlot> = {}): RootSlot {
  return {
    txn: 5,
    recordOffset: 1000,
    recordLength: 80,
    recordChecksum: 0xdeadbeef,
    addLength: 12345,
    identity,
    committedAt: 1700000000000,
    edits: 9,
    documentLength: 4100,
    metaGeneration: 2,
    appendFrom: -1,
    copyFrom: null,
    ...changes,
  };
}

const copyFrom = {
  pid: 4242,
  time: 1700000000500,
  temp: { dev: 2049n, ino: 778n, size: 4100, mtimeNs: 1700000000999n, sample: 0xcafe },
};

function flipped(bytes: Buffer, at: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[at]! ^= 1 << bit;
  return copy;
}

describe("checksum", () => {
  it("is CRC-32 from a seed, so that a block of zeros never verifies as empty", () => {
    expect(checksum(Buffer.alloc(0))).toBe(0x9e3779b9);
    expect(checksum(Buffer.from("gigapad"))).toBe(3784899376);
    expect(checksum(Buffer.alloc(16))).not.toBe(0);
  });
});

describe("meta log records", () => {
  it("keep the byte layout earlier versions wrote (golden encoding)", () => {
    const record = encodeRecord({ kind: "delta", txn: 7, baseOffset: 40, edits: 3 }, Buffer.from("abc"));
    expect(record.toString("hex")).toBe(
      "524d50470100020003000000cb62cda60000000000001c4000000000000044400000000000000840616263",
    );
  });

  it("round-trip: header fields, the payload after the header, and a checksum that verifies", () => {
    for (const kind of ["snapshot", "delta"] as const) {
      for (const payload of [Buffer.alloc(0), Buffer.from("payload bytes"), Buffer.alloc(5000, 7)]) {
        const header = { kind, txn: 123, baseOffset: 4567, edits: 89 };
        const record = encodeRecord(header, payload);
        expect(record.length).toBe(RECORD_HEADER_BYTES + payload.length);
        expect(record.subarray(RECORD_HEADER_BYTES).equals(payload)).toBe(true);
        expect(decodeRecordHeader(record)).toEqual({ ...header, payloadLength: payload.length });
        // The header alone decodes too (the payload is read after it).
        expect(decodeRecordHeader(record.subarray(0, RECORD_HEADER_BYTES))).toEqual({
          ...header,
          payloadLength: payload.length,
        });
        expect(verifyRecord(record)).toBe(true);
      }
    }
    expect(
      decodeRecordHeader(
        encodeRecord({ kind: "snapshot", txn: 0, baseOffset: 0, edits: 0 }, Buffer.alloc(0)),
      ),
    ).toEqual({ kind: "snapshot", txn: 0, baseOffset: 0, edits: 0, payloadLength: 0 });
  });

  it("a header shorter than 40 bytes, or with another magic, version or kind, is null", () => {
    const record = encodeRecord({ kind: "snapshot", txn: 1, baseOffset: 0, edits: 1 }, Buffer.from("x"));
    expect(decodeRecordHeader(record.subarray(0, RECORD_HEADER_BYTES - 1))).toBeNull();
    expect(decodeRecordHeader(flipped(record, 0))).toBeNull();
    expect(decodeRecordHeader(flipped(record, 3, 7))).toBeNull();
    const version = Buffer.from(record);
    version.writeUInt16LE(FORMAT_VERSION + 1, 4);
    expect(decodeRecordHeader(version)).toBeNull();
    for (const code of [0, 3, 0xffff]) {
      const kind = Buffer.from(record);
      kind.writeUInt16LE(code, 6);
      expect(decodeRecordHeader(kind), `kind code ${code}`).toBeNull();
    }
  });

  it("a payload length over the maximum is garbage; the maximum itself is not", () => {
    const header = Buffer.from(
      encodeRecord({ kind: "delta", txn: 1, baseOffset: 0, edits: 1 }, Buffer.alloc(0)),
    );
    header.writeUInt32LE(MAX_RECORD_PAYLOAD, 8);
    expect(decodeRecordHeader(header)?.payloadLength).toBe(MAX_RECORD_PAYLOAD);
    header.writeUInt32LE(MAX_RECORD_PAYLOAD + 1, 8);
    expect(decodeRecordHeader(header)).toBeNull();
  });

  it("txn, base offset and edits must be non-negative safe integers", () => {
    const record = encodeRecord({ kind: "delta", txn: 1, baseOffset: 2, edits: 3 }, Buffer.alloc(0));
    for (const offset of [16, 24, 32]) {
      for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        const copy = Buffer.from(record);
        copy.writeDoubleLE(bad, offset);
        expect(decodeRecordHeader(copy), `${bad} at ${offset}`).toBeNull();
      }
      const largest = Buffer.from(record);
      largest.writeDoubleLE(Number.MAX_SAFE_INTEGER, offset);
      expect(decodeRecordHeader(largest)).not.toBeNull();
    }
  });

  it("verifies only whole, unchanged records: any flipped bit, a missing or an extra byte fails", () => {
    const record = encodeRecord(
      { kind: "snapshot", txn: 9, baseOffset: 0, edits: 4 },
      Buffer.from("some payload"),
    );
    for (let at = 0; at < record.length; at++) {
      expect(verifyRecord(flipped(record, at, at % 8)), `bit flipped at byte ${at}`).toBe(false);
    }
    expect(verifyRecord(record.subarray(0, record.length - 1))).toBe(false);
    expect(verifyRecord(Buffer.concat([record, Buffer.from([0])]))).toBe(false);
    expect(verifyRecord(Buffer.alloc(RECORD_HEADER_BYTES))).toBe(false);
    // A checksum that matches is not enough: the header must decode, and its length be the record's.
    const resealed = (bytes: Buffer) => {
      bytes.writeUInt32LE(0, 12);
      bytes.writeUInt32LE(checksum(bytes), 12);
      return bytes;
    };
    const longer = Buffer.from(record);
    longer.writeUInt32LE(record.length - RECORD_HEADER_BYTES - 1, 8);
    expect(verifyRecord(resealed(longer))).toBe(false);
    const noMagic = Buffer.from(record);
    noMagic.writeUInt32LE(0x12345678, 0);
    expect(verifyRecord(resealed(noMagic))).toBe(false);
    expect(verifyRecord(resealed(Buffer.from(record)))).toBe(true);
    // Verifying does not change the record.
    const before = Buffer.from(record);
    verifyRecord(record);
    expect(record.equals(before)).toBe(true);
  });
});

describe("root slots", () => {
  it("keep the byte layout earlier versions wrote (golden encoding, with a copy announcement)", () => {
    const block = encodeSlot(slotWith({ copyFrom }));
    expect(block.length).toBe(SLOT_BLOCK_BYTES);
    expect(block.subarray(0, COPY_END).toString("hex")).toBe(
      "5352504701000000218c49420000000000000000000014400000000000408f400000000000005440efbeadde" +
        "0000000000000000801cc84001080000000000000903000000000000000000000000b04015cd853dfe9c9717" +
        "cdab34120000000000008056febc78420000000000002240000000000004b040020000000000000000000000" +
        "0000f0bf00000000000000000000000000000000000000000000000050495047fbbc03d00000000000001440" +
        "218c4942000000000092b04000409f56febc784201080000000000000a03000000000000000000000004b040" +
        "e76be5cf8b010000feca0000000000000000000000000000",
    );
    expect(block.subarray(COPY_END).every((byte) => byte === 0)).toBe(true);
  });

  it("round-trip, with and without a copy announcement", () => {
    for (const slot of [
      slotWith(),
      slotWith({ copyFrom }),
      slotWith({ appendFrom: 4096, txn: 0, edits: 0, addLength: 0, recordOffset: 0, documentLength: 0 }),
      slotWith({ recordLength: RECORD_HEADER_BYTES }),
      slotWith({ recordLength: RECORD_HEADER_BYTES + MAX_RECORD_PAYLOAD }),
    ]) {
      expect(decodeSlot(encodeSlot(slot))).toEqual(slot);
    }
  });

  it("stores 32-bit fields unsigned, up to 2^32 - 1", () => {
    const top = 0xffffffff;
    const slot = slotWith({
      recordChecksum: top,
      metaGeneration: top,
      identity: { ...identity, sample: top },
      copyFrom: { ...copyFrom, temp: { ...copyFrom.temp, sample: 0x80000000 } },
    });
    expect(decodeSlot(encodeSlot(slot))).toEqual(slot);
  });

  it("stores 32-bit fields unsigned (a negative checksum from a signed CRC reads back as its unsigned value)", () => {
    const slot = slotWith({
      recordChecksum: -1,
      metaGeneration: 3,
      identity: { ...identity, sample: -2 },
    });
    const decoded = decodeSlot(encodeSlot(slot))!;
    expect(decoded.recordChecksum).toBe(0xffffffff);
    expect(decoded.identity.sample).toBe(0xfffffffe);
  });

  it("any bit flipped in the checksummed bytes makes the slot null; bytes past them do not matter", () => {
    const block = encodeSlot(slotWith());
    for (let at = 0; at < SLOT_BYTES; at++) {
      expect(decodeSlot(flipped(block, at, (at * 3) % 8)), `bit flipped at byte ${at}`).toBeNull();
    }
    for (const at of [SLOT_BYTES, 150, COPY_START - 1, 300, SLOT_BLOCK_BYTES - 1]) {
      expect(decodeSlot(flipped(block, at)), `byte ${at} is padding`).toEqual(slotWith());
    }
  });

  it("a block shorter than the slot is null; one too short for the announcement decodes without it", () => {
    const block = encodeSlot(slotWith({ copyFrom }));
    expect(decodeSlot(block.subarray(0, SLOT_BYTES - 1))).toBeNull();
    expect(decodeSlot(block.subarray(0, SLOT_BYTES))).toEqual(slotWith());
    expect(decodeSlot(block.subarray(0, COPY_END - 1))).toEqual(slotWith());
    expect(decodeSlot(block.subarray(0, COPY_END))).toEqual(slotWith({ copyFrom }));
    expect(decodeSlot(Buffer.alloc(SLOT_BLOCK_BYTES))).toBeNull();
  });

  it("another magic or version is null", () => {
    const block = encodeSlot(slotWith());
    const magic = Buffer.from(block);
    magic.writeUInt32LE(0x47504d52, 0);
    expect(decodeSlot(magic)).toBeNull();
    const version = Buffer.from(block);
    version.writeUInt16LE(FORMAT_VERSION + 1, 4);
    expect(decodeSlot(version)).toBeNull();
    // Even with the checksum made to match again.
    for (const changed of [magic, version]) {
      changed.writeUInt32LE(0, 8);
      changed.writeUInt32LE(checksum(changed.subarray(0, SLOT_BYTES)), 8);
      expect(decodeSlot(changed)).toBeNull();
    }
  });

  it("a copy announcement that does not verify makes the whole slot null", () => {
    const block = encodeSlot(slotWith({ copyFrom }));
    // Its magic gone, there is no announcement (below); any other byte changed fails its checksum.
    for (let at = COPY_START + 4; at < COPY_END; at++) {
      expect(decodeSlot(flipped(block, at, at % 8)), `bit flipped at byte ${at}`).toBeNull();
    }
  });

  it("a copy announcement of another slot (another txn, or the same txn with other fields) is not taken", () => {
    const withCopy = encodeSlot(slotWith({ copyFrom }));
    const announcement = withCopy.subarray(COPY_START, COPY_END);
    for (const other of [slotWith({ txn: 6 }), slotWith({ edits: 10 })]) {
      const block = encodeSlot(other);
      announcement.copy(block, COPY_START);
      expect(decodeSlot(block)).toBeNull();
    }
    // The announcement's own magic gone: no announcement at all, the slot stands.
    const noMagic = Buffer.from(withCopy);
    noMagic.writeUInt32LE(0, COPY_START);
    expect(decodeSlot(noMagic)).toEqual(slotWith());
  });

  it("counts out of range make the slot null: negative, fractional, beyond 2^53", () => {
    const fields = ["txn", "recordOffset", "addLength", "edits", "documentLength"] as const;
    for (const field of fields) {
      for (const bad of [-1, 0.5, Number.NaN, 2 ** 53]) {
        expect(decodeSlot(encodeSlot(slotWith({ [field]: bad }))), `${field} ${bad}`).toBeNull();
      }
      expect(decodeSlot(encodeSlot(slotWith({ [field]: Number.MAX_SAFE_INTEGER })))).not.toBeNull();
    }
    for (const bad of [-2, 0.5, Number.NaN, 2 ** 53]) {
      expect(decodeSlot(encodeSlot(slotWith({ appendFrom: bad }))), `appendFrom ${bad}`).toBeNull();
    }
    expect(decodeSlot(encodeSlot(slotWith({ appendFrom: -1 })))?.appendFrom).toBe(-1);
    expect(decodeSlot(encodeSlot(slotWith({ appendFrom: 0 })))?.appendFrom).toBe(0);
    expect(decodeSlot(encodeSlot(slotWith({ recordLength: RECORD_HEADER_BYTES - 1 })))).toBeNull();
    expect(
      decodeSlot(encodeSlot(slotWith({ recordLength: RECORD_HEADER_BYTES + MAX_RECORD_PAYLOAD + 1 }))),
    ).toBeNull();
    expect(decodeSlot(encodeSlot(slotWith({ recordLength: 0.5 + RECORD_HEADER_BYTES })))).toBeNull();
  });

  it("an announcement's pid, time and temp size must be non-negative safe integers", () => {
    for (const [label, changes] of [
      ["pid -1", { pid: -1 }],
      ["time 0.5", { time: 0.5 }],
      ["temp size -3", { temp: { ...copyFrom.temp, size: -3 } }],
      ["pid 2^53", { pid: 2 ** 53 }],
    ] as const) {
      expect(decodeSlot(encodeSlot(slotWith({ copyFrom: { ...copyFrom, ...changes } }))), label).toBeNull();
    }
    const zero = { pid: 0, time: 0, temp: { ...copyFrom.temp, size: 0 } };
    expect(decodeSlot(encodeSlot(slotWith({ copyFrom: zero })))?.copyFrom).toEqual(zero);
  });
});

describe("the encoding kept with a root slot", () => {
  /** The encoding block: [256, 341) of the slot's block, after the copy announcement. */
  const ENCODING_START = 256;
  const ENCODING_END = 256 + 21 + 64;

  /** The encoding block of `block` with its own checksum made to match again. */
  function resealed(block: Buffer): Buffer {
    const encoding = block.subarray(ENCODING_START, ENCODING_END);
    encoding.writeUInt32LE(0, 4);
    encoding.writeUInt32LE(checksum(encoding), 4);
    return block;
  }

  it("keeps its byte layout (golden encoding): magic, checksum, the slot's txn and checksum, the label", () => {
    const block = encodeSlot(slotWith({ encoding: "utf-16le" }));
    expect(block.subarray(ENCODING_START, ENCODING_END).toString("hex")).toBe(
      `4e45504701f1cc060000000000001440218c4942087574662d31366c65${"00".repeat(56)}`,
    );
    expect(block.subarray(ENCODING_END).every((byte) => byte === 0)).toBe(true);
    // The slot's own bytes are those of the same slot without an encoding.
    expect(block.subarray(0, ENCODING_START).equals(encodeSlot(slotWith()).subarray(0, ENCODING_START))).toBe(
      true,
    );
  });

  it("round-trips, with and without a copy announcement; a slot without one decodes with no encoding field", () => {
    for (const slot of [
      slotWith({ encoding: "utf-16le" }),
      slotWith({ encoding: "utf-16be", copyFrom }),
      slotWith({ encoding: "x".repeat(64) }),
      slotWith({ encoding: "é" }),
    ]) {
      expect(decodeSlot(encodeSlot(slot))).toEqual(slot);
    }
    for (const slot of [slotWith(), slotWith({ encoding: null }), slotWith({ encoding: "" })]) {
      const decoded = decodeSlot(encodeSlot(slot))!;
      expect(decoded).not.toBeNull();
      expect("encoding" in decoded).toBe(false);
      expect(
        encodeSlot(slot)
          .subarray(ENCODING_START)
          .every((byte) => byte === 0),
      ).toBe(true);
    }
  });

  it("a label longer than 64 bytes, or not Latin-1, cannot be kept", () => {
    expect(() => encodeSlot(slotWith({ encoding: "x".repeat(65) }))).toThrow(RangeError);
    expect(() => encodeSlot(slotWith({ encoding: "utf-16ł" }))).toThrow(RangeError);
  });

  it("any bit flipped in it makes the whole slot null; its magic gone, there is none and the slot stands", () => {
    const block = encodeSlot(slotWith({ encoding: "utf-16le" }));
    for (let at = ENCODING_START + 4; at < ENCODING_END; at++) {
      expect(decodeSlot(flipped(block, at, at % 8)), `bit flipped at byte ${at}`).toBeNull();
    }
    for (let at = ENCODING_START; at < ENCODING_START + 4; at++) {
      const decoded = decodeSlot(flipped(block, at));
      expect(decoded, `magic byte ${at}`).toEqual(slotWith());
      expect("encoding" in decoded!).toBe(false);
    }
    // A block too short to hold it decodes without it.
    expect(decodeSlot(block.subarray(0, ENCODING_END - 1))).toEqual(slotWith());
    expect(decodeSlot(block.subarray(0, ENCODING_END))).toEqual(slotWith({ encoding: "utf-16le" }));
  });

  it("the encoding of another slot (another txn, or the same txn with other fields) is not taken", () => {
    const withEncoding = encodeSlot(slotWith({ encoding: "utf-16le" }));
    const encoding = withEncoding.subarray(ENCODING_START, ENCODING_END);
    for (const other of [slotWith({ txn: 6 }), slotWith({ edits: 10 })]) {
      const block = encodeSlot(other);
      encoding.copy(block, ENCODING_START);
      expect(decodeSlot(block)).toBeNull();
    }
  });

  it("a label length of 0 or over 64 is null even with its checksum made to match; 64 is read whole", () => {
    const block = encodeSlot(slotWith({ encoding: "x".repeat(64) }));
    for (const [length, expected] of [
      [0, null],
      [65, null],
      [255, null],
      [64, "x".repeat(64)],
      [3, "xxx"],
    ] as const) {
      const changed = Buffer.from(block);
      changed[ENCODING_START + 20] = length;
      const decoded = decodeSlot(resealed(changed));
      if (expected === null) expect(decoded, `length ${length}`).toBeNull();
      else expect(decoded?.encoding, `length ${length}`).toBe(expected);
    }
  });
});

describe("sameIdentity", () => {
  it("is true only when device, inode, size, mtime and sample all match", () => {
    expect(sameIdentity(identity, { ...identity })).toBe(true);
    for (const change of [
      { dev: 1n },
      { ino: 1n },
      { size: 1 },
      { mtimeNs: 1n },
      { sample: 1 },
    ] as Partial<OriginalIdentity>[]) {
      expect(
        sameIdentity(identity, { ...identity, ...change }),
        JSON.stringify(change, (_, v) => String(v)),
      ).toBe(false);
    }
  });
});

describe("ByteWriter and ByteReader", () => {
  it("write and read back u8, u32 and f64, little-endian, growing past the first buffer", () => {
    const writer = new ByteWriter();
    for (let i = 0; i < 300; i++) {
      writer.u8(i & 0xff);
      writer.u32(i * 65_537);
      writer.f64(i / 3);
    }
    writer.u32(-1);
    expect(writer.length).toBe(300 * 13 + 4);
    const bytes = writer.finish();
    expect(bytes.length).toBe(writer.length);
    expect(bytes.readUInt32LE(1)).toBe(0);
    expect(bytes.readUInt32LE(13 + 1)).toBe(65_537);
    const reader = new ByteReader(bytes);
    for (let i = 0; i < 300; i++) {
      expect(reader.done).toBe(false);
      expect(reader.u8()).toBe(i & 0xff);
      expect(reader.u32()).toBe(i * 65_537);
      expect(reader.f64()).toBe(i / 3);
    }
    expect(reader.u32()).toBe(0xffffffff);
    expect(reader.done).toBe(true);
  });

  it("grows to fit one large write at once", () => {
    const writer = new ByteWriter();
    writer.u8(1);
    for (let i = 0; i < 100; i++) writer.f64(i);
    const reader = new ByteReader(writer.finish());
    expect(reader.u8()).toBe(1);
    for (let i = 0; i < 100; i++) expect(reader.f64()).toBe(i);
  });

  it("grows geometrically (doubling), so writing a large payload costs O(n), not O(n²) copies", () => {
    const writer = new ByteWriter();
    const capacities = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      writer.f64(i);
      // finish() is a view of the writer's buffer: its ArrayBuffer is the capacity.
      capacities.add(writer.finish().buffer.byteLength);
    }
    expect(writer.length).toBe(800_000);
    // 256 B doubled up to 1 MiB: 13 sizes, each twice the one before.
    expect([...capacities]).toEqual(Array.from({ length: 13 }, (_, i) => 256 * 2 ** i));
    const reader = new ByteReader(writer.finish());
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) if (reader.f64() !== i) wrong++;
    expect(wrong).toBe(0);
  });

  it("reading past the end throws CorruptRecordError, whatever the width", () => {
    expect(() => new ByteReader(Buffer.alloc(0)).u8()).toThrow(CorruptRecordError);
    expect(() => new ByteReader(Buffer.alloc(3)).u32()).toThrow(CorruptRecordError);
    expect(() => new ByteReader(Buffer.alloc(7)).f64()).toThrow(CorruptRecordError);
    expect(() => new ByteReader(Buffer.alloc(7)).count()).toThrow(CorruptRecordError);
    expect(new ByteReader(Buffer.alloc(4)).u32()).toBe(0);
    expect(new ByteReader(Buffer.alloc(8)).f64()).toBe(0);
    expect(new ByteReader(Buffer.alloc(1)).u8()).toBe(0);
    const reader = new ByteReader(Buffer.alloc(5));
    reader.u32();
    expect(reader.done).toBe(false);
    reader.u8();
    expect(reader.done).toBe(true);
    expect(() => reader.u8()).toThrow(CorruptRecordError);
  });

  it("count() takes non-negative safe integers and throws on anything else", () => {
    const countOf = (value: number) => {
      const writer = new ByteWriter();
      writer.f64(value);
      return new ByteReader(writer.finish()).count();
    };
    expect(countOf(0)).toBe(0);
    expect(countOf(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 53, Number.NEGATIVE_INFINITY]) {
      expect(() => countOf(bad), String(bad)).toThrow(CorruptRecordError);
    }
  });
});
