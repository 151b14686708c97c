/**
 * Heap bytes per piece, measured in a process of its own (run with --expose-gc): a tree of
 * `pieces` pieces is built by random one-byte inserts and only its final root is kept.
 * Prints JSON: { pieces, bytesPerPiece, height }.
 */
import {
  ADDED,
  countPieces,
  insertPieces,
  type LineFeedSource,
  ORIGINAL,
  type PieceNode,
  pieceList,
  singlePieceTree,
} from "../piece-table/piece-tree.js";
import { SeededRandom } from "./corpora.js";

const target = Number(process.argv[2] ?? 1_000_000);
const fileSize = Number(process.argv[3] ?? 1024 ** 3);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

/** The probe touches no line data: counts stay unknown. */
const noCounts: LineFeedSource = { count: () => 0, tryCount: () => Number.NaN, nthLineFeed: () => -1 };

gc();
const before = process.memoryUsage();
const random = new SeededRandom(3);
let root: PieceNode = singlePieceTree(ORIGINAL, 0, fileSize, Number.NaN);
let length = fileSize;
let added = 0;
while (countPieces(root) < target) {
  for (let i = Math.max(1, (target - countPieces(root)) >> 1); i > 0; i--) {
    const list = pieceList();
    // A gap in the add buffer between inserts keeps them from coalescing.
    list.push(ADDED, added, 1, 0);
    added += 2;
    root = insertPieces(root, random.below(length + 1), list, noCounts);
    length++;
  }
}
gc();
const after = process.memoryUsage();
const pieces = countPieces(root);
const bytes = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
process.stdout.write(`${JSON.stringify({ pieces, bytesPerPiece: bytes / pieces, height: root.height })}\n`);
