/**
 * The pipeline a regex search runs as (search.ts): a source of work items (chunks of the
 * document, or the candidate lines of a native scan window) and a task per item (the regex on a
 * worker). The source is read ahead while tasks run, several tasks run at once, and the results
 * come out in the source's order — so a search finds exactly what one item after the other would.
 */

export interface PipelineLimits {
  /** Items taken from the source whose results have not been handed on yet, at most (≥ 1). */
  ahead: number;
  /** Tasks running at once, at most (≥ 1, ≤ ahead). */
  running: number;
}

interface Entry<T, R> {
  /** The item until its task starts (then dropped, so its bytes can go). */
  item: T | null;
  result: Promise<R> | null;
  /** The task has settled. */
  settled: boolean;
}

/**
 * Yields task(item, signal) for each item of source, in order. The next item is taken as soon as
 * fewer than `ahead` wait (the source works while tasks run), and a task starts as soon as fewer
 * than `running` run. The first failure, of the source or of the oldest task, is thrown. A
 * consumer that stops early stops the source, and the tasks still running are aborted (their
 * signal: a regex worker running a chunk nobody waits for is terminated — it might backtrack for
 * ever); `signal` (the search's) aborts them too.
 */
export async function* pipelined<T, R>(
  source: AsyncIterable<T>,
  task: (item: T, signal: AbortSignal) => Promise<R>,
  limits: PipelineLimits,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  const ahead = Math.max(1, limits.ahead);
  const running = Math.max(1, Math.min(ahead, limits.running));
  const iterator = source[Symbol.asyncIterator]();
  const queue: Entry<T, R>[] = [];
  const tasks = new AbortController();
  const onAbort = () => tasks.abort(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  let active = 0;
  let pull: Promise<IteratorResult<T>> | null = null;
  let exhausted = false;
  // Starts tasks in order while there is room (also as each task settles, between awaits here).
  const startTasks = () => {
    for (const entry of queue) {
      if (active >= running) return;
      if (entry.result) continue;
      const item = entry.item as T;
      entry.item = null;
      active++;
      let result: Promise<R>;
      try {
        result = task(item, tasks.signal);
      } catch (error) {
        result = Promise.reject(error);
      }
      entry.result = result;
      const finished = () => {
        entry.settled = true;
        active--;
        startTasks();
      };
      // Heard in turn by the loop below; not an unhandled rejection meanwhile.
      result.then(finished, finished);
    }
  };
  try {
    for (;;) {
      if (!exhausted && pull === null && queue.length < ahead) pull = iterator.next();
      const oldest = queue[0];
      if (!oldest && !pull) return;
      // The oldest entry has started (tasks start in order and it is first), unless none can run.
      const waits: Promise<"item" | "result">[] = [];
      if (pull) waits.push(pull.then(() => "item" as const));
      if (oldest?.result) waits.push(oldest.result.then(() => "result" as const));
      const next = await Promise.race(waits);
      if (next === "item") {
        const taken = await pull!;
        pull = null;
        if (taken.done) exhausted = true;
        else {
          queue.push({ item: taken.value, result: null, settled: false });
          startTasks();
        }
        continue;
      }
      const entry = queue.shift()!;
      yield await entry.result!;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    const unsettled = queue.some((entry) => entry.result !== null && !entry.settled);
    for (const entry of queue) entry.result?.catch(() => {});
    queue.length = 0;
    if (unsettled) tasks.abort(new DOMException("The search stopped", "AbortError"));
    if (!exhausted) {
      pull?.catch(() => {});
      // Queued behind a pending next(): the source's own clean-up runs once that has settled.
      iterator.return?.()?.catch(() => {});
    }
  }
}
