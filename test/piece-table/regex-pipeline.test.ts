// The regex search's pipeline (regex-pipeline.ts): results in the source's order whatever order
// the tasks end in, within its limits; failures and early stops. Then the chunked regex scan run
// through it (several 4 MiB chunks on the workers at once) against String.prototype.matchAll on
// a text whose every line has matches, so matches sit on both sides of every chunk edge.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { pipelined } from "../../piece-table/regex-pipeline.js";
import { requiredLiteralOf } from "../../piece-table/regex-source.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** A promise with its resolve and reject at hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("pipelined", () => {
  it("hands results on in the source's order, taking items ahead and running tasks within the limits", async () => {
    const count = 12;
    const taken: number[] = [];
    let yielded = 0;
    let running = 0;
    let mostRunning = 0;
    let mostAhead = 0;
    const tasks = new Map<number, ReturnType<typeof deferred<number>>>();
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < count; i++) {
        taken.push(i);
        mostAhead = Math.max(mostAhead, taken.length - yielded);
        yield i;
      }
    }
    const results = pipelined(
      source(),
      (item) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        const task = deferred<number>();
        tasks.set(item, task);
        return task.promise.finally(() => running--);
      },
      { ahead: 4, running: 2 },
    );
    const out: number[] = [];
    const consuming = (async () => {
      for await (const result of results) {
        out.push(result);
        yielded++;
      }
    })();
    // End the tasks newest first whenever two run: the results still come in order.
    for (let settled = 0; settled < count; ) {
      await tick();
      const started = [...tasks.keys()].sort((a, b) => b - a);
      for (const item of started) {
        tasks.get(item)!.resolve(item * 10);
        tasks.delete(item);
        settled++;
      }
    }
    await consuming;
    expect(out).toEqual(Array.from({ length: count }, (_, i) => i * 10));
    expect(mostRunning).toBe(2);
    expect(mostAhead).toBeLessThanOrEqual(4);
    expect(mostAhead).toBeGreaterThan(2);
  });

  it("throws the oldest task's failure, and a failure of the source, in order", async () => {
    async function* numbers(failAt = -1): AsyncGenerator<number> {
      for (let i = 0; i < 6; i++) {
        if (i === failAt) throw new Error(`source failed at ${i}`);
        yield i;
      }
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const result of pipelined(
        numbers(),
        async (item) => {
          if (item === 3) throw new Error("task 3 failed");
          // Later tasks end first: the failure still comes after the results before it.
          await new Promise((resolve) => setTimeout(resolve, 6 - item));
          return item;
        },
        { ahead: 4, running: 4 },
      ))
        seen.push(result);
    }).rejects.toThrow("task 3 failed");
    expect(seen).toEqual([0, 1, 2]);
    await expect(async () => {
      for await (const _ of pipelined(numbers(2), async (item) => item, { ahead: 2, running: 1 })) {
        // drained
      }
    }).rejects.toThrow("source failed at 2");
  });

  it("aborts the tasks still running when the consumer stops, and when the search's signal aborts", async () => {
    const signals: AbortSignal[] = [];
    const never = new Promise<number>(() => {});
    async function* three(): AsyncGenerator<number> {
      yield* [0, 1, 2];
    }
    // Task 0 ends once task 2 has started; 1 and 2 never end (a regex backtracking for ever).
    const first = deferred<number>();
    for await (const result of pipelined(
      three(),
      (item, signal) => {
        signals.push(signal);
        if (item === 2) first.resolve(0);
        return item === 0 ? first.promise : never;
      },
      { ahead: 3, running: 3 },
    )) {
      expect(result).toBe(0);
      break;
    }
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    // All tasks settled before the consumer stopped: nothing to abort.
    let seen: AbortSignal | null = null;
    for await (const _ of pipelined(
      three(),
      async (item, signal) => {
        seen = signal;
        return item;
      },
      { ahead: 1, running: 1 },
    )) {
      // drained
    }
    expect(seen!.aborted).toBe(false);
    // The search's signal reaches the tasks, with its reason.
    const search = new AbortController();
    const reason = new Error("cancelled by the user");
    const drained = (async () => {
      for await (const _ of pipelined(
        three(),
        (_item, signal) =>
          new Promise<number>((_resolve, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
          ),
        { ahead: 2, running: 2 },
        search.signal,
      )) {
        // never reached
      }
    })();
    await tick();
    search.abort(reason);
    await expect(drained).rejects.toBe(reason);
  });

  it("stops the source when the consumer stops early", async () => {
    let closed = false;
    let produced = 0;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (;;) yield produced++;
      } finally {
        closed = true;
      }
    }
    const out: number[] = [];
    for await (const result of pipelined(endless(), async (item) => item, { ahead: 3, running: 2 })) {
      out.push(result);
      if (out.length === 5) break;
    }
    await tick();
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(closed).toBe(true);
    expect(produced).toBeLessThanOrEqual(5 + 3);
  });
});

