/**
 * session-reader.ts directly: pickSlot, the one rule for choosing a root slot (recovery, the
 * store's open and `gigapad recover` all use it).
 */
import { describe, expect, it } from "vitest";
import { encodeSlot, type RootSlot, SLOT_BLOCK_BYTES } from "../../piece-table/session-format.js";
import { pickSlot } from "../../piece-table/session-reader.js";

function slot(txn: number, edits = 0): RootSlot {
  return {
    txn,
    recordOffset: 0,
    recordLength: 40,
    recordChecksum: 7,
    addLength: 0,
    identity: { dev: 1n, ino: 2n, size: 3, mtimeNs: 4n, sample: 5 },
    committedAt: 1_700_000_000_000,
    edits,
    documentLength: 3,
    metaGeneration: 0,
    appendFrom: -1,
    copyFrom: null,
  };
}

/** A root file: block 0 and block 1, each a slot or zeros. */
function rootFile(first: RootSlot | null, second: RootSlot | null): Buffer {
  const bytes = Buffer.alloc(2 * SLOT_BLOCK_BYTES);
  if (first) encodeSlot(first).copy(bytes, 0);
  if (second) encodeSlot(second).copy(bytes, SLOT_BLOCK_BYTES);
  return bytes;
}

describe("pickSlot", () => {
  it("picks nothing in a root file of zeros, an empty one, or a short one", () => {
    expect(pickSlot(rootFile(null, null))).toBeNull();
    expect(pickSlot(Buffer.alloc(0))).toBeNull();
    expect(pickSlot(Buffer.alloc(100))).toBeNull();
  });

  it("picks the newest slot (highest txn), in whichever block it is, and says which", () => {
    expect(pickSlot(rootFile(slot(4), slot(5)))).toMatchObject({ block: 1, slot: { txn: 5 } });
    expect(pickSlot(rootFile(slot(7), slot(6)))).toMatchObject({ block: 0, slot: { txn: 7 } });
    expect(pickSlot(rootFile(null, slot(1)))).toMatchObject({ block: 1, slot: { txn: 1 } });
  });

  it("skips a slot whose checksum fails (a torn write): the other block is picked", () => {
    const bytes = rootFile(slot(4), slot(5));
    bytes.writeUInt8(bytes.readUInt8(SLOT_BLOCK_BYTES + 20) ^ 0xff, SLOT_BLOCK_BYTES + 20);
    expect(pickSlot(bytes)).toMatchObject({ block: 0, slot: { txn: 4 } });
    bytes.writeUInt8(bytes.readUInt8(20) ^ 0xff, 20);
    expect(pickSlot(bytes)).toBeNull();
  });

  it("takes the newest slot that the caller accepts, newest first", () => {
    const bytes = rootFile(slot(4, 3), slot(5, 0));
    const seen: number[] = [];
    const picked = pickSlot(bytes, (found) => {
      seen.push(found.txn);
      return found.edits > 0;
    });
    expect(picked).toMatchObject({ block: 0, slot: { txn: 4 } });
    expect(seen).toEqual([5, 4]);
    expect(pickSlot(bytes, () => false)).toBeNull();
  });
});
