/**
 * piece-tree.ts's bulk building (TreeBuilder, pieceList), against survivors of the mutation run
 * (test/mutation/mutate.mjs): contiguous pieces of one buffer coalesce into one, whichever buffer
 * and wherever they start (an original piece at byte 0 included), and bulk-built trees of any
 * size keep every invariant.
 */
import { describe, expect, it } from "vitest";
import {
  ADDED,
  checkTree,
  countPieces,
  forEachPiece,
  ORIGINAL,
  pieceList,
  TreeBuilder,
} from "../../piece-table/piece-tree.js";

function piecesOf(root: ReturnType<TreeBuilder["finish"]>): Array<[number, number, number]> {
  const pieces: Array<[number, number, number]> = [];
  forEachPiece(root, 0, root.length, (buffer, start, end) => {
    pieces.push([buffer, start, end]);
    return true;
  });
  return pieces;
}

describe("TreeBuilder", () => {
  it("coalesces contiguous pieces of one buffer, an original piece at byte 0 too", () => {
    const builder = new TreeBuilder();
    builder.push(ORIGINAL, 0, 5, 1);
    builder.push(ORIGINAL, 5, 5, 0);
    builder.push(ADDED, 0, 3, 0);
    builder.push(ADDED, 3, 4, 2);
    builder.push(ORIGINAL, 20, 2, 0);
    const root = builder.finish();
    expect(piecesOf(root)).toEqual([
      [ORIGINAL, 0, 10],
      [ADDED, 0, 7],
      [ORIGINAL, 20, 22],
    ]);
    expect(root.length).toBe(19);
    expect(root.lineFeeds).toBe(3);
    checkTree(root);
  });

  it("keeps pieces apart that do not continue each other (another buffer, a gap)", () => {
    const builder = new TreeBuilder();
    builder.push(ORIGINAL, 0, 5, 0);
    builder.push(ADDED, 5, 5, 0);
    builder.push(ORIGINAL, 11, 5, 0);
    expect(countPieces(builder.finish())).toBe(3);
  });

  it("an empty builder gives the empty tree; empty pieces are dropped", () => {
    expect(new TreeBuilder().finish().length).toBe(0);
    const builder = new TreeBuilder();
    builder.push(ORIGINAL, 3, 0, 0);
    expect(builder.finish().length).toBe(0);
  });

  it("builds trees of any size that keep every invariant, pieces in order", () => {
    for (const count of [1, 47, 48, 49, 64, 65, 1_000, 1_153, 30_000]) {
      const builder = new TreeBuilder();
      // Every other piece from the add buffer, none contiguous: nothing coalesces.
      for (let i = 0; i < count; i++) builder.push(i % 2 === 0 ? ORIGINAL : ADDED, i * 10, 3, i % 3);
      const root = builder.finish();
      checkTree(root);
      expect(countPieces(root), `${count} pieces`).toBe(count);
      expect(root.length).toBe(count * 3);
      const pieces = piecesOf(root);
      expect(pieces[count - 1]).toEqual([
        (count - 1) % 2 === 0 ? ORIGINAL : ADDED,
        (count - 1) * 10,
        (count - 1) * 10 + 3,
      ]);
    }
  });
});

describe("pieceList", () => {
  it("coalesces as it is pushed to, and hands its pieces to leaves", () => {
    const list = pieceList();
    list.push(ORIGINAL, 0, 4, 1);
    list.push(ORIGINAL, 4, 4, 1);
    expect(list.count).toBe(1);
    list.push(ADDED, 0, 1, 0);
    expect(list.count).toBe(2);
    const leaves = list.toLeaves();
    expect(leaves).toHaveLength(1);
    expect(leaves[0]!.length).toBe(9);
    expect(leaves[0]!.lineFeeds).toBe(2);
  });
});
