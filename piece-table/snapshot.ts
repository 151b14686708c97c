/** A version of a document — a tree and the buffers it points into — and reading bytes from one. */
import type { AppendFile, LineFeedRule, MappedFile } from "../native/index.js";
import { type BufferId, forEachPiece, type LineFeedSource, ORIGINAL, type PieceNode } from "./piece-tree.js";

/** What reading needs of the add buffer: the writable AppendFile, or a read-only mapping of it. */
export type AddBufferView = Pick<
  AppendFile,
  "read" | "readInto" | "copyTo" | "countNewlines" | "nthNewline" | "findAll"
>;

/** A version of a document: its tree and the buffers the tree points into. */
export interface DocumentSnapshot {
  readonly root: PieceNode;
  readonly length: number;
  readonly original: MappedFile;
  readonly add: AddBufferView | null;
  readonly lineFeedSource: LineFeedSource;
  /** How its line feeds are counted; a UTF-16 document's matches start at even offsets. */
  readonly rule: LineFeedRule;
}

/** Bytes [start, end) of a tree, copied straight from each buffer into one new Buffer. */
export function readTree(
  root: PieceNode,
  start: number,
  end: number,
  original: MappedFile,
  add: AddBufferView | null,
): Buffer {
  // allocUnsafe: small reads come from Node's pool; every byte is overwritten below.
  const bytes = Buffer.allocUnsafe(end - start);
  forEachPiece(root, start, end, (buffer: BufferId, from, to, documentOffset) => {
    (buffer === ORIGINAL ? original : add!).readInto(bytes, documentOffset - start, from, to);
    return true;
  });
  return bytes;
}
