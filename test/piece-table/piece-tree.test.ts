import { describe, expect, it } from "vitest";
import {
  ADDED,
  Branch,
  type BufferId,
  checkTree,
  countPieces,
  deleteRange,
  findLineFeed,
  forEachPiece,
  insertPieces,
  Leaf,
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
    // Deleting nothing (an empty or reversed range) is no edit: the same root, not a copy.
    expect(deleteRange(v1, 4, 4, source)).toBe(v1);
    expect(deleteRange(v1, 6, 2, source)).toBe(v1);
  });

  it("a leaf split by an insert keeps the known line-feed counts of its parts (no NaN to rescan)", () => {
    const added = { bytes: Buffer.from("x\n".repeat(400)) };
    const { source, bufferOf } = memorySource(Buffer.alloc(0), added);
    const builder = new TreeBuilder();
    // Pieces of "x\n" that do not continue each other (a gap between each): one leaf of 48.
    for (let i = 0; i < 48; i++) builder.push(ADDED, i * 4, 2, 1);
    const before = builder.finish();
    expect(before).toBeInstanceOf(Leaf);
    const pieces = pieceList();
    for (let i = 0; i < 20; i++) pieces.push(ADDED, 400 + i * 4, 2, 1);
    const after = insertPieces(before, 50, pieces, source);
    // 68 pieces: more than a leaf holds, so two leaves, each with its count known.
    expect(after).toBeInstanceOf(Branch);
    const leaves = (after as Branch).children as Leaf[];
    expect(leaves.map((leaf) => leaf.pieceCount)).toEqual([34, 34]);
    expect(leaves.map((leaf) => leaf.lineFeeds)).toEqual([34, 34]);
    expect(after.lineFeeds).toBe(68);
    checkTree(after, source);
    expect(contentOf(after, bufferOf).toString()).toBe("x\n".repeat(68));
  });

  it("splitting a piece of known count where only the right part is cheap to count gives the left by subtraction", () => {
    const original = Buffer.from("abc\n".repeat(50));
    const added = { bytes: Buffer.from("XY") };
    // Counts of more than 64 bytes are "expensive" (NaN from tryCount).
    const { source } = memorySource(original, added, 64);
    const root = singlePieceTree(ORIGINAL, 0, 200, 50);
    const pieces = pieceList();
    pieces.push(ADDED, 0, 2, 0);
    // 150 bytes before the insert (expensive), 50 after (cheap): both counts stay known.
    const after = insertPieces(root, 150, pieces, source) as Leaf;
    expect(after.pieceCount).toBe(3);
    expect(after.slots.filter((_, slot) => slot % 3 === 2)).toEqual([37, 0, 13]);
    expect(after.lineFeeds).toBe(50);
    checkTree(after, source);
    // The same for a delete that keeps only the expensive part before it.
    const cut = deleteRange(root, 150, 160, source) as Leaf;
    expect(cut.slots.filter((_, slot) => slot % 3 === 2)).toEqual([37, 10]);
    checkTree(cut, source);
  });

  it("forEachPiece visits only slices that overlap the range: none empty at a piece's edge", () => {
    const builder = new TreeBuilder();
    // Ten 10-byte pieces that do not continue each other: boundaries every 10 bytes.
    for (let i = 0; i < 10; i++) builder.push(ADDED, i * 20, 10, 0);
    const root = builder.finish();
    const visits = (start: number, end: number) => {
      const seen: number[][] = [];
      forEachPiece(root, start, end, (buffer, bufferStart, bufferEnd, at) => {
        seen.push([buffer, bufferStart, bufferEnd, at]);
        return true;
      });
      return seen;
    };
    expect(visits(30, 50)).toEqual([
      [ADDED, 60, 70, 30],
      [ADDED, 80, 90, 40],
    ]);
    expect(visits(35, 40)).toEqual([[ADDED, 65, 70, 35]]);
    expect(visits(0, 5)).toEqual([[ADDED, 0, 5, 0]]);
    expect(visits(95, 100)).toEqual([[ADDED, 185, 190, 95]]);
    // The first slice a visitor sees is where the range starts, even on an edge.
    let first: number[] | null = null;
    forEachPiece(root, 20, 100, (buffer, bufferStart, bufferEnd, at) => {
      first = [buffer, bufferStart, bufferEnd, at];
      return false;
    });
    expect(first).toEqual([ADDED, 40, 50, 20]);
  });

  it("forEachPiece answers true when the visitor never stopped, false when it did, over branches too", () => {
    const builder = new TreeBuilder();
    for (let i = 0; i < 1_000; i++) builder.push(ADDED, i * 20, 10, 0);
    const root = builder.finish();
    expect(root).toBeInstanceOf(Branch);
    for (const [start, end] of [
      [0, 10_000],
      [0, 5_000],
      [1_234, 5_678],
      [9_990, 10_000],
    ] as const) {
      let slices = 0;
      expect(forEachPiece(root, start, end, () => ++slices > 0)).toBe(true);
      expect(slices).toBe(Math.ceil(end / 10) - Math.floor(start / 10));
      expect(forEachPiece(root, start, end, () => false)).toBe(false);
    }
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

  it("shares every subtree an edit did not touch with the version before it", () => {
    const added = { bytes: Buffer.alloc(40_000, "a") };
    const { source } = memorySource(Buffer.alloc(0), added);
    const builder = new TreeBuilder();
    for (let i = 0; i < 20_000; i++) builder.push(ADDED, i * 2, 1, 0);
    const before = builder.finish();
    expect(before.height).toBeGreaterThanOrEqual(2);
    const pieces = pieceList();
    pieces.push(ADDED, 39_999, 1, 0);
    const after = insertPieces(before, 10_001, pieces, source);
    checkTree(after);
    // Nodes of `after` that `before` does not hold: only the path to the edit (a split may add one).
    const old = new Set<PieceNode>();
    const collect = (node: PieceNode, into: Set<PieceNode>) => {
      into.add(node);
      if (node instanceof Branch) for (const child of node.children) collect(child, into);
    };
    collect(before, old);
    const fresh = new Set<PieceNode>();
    collect(after, fresh);
    const copied = [...fresh].filter((node) => !old.has(node));
    expect(copied.length).toBeGreaterThanOrEqual(after.height + 1);
    expect(copied.length).toBeLessThanOrEqual(2 * (after.height + 1));
    // The root's children other than the one on the path are the very same objects.
    const beforeChildren = (before as Branch).children;
    const afterChildren = (after as Branch).children;
    const same = afterChildren.filter((child) => beforeChildren.includes(child));
    expect(same.length).toBeGreaterThanOrEqual(afterChildren.length - 2);
    expect(same.length).toBeGreaterThan(0);
    // A delete shares the same way.
    const deleted = deleteRange(after, 30_000, 30_002, source);
    checkTree(deleted);
    const kept = (deleted as Branch).children.filter((child) => afterChildren.includes(child));
    expect(kept.length).toBeGreaterThanOrEqual((deleted as Branch).children.length - 2);
  });

  it("finds a line feed at byte 0 of a piece whose count is unknown (early lines, many pieces)", () => {
    // Every count is "expensive" (NaN), as before the line index is built; many pieces start
    // with a line feed, and the first piece has none.
    const original = Buffer.from("\nabc\n\ndef\nghij\n\n\nk\nlm".repeat(40));
    const lineFeedAt: number[] = [];
    original.forEach((byte, at) => {
      if (byte === 10) lineFeedAt.push(at);
    });
    const slices: [number, number][] = [[1, 4]];
    for (let i = 0; i < 300; i++) {
      const from = lineFeedAt[(i * 7) % lineFeedAt.length]!;
      slices.push([from, Math.min(original.length, from + 1 + (i % 5))]);
    }
    const model = Buffer.concat(slices.map(([from, to]) => original.subarray(from, to)));
    const starts = lineStarts(model);
    const build = () => {
      const builder = new TreeBuilder();
      for (const [from, to] of slices) builder.push(ORIGINAL, from, to - from, Number.NaN);
      return builder.finish();
    };
    const { source, bufferOf } = memorySource(original, { bytes: Buffer.alloc(0) }, 0);
    expect(build().height).toBeGreaterThanOrEqual(1);
    expect(contentOf(build(), bufferOf).equals(model)).toBe(true);
    for (let line = 1; line < 40; line++) {
      // A fresh tree each time: nothing memoised, so the query walks the unknown counts.
      expect(findLineFeed(build(), line - 1, source) + 1).toBe(starts[line]);
      expect(lineFeedsBefore(build(), starts[line]!, source)).toBe(line);
      expect(lineFeedsBefore(build(), starts[line]! - 1, source)).toBe(line - 1);
    }
    const root = build();
    for (let line = 1; line < starts.length; line += 13) {
      expect(findLineFeed(root, line - 1, source) + 1).toBe(starts[line]);
    }
    checkTree(root, source);
    expect(resolveLineFeeds(root, source)).toBe(starts.length - 1);
    checkTree(root, source);
  });
});

