/**
 * How a search walks a document version: its piece slices in order, a leaf at a time, and the
 * check at each cancellation point.
 */
import { type BufferId, forEachPiece, type PieceNode } from "./piece-tree.js";

export interface Segment {
  buffer: BufferId;
  bufferStart: number;
  bufferEnd: number;
  documentStart: number;
}

/** The piece slices of [start, end), in order, a leaf at a time (bounded memory). */
export function* segments(root: PieceNode, start: number, end: number): Generator<Segment> {
  // Collect one leaf's worth of slices per walk, then continue after them.
  let position = start;
  while (position < end) {
    const batch: Segment[] = [];
    forEachPiece(root, position, end, (buffer, bufferStart, bufferEnd, documentStart) => {
      batch.push({ buffer, bufferStart, bufferEnd, documentStart });
      return batch.length < 256;
    });
    if (batch.length === 0) return;
    for (const segment of batch) yield segment;
    const last = batch[batch.length - 1]!;
    position = last.documentStart + (last.bufferEnd - last.bufferStart);
  }
}

/** Throws the signal's reason (an AbortError unless it is an Error) once it has aborted. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error
      ? signal.reason
      : new DOMException("The search was aborted", "AbortError");
  }
}

/** Waits for a native job, cancelling it if the signal aborts meanwhile. */
export async function awaitJob<T>(
  job: { promise: Promise<T>; cancel(): void },
  signal: AbortSignal | undefined,
): Promise<T> {
  const onAbort = () => job.cancel();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await job.promise;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
