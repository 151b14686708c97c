/** A version of a document — a tree and the buffers it points into — and reading bytes from one. */
import type { AppendFile, MappedFile } from "../native/index.js";
import { type BufferId, forEachPiece, type LineFeedSource, ORIGINAL, type PieceNode } from "./piece-tree.js";

/** A version of a document: its tree and the buffers the tree points into. */
export interface DocumentSnapshot {
  readonly root: PieceNode;
  readonly length: number;
  readonly original: MappedFile;
  readonly add: AppendFile | null;
  readonly lineFeedSource: LineFeedSource;
}

/** Bytes [start, end) of a tree. */
export function readTree(
  root: PieceNode,
  start: number,
  end: number,
  original: MappedFile,
  add: AppendFile | null,
): Buffer {
  const parts: Buffer[] = [];
  forEachPiece(root, start, end, (buffer: BufferId, from, to) => {
    parts.push(buffer === ORIGINAL ? original.read(from, to) : add!.read(from, to));
    return true;
  });
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, end - start);
}
