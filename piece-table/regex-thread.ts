/**
 * The body of a regex worker (see regex-pool.ts): runs chunkMatches over the chunks it is sent
 * and posts the byte offsets back. A pattern that backtracks for ever only blocks this thread;
 * the pool terminates it when the search is cancelled.
 */
import { parentPort } from "node:worker_threads";
import { chunkMatches, type RegexTask, spanMatches } from "./regex-chunk.js";

/** One chunk to scan (`bytes` arrives as a Uint8Array: structured clone drops Buffer). */
export interface ChunkRequest {
  id: number;
  bytes: Uint8Array;
  base: number;
  task: RegexTask;
  /** Set for a line-local regex over candidate lines: see spanMatches (`base` is unused). */
  spans?: Float64Array;
}

export type ChunkReply =
  | {
      id: number;
      starts: Float64Array;
      ends: Float64Array;
      replacementBytes?: Uint8Array;
      replacementEnds?: Float64Array;
    }
  | { id: number; error: { name: string; message: string } };

let compiled: { source: string; flags: string; regex: RegExp } | null = null;

function regexFor(task: RegexTask): RegExp {
  if (compiled?.source !== task.source || compiled.flags !== task.flags) {
    compiled = { source: task.source, flags: task.flags, regex: new RegExp(task.source, task.flags) };
  }
  return compiled.regex;
}

const port = parentPort;
if (port) {
  port.on("message", (request: ChunkRequest) => {
    try {
      const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
      const found = request.spans
        ? spanMatches(bytes, request.spans, regexFor(request.task))
        : chunkMatches(bytes, request.base, regexFor(request.task), request.task);
      const starts = Float64Array.from(found.starts);
      const ends = Float64Array.from(found.ends);
      const reply: ChunkReply = { id: request.id, starts, ends };
      const transfer: ArrayBuffer[] = [starts.buffer, ends.buffer];
      if (found.replacementBytes && found.replacementEnds) {
        // replaceAll's replacements (see RegexTask.template), handed over whole.
        const replacementBytes = new Uint8Array(found.replacementBytes);
        const replacementEnds = Float64Array.from(found.replacementEnds);
        Object.assign(reply, { replacementBytes, replacementEnds });
        transfer.push(replacementBytes.buffer, replacementEnds.buffer);
      }
      port.postMessage(reply, transfer);
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
      const reply: ChunkReply = { id: request.id, error: { name, message } };
      port.postMessage(reply);
    }
  });
}