/** Non-empty matches, as the engine reports them (the text is ASCII: offsets are bytes). */
function matchAll(text: string, source: string, flags: string): [number, number][] {
  const regex = new RegExp(source, `${flags}g`);
  const out: [number, number][] = [];
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    if (match[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    out.push([match.index, match.index + match[0].length]);
  }
  return out;
}

async function collect(iterable: AsyncIterable<{ start: number; end: number }>): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for await (const match of iterable) out.push([match.start, match.end]);
  return out;
}

describe("the chunked regex scan, several chunks at once", () => {
  it("finds what matchAll finds across many 4 MiB chunk edges, with edits and in a range", async () => {
    // ~13 MiB of lines of varied length, each with numbers: chunks (4 MiB, cut at a line end)
    // end between two lines that both hold matches.
    const lines: string[] = [];
    // xorshift32, seeded: the same text every run.
    let seed = 0x9e3779b9;
    const next = (bound: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed % bound;
    };
    for (let size = 0; size < 13 * 1024 * 1024; ) {
      let line = `${100000 + next(900000)} w${next(50)}`;
      const words = next(12);
      for (let w = 0; w < words; w++) line += ` k${next(1000)}=${next(10 ** (1 + next(7)))}`;
      lines.push(line);
      size += line.length + 1;
    }
    const text = `${lines.join("\n")}\n`;
    const path = join(tempDir(), "numbers.log");
    writeFileSync(path, text);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    try {
      const patterns: [string, string][] = [
        ["\\b\\d{6}\\b", ""],
        ["^\\d+ w\\d", "m"],
        ["k\\d{2}=\\d+$", "m"],
        ["(?<==)\\d{3}\\b", ""],
      ];
      for (const [source, flags] of patterns) {
        // The plain chunked scan: no literal to prefilter on (the engine's shortest is 3 bytes).
        expect((requiredLiteralOf(source, `${flags}u`) ?? "").length).toBeLessThan(3);
        const expected = matchAll(text, source, flags);
        expect(expected.length).toBeGreaterThan(10_000);
        const regex = new RegExp(source, flags);
        expect(await collect(doc.find(regex))).toEqual(expected);
        expect(await doc.countMatches(regex)).toBe(expected.length);
      }
      // A range starting and ending mid-chunk.
      const from = 3 * 1024 * 1024 + 17;
      const to = 11 * 1024 * 1024 + 5;
      const inRange = matchAll(text.slice(from, to), "\\b\\d{6}\\b", "").map(
        ([start, end]) => [start + from, end + from] as [number, number],
      );
      expect(await collect(doc.find(/\b\d{6}\b/, { start: from, end: to }))).toEqual(inRange);
      // Inserted lines at chunk edges' neighbourhoods make added pieces the chunks read across.
      let edited = text;
      for (const at of [4 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 1, 12 * 1024 * 1024]) {
        const lineStart = edited.lastIndexOf("\n", at) + 1;
        const inserted = "424242 w1 k1=123456\n";
        doc.insert(lineStart, inserted);
        edited = edited.slice(0, lineStart) + inserted + edited.slice(lineStart);
      }
      expect(await collect(doc.find(/\b\d{6}\b/))).toEqual(matchAll(edited, "\\b\\d{6}\\b", ""));
      // Stopping early (a limit) gives the first matches.
      expect(await collect(doc.find(/\b\d{6}\b/, { limit: 7 }))).toEqual(
        matchAll(edited, "\\b\\d{6}\\b", "").slice(0, 7),
      );
    } finally {
      await doc.close();
    }
  });
});
