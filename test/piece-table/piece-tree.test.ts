import { describe, expect, it } from "vitest";
import {
  ADDED,
  type BufferId,
  checkTree,
  countPieces,
  deleteRange,
  findLineFeed,
  forEachPiece,
  insertPieces,
  type LineFeedSource,
  lineFeedsBefore,
  ORIGINAL,
  type PieceNode,
  pieceList,
  resolveLineFeeds,
  singlePieceTree,
  TreeBuilder,
} from "../../piece-table/piece-tree.js";
import { applyDelete, applyInsert, lineStarts } from "../helpers/buffer-model.js";

/** Two in-memory buffers standing in for the mapped original and the add buffer. */
function memorySource(original: Buffer, added: { bytes: Buffer }, cheapLimit = Number.POSITIVE_INFINITY) {
  const bufferOf = (id: BufferId) => (id === ORIGINAL ? original : added.bytes);
  const count = (id: BufferId, start: number, end: number) => {
    let total = 0;
    const bytes = bufferOf(id);
    for (let i = start; i < end; i++) if (bytes[i] === 10) total++;
    return total;
  };
  const source: LineFeedSource = {
    count,
    tryCount: (id, start, end) => (end - start <= cheapLimit ? count(id, start, end) : Number.NaN),
    nthLineFeed: (id, start, end, n) => {
      const bytes = bufferOf(id);
      for (let i = start; i < end; i++) if (bytes[i] === 10 && n-- === 0) return i;
      return -1;
    },
  };
  return { source, bufferOf };
}

function contentOf(root: PieceNode, bufferOf: (id: BufferId) => Buffer): Buffer {
  const parts: Buffer[] = [];
  forEachPiece(root, 0, root.length, (id, start, end) => {
    parts.push(bufferOf(id).subarray(start, end));
    return true;
  });
  return Buffer.concat(parts);
}

function heightOf(node: PieceNode): number {
  return node.height;
}

describe("piece tree", () => {
  it("stays balanced and exact through 20 000 random inserts and deletes (deep trees)", () => {
    const original = Buffer.from("0123456789\n".repeat(5000));
    const added = { bytes: Buffer.alloc(0) };
    // Counts over 64 bytes are "expensive": pieces keep unknown (NaN) counts, as before indexing.
    const { source, bufferOf } = memorySource(original, added, 64);
    let root = singlePieceTree(ORIGINAL, 0, original.length, Number.NaN);
    let model: Buffer = Buffer.from(original);
    let seed = 3;
    const next = (bound: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % bound;
    };
    for (let step = 0; step < 20_000; step++) {
      if (next(10) < 7 || model.length < 100) {
        const at = next(model.length + 1);
        const text = Buffer.from(next(4) === 0 ? "ab\n" : String.fromCharCode(97 + next(26)));
        const start = added.bytes.length;
        added.bytes = Buffer.concat([added.bytes, text]);
        const pieces = pieceList();
        pieces.push(ADDED, start, text.length, text.filter((b) => b === 10).length);
        root = insertPieces(root, at, pieces, source);
        model = applyInsert(model, at, text);
      } else {
        const at = next(model.length);
        const end = Math.min(model.length, at + 1 + next(next(200) === 0 ? 3000 : 4));
        root = deleteRange(root, at, end, source);
        model = applyDelete(model, at, end);
      }
      if (step % 2000 === 0) {
        checkTree(root);
        expect(contentOf(root, bufferOf).equals(model)).toBe(true);
      }
    }
    checkTree(root);
    expect(root.length).toBe(model.length);
    expect(contentOf(root, bufferOf).equals(model)).toBe(true);
    const pieces = countPieces(root);
    expect(pieces).toBeGreaterThan(2000);
    // Height stays logarithmic: with at least 16 pieces a leaf and 8 children a branch.
    expect(heightOf(root)).toBeLessThanOrEqual(Math.ceil(Math.log(pieces) / Math.log(8)) + 1);
    const starts = lineStarts(model);
    expect(resolveLineFeeds(root, source)).toBe(starts.length - 1);
    for (let line = 1; line < starts.length; line += 37) {
      expect(findLineFeed(root, line - 1, source) + 1).toBe(starts[line]);
      expect(lineFeedsBefore(root, starts[line]!, source)).toBe(line);
    }
    expect(findLineFeed(root, starts.length - 1, source)).toBe(-1);
  });

  it("keeps old roots intact (persistence)", () => {
    const original = Buffer.from("hello world");
    const added = { bytes: Buffer.from("XYZ") };
    const { source, bufferOf } = memorySource(original, added);
    const v0 = singlePieceTree(ORIGINAL, 0, original.length, 0);
    const pieces = pieceList();
    pieces.push(ADDED, 0, 3, 0);
    const v1 = insertPieces(v0, 5, pieces, source);
    const v2 = deleteRange(v1, 0, 6, source);
    expect(contentOf(v0, bufferOf).toString()).toBe("hello world");
    expect(contentOf(v1, bufferOf).toString()).toBe("helloXYZ world");
    expect(contentOf(v2, bufferOf).toString()).toBe("YZ world");
  });

  it("coalesces typing into one piece", () => {
    const added = { bytes: Buffer.from("abc") };
    const { source } = memorySource(Buffer.alloc(0), added);
    let root: PieceNode = singlePieceTree(ORIGINAL, 0, 0, 0);
    for (let i = 0; i < 3; i++) {
      const pieces = pieceList();
      pieces.push(ADDED, i, 1, 0);
      root = insertPieces(root, i, pieces, source);
    }
    expect(countPieces(root)).toBe(1);
  });

  it("deletes a range spanning many leaves in one go, and everything", () => {
    const original = Buffer.alloc(0);
    const added = { bytes: Buffer.alloc(200_000, "a") };
    const { source } = memorySource(original, added);
    const builder = new TreeBuilder();
    // Non-contiguous pieces so they do not coalesce: every other byte.
    for (let i = 0; i < 100_000; i++) builder.push(ADDED, i * 2, 1, 0);
    let root = builder.finish();
    checkTree(root);
    expect(countPieces(root)).toBe(100_000);
    root = deleteRange(root, 10, 99_990, source);
    checkTree(root);
    expect(root.length).toBe(20);
    expect(countPieces(root)).toBe(20);
    root = deleteRange(root, 0, root.length, source);
    expect(root.length).toBe(0);
    checkTree(root);
  });
});
