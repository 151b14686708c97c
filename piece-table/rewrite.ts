/**
 * Rewriting a whole document through a transform of its bytes — converting it to another encoding
 * — as one new version. The document is read a few MiB at a time, each piece handed to the
 * transform in order (the transform carries a character cut at a piece's edge over to the next
 * call), and what comes out is appended to the add buffer as it comes: memory stays bounded on a
 * 10 GB file, the old version stays for undo, and a save writes the result the normal, atomic way.
 */
import { ADDED, type PieceNode, TreeBuilder } from "./piece-tree.js";
import { checkAborted } from "./search-walk.js";
import { type DocumentSnapshot, readTree } from "./snapshot.js";

/** Bytes read and handed to the transform at a time. */
export const REWRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/** Turns the document's bytes, piece by piece in order, into the new text's; `last` on the final call. */
export type ByteTransform = (bytes: Buffer, last: boolean) => Uint8Array;

export interface RewriteOptions {
  signal?: AbortSignal;
  /** Called after each piece: bytes of the document read so far, of all. */
  onProgress?: (progress: { bytesDone: number; bytesTotal: number }) => void;
}

const LF = 10;

function lineFeedsIn(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) count++;
  return count;
}

/** The tree of the rewritten document: every byte the transform produced, appended as it came. */
export async function rewriteTree(
  snapshot: DocumentSnapshot,
  transform: ByteTransform,
  append: (bytes: Uint8Array) => number,
  options: RewriteOptions = {},
): Promise<PieceNode> {
  const builder = new TreeBuilder();
  const total = snapshot.length;
  let position = 0;
  do {
    checkAborted(options.signal);
    const end = Math.min(total, position + REWRITE_CHUNK_BYTES);
    const out = transform(
      readTree(snapshot.root, position, end, snapshot.original, snapshot.add),
      end === total,
    );
    if (out.length > 0) builder.push(ADDED, append(out), out.length, lineFeedsIn(out));
    position = end;
    options.onProgress?.({ bytesDone: position, bytesTotal: total });
    // Let the event loop breathe between pieces (progress events, a cancel).
    await new Promise((resolve) => setImmediate(resolve));
  } while (position < total);
  return builder.finish();
}