describe("checkTree rejects a tree built wrong", () => {
  const added = { bytes: Buffer.alloc(20_000, "a\n") };
  const { source } = memorySource(Buffer.alloc(0), added);
  const build = (pieces: number) => {
    const builder = new TreeBuilder();
    for (let i = 0; i < pieces; i++) builder.push(ADDED, i * 2, 1, source.count(ADDED, i * 2, i * 2 + 1));
    return builder.finish() as Branch;
  };
  const sum = (nodes: readonly PieceNode[], key: "length" | "lineFeeds") =>
    nodes.reduce((total, node) => total + node[key], 0);

  it("accepts the trees the builder makes", () => {
    for (const pieces of [0, 1, 15, 16, 64, 65, 500, 5000]) checkTree(build(pieces), source);
  });

  it("rejects an underfull leaf below the root (a delete that never merged)", () => {
    const root = build(500);
    const leaves = root.children.flatMap((child) => (child instanceof Leaf ? [child] : []));
    const small = new Leaf(leaves[0]!.slots.slice(0, 3 * 3), 3, Number.NaN);
    const children = [small, ...root.children.slice(1)];
    const wrong = new Branch(children, root.height, sum(children, "length"), Number.NaN);
    expect(() => checkTree(wrong)).toThrow(/leaf below the root with 3 pieces/);
  });

  it("rejects an underfull branch below the root, and a root of one child (an insert that adds a level)", () => {
    const root = build(5000);
    expect(root.height).toBe(2);
    const first = root.children[0] as Branch;
    const thin = new Branch(first.children.slice(0, 1), first.height, first.children[0]!.length, Number.NaN);
    const children = [thin, ...root.children.slice(1)];
    const wrong = new Branch(children, root.height, sum(children, "length"), Number.NaN);
    expect(() => checkTree(wrong)).toThrow(/branch with 1 children/);
    const tall = new Branch([root], root.height + 1, root.length, root.lineFeeds);
    expect(() => checkTree(tall)).toThrow(/root with 1 children/);
  });

  it("rejects a line-feed count that is not the sum of its children's (or is negative)", () => {
    const root = build(5000);
    const wrong = new Branch(root.children, root.height, root.length, root.lineFeeds + 1);
    expect(() => checkTree(wrong)).toThrow(/branch line feeds/);
    const cachedMiss = new Branch(root.children, root.height, root.length, -1);
    expect(() => checkTree(cachedMiss)).toThrow(/branch line feeds -1/);
    const leaf = build(20) as unknown as Leaf;
    expect(() => checkTree(new Leaf(leaf.slots, leaf.length, leaf.lineFeeds - 1))).toThrow(/leaf line feeds/);
    // An unknown total over known parts is fine: it is filled in when first asked for.
    checkTree(new Branch(root.children, root.height, root.length, Number.NaN));
  });

  it("rejects a piece count that differs from the bytes, given the buffers", () => {
    const leaf = build(20) as unknown as Leaf;
    const slots = leaf.slots.slice();
    slots[2] = 5;
    const lineFeeds = leaf.lineFeeds - leaf.slots[2]! + 5;
    checkTree(new Leaf(slots, leaf.length, lineFeeds));
    expect(() => checkTree(new Leaf(slots, leaf.length, lineFeeds), source)).toThrow(/piece 0 line feeds 5/);
  });
});
