/**
 * Regular expressions run on worker threads, never on the caller's. JavaScript's RegExp
 * backtracks: a pattern like `(a+)+$` over a long line of `a`s runs for longer than anyone waits,
 * and on the main thread that would freeze every reply, timer and signal handler with it. Here a
 * chunk goes to a worker; the caller's thread stays free, and cancelling a search terminates the
 * worker running it (a thread stuck in backtracking cannot be interrupted any other way).
 *
 * Workers are started on demand (at most MAX_WORKERS run at once; further chunks queue), kept
 * for the next search while idle (unref'd: an idle worker does not keep the process alive), and
 * each runs under a heap limit, so one search's matches cannot grow the process without bound.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ChunkMatches, RegexTask } from "./regex-chunk.js";
import type { ChunkReply, ChunkRequest } from "./regex-thread.js";

/** Workers running chunks at once (each holds one search's chunk). */
export const MAX_WORKERS = Math.max(2, Math.min(4, availableParallelism()));
/** Heap limit of one worker: a chunk's text, its matches, and room to spare. */
const WORKER_HEAP_MB = 512;

/** The worker's script: beside this module once built; from the sources, the built copy. */
function threadScript(): URL {
  const here = new URL("./regex-thread.js", import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL("../dist/piece-table/regex-thread.js", import.meta.url);
}

/** A worker's matches as they arrive (see ChunkReply). */
type FoundMatches = Exclude<ChunkReply, { error: unknown }>;

interface Slot {
  worker: Worker;
  /** Why the worker stopped (it died, or was terminated), once it has. */
  gone: Error | null;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException("The search was aborted", "AbortError");
}

class RegexPool {
  private readonly idle: Slot[] = [];
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;

  /** Workers alive now (busy or idle), for tests. */
  get workers(): number {
    return this.running + this.idle.length;
  }

  async run(request: Omit<ChunkRequest, "id">, signal?: AbortSignal): Promise<FoundMatches> {
    if (signal?.aborted) throw abortError(signal);
    await this.turn(signal);
    let slot: Slot;
    try {
      slot = this.idle.pop() ?? this.spawn();
    } catch (error) {
      this.release(null);
      throw error;
    }
    slot.worker.ref();
    let keep = false;
    try {
      const result = await this.ask(slot, request, signal);
      keep = true;
      return result;
    } finally {
      this.release(keep && slot.gone === null ? slot : null, slot);
    }
  }

  /** Waits until fewer than MAX_WORKERS chunks run (or the signal aborts). */
  private async turn(signal: AbortSignal | undefined): Promise<void> {
    while (this.running >= MAX_WORKERS) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(abortError(signal!));
        };
        this.waiting.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.running++;
  }

  /** Gives the turn back; `keep` goes back to the idle list, `drop` is terminated. */
  private release(keep: Slot | null, drop?: Slot): void {
    this.running--;
    if (keep) {
      keep.worker.unref();
      this.idle.push(keep);
    } else if (drop && drop.gone === null) {
      drop.gone = new Error("terminated");
      void drop.worker.terminate();
    }
    this.waiting.shift()?.();
  }

  /**
   * Starts a worker now if none is alive, kept idle for the next chunk: a worker takes tens of
   * milliseconds of CPU to start, which a caller may spend on an idle core ahead of a search.
   */
  prestart(): void {
    if (this.workers > 0) return;
    const slot = this.spawn();
    slot.worker.unref();
    this.idle.push(slot);
  }

  private spawn(): Slot {
    const worker = new Worker(threadScript(), {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const slot: Slot = { worker, gone: null };
    const forget = (error: Error) => {
      slot.gone ??= error;
      const at = this.idle.indexOf(slot);
      if (at >= 0) this.idle.splice(at, 1);
    };
    worker.on("error", forget);
    worker.on("exit", (code) => forget(new Error(`the regex worker stopped (exit code ${code})`)));
    return slot;
  }

  private ask(
    slot: Slot,
    request: Omit<ChunkRequest, "id">,
    signal: AbortSignal | undefined,
  ): Promise<FoundMatches> {
    const id = this.nextId++;
    const { worker } = slot;
    return new Promise<FoundMatches>((resolve, reject) => {
      // Aborted while this search waited for its turn: nothing was sent, the worker stays.
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const done = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        signal?.removeEventListener("abort", onAbort);
      };
      const onMessage = (reply: ChunkReply) => {
        if (reply.id !== id) return;
        done();
        if ("error" in reply) {
          const error =
            reply.error.name === "SyntaxError"
              ? new SyntaxError(reply.error.message)
              : new Error(reply.error.message);
          reject(error);
        } else {
          resolve(reply);
        }
      };
      const onError = (error: Error) => {
        done();
        reject(
          (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY"
            ? Object.assign(new Error("the search found more matches than fit in memory"), {
                code: "ETOOLARGE",
              })
            : error,
        );
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the regex worker stopped (exit code ${code})`));
      };
      // A worker stuck in backtracking hears no message: terminating it is the only way to stop.
      const onAbort = () => {
        done();
        slot.gone ??= abortError(signal!);
        void worker.terminate();
        reject(abortError(signal!));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      signal?.addEventListener("abort", onAbort, { once: true });
      // A chunk read for this search alone is handed over, not copied.
      const { bytes, spans } = request;
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const transfer = own ? [bytes.buffer as ArrayBuffer] : [];
      if (spans) transfer.push(spans.buffer as ArrayBuffer);
      worker.postMessage({ ...request, id } satisfies ChunkRequest, transfer);
    });
  }
}

let pool: RegexPool | null = null;

/**
 * All matches of a RegExp task in one chunk, found on a worker thread (see chunkMatches for what
 * is matched). Rejects with the signal's AbortError as soon as it aborts, stopping the worker.
 * `bytes` may be handed over to the worker: the caller must not use it afterwards.
 */
export async function chunkMatchesOffThread(
  bytes: Buffer,
  base: number,
  task: RegexTask,
  signal?: AbortSignal,
): Promise<ChunkMatches> {
  pool ??= new RegexPool();
  const reply = await pool.run({ bytes, base, task }, signal);
  const found: ChunkMatches = { starts: Array.from(reply.starts), ends: Array.from(reply.ends) };
  if (reply.replacementBytes && reply.replacementEnds) {
    found.replacementBytes = reply.replacementBytes;
    found.replacementEnds = Array.from(reply.replacementEnds);
  }
  return found;
}

/**
 * All matches of a line-local RegExp task in candidate spans of a document, on a worker thread
 * (see spanMatches): `bytes` holds the spans' bytes one after the other, `spans` each one's
 * document offset and length. Both may be handed over to the worker.
 */
export function spanMatchesOffThread(
  bytes: Buffer,
  spans: Float64Array,
  task: RegexTask,
  signal?: AbortSignal,
): Promise<{ starts: Float64Array; ends: Float64Array }> {
  pool ??= new RegexPool();
  return pool.run({ bytes, base: 0, task, spans }, signal);
}

/**
 * Starts a regex worker ahead of a search, if none is alive (it waits idle, unref'd: it does not
 * keep the process alive). `gigapad run` calls it as it starts, so the worker boots on the core
 * that loading the script and the engine leaves idle.
 */
export function prestartRegexWorker(): void {
  pool ??= new RegexPool();
  pool.prestart();
}

/** Regex workers alive now (busy or idle). */
export function regexWorkerCount(): number {
  return pool?.workers ?? 0;
}
