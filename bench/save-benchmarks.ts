/** Saving: a log with 1 000 scattered edits written out, against `cp` (+ fsync) of the same file. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { open } from "../piece-table/index.js";
import { SeededRandom } from "./corpora.js";
import { type Benchmark, timeRatio } from "./harness.js";
import { median, nowMs } from "./measure.js";

/**
 * Waits for the disk to be quiet before a timed write: a 1 GiB file just synced and deleted keeps
 * the filesystem busy (freeing its blocks, the journal) for a second or so, and whichever write
 * came next was measured slower (ours always followed one: 0.80× cp + sync back to back, ≥ 1.0×
 * with the disk settled before each).
 */
async function settleDisk(): Promise<void> {
  spawnSync("sync");
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

export const saveBenchmark: Benchmark = {
  name: "save",
  description:
    "saveAs of a log with 1 000 scattered edits (temp + copy_file_range + fsync + rename) vs cp + sync",
  wants: (corpus) => corpus.kind === "log",
  async run(corpus, { runs }) {
    const folder = dirname(corpus.path);
    const ours: number[] = [];
    const peer: number[] = [];
    const peerNoSync: number[] = [];
    const repeats = Math.min(runs, 3);
    for (let run = 0; run < repeats; run++) {
      const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-save-"));
      const target = join(folder, `saved-${run}.log`);
      try {
        const doc = await open(corpus.path, { stateDir });
        const random = new SeededRandom(100 + run);
        for (let i = 0; i < 1000; i++) doc.insert(random.below(doc.length + 1), "edited line\n");
        await settleDisk();
        const start = nowMs();
        await doc.saveAs(target);
        ours.push(nowMs() - start);
        await doc.discard();
      } finally {
        rmSync(target, { force: true });
        rmSync(stateDir, { recursive: true, force: true });
      }
      const copy = join(folder, `copied-${run}.log`);
      await settleDisk();
      let start = nowMs();
      spawnSync("cp", [corpus.path, copy]);
      peerNoSync.push(nowMs() - start);
      rmSync(copy, { force: true });
      await settleDisk();
      start = nowMs();
      const result = spawnSync("sh", ["-c", `cp "${corpus.path}" "${copy}" && sync "${copy}"`]);
      peer.push(nowMs() - start);
      rmSync(copy, { force: true });
      if (result.status !== 0) throw new Error(`cp failed: ${result.stderr}`);
    }
    const value = median(ours);
    const peerValue = median(peer);
    return [
      {
        bench: "save",
        corpus: corpus.name,
        metric: "time",
        value,
        unit: "ms",
        peer: "cp + sync",
        peerValue,
        ratio: timeRatio(value, peerValue),
        note: `1000 edits; cp without sync: ${median(peerNoSync).toFixed(0)} ms`,
      },
    ];
  },
};

export const appendSaveBenchmark: Benchmark = {
  name: "append",
  description: "save() of 1 MiB appended to the log (the in-place fast path), size-independent",
  wants: (corpus) => corpus.kind === "log",
  async run(corpus, { runs }) {
    const times: number[] = [];
    const appended = Buffer.alloc(1024 * 1024, "appended log line\n");
    for (let run = 0; run < runs; run++) {
      const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-append-"));
      try {
        const doc = await open(corpus.path, { stateDir });
        doc.insert(doc.length, appended);
        const start = nowMs();
        await doc.save();
        times.push(nowMs() - start);
        await doc.discard();
      } finally {
        // Put the corpus back as it was for the next benchmark.
        truncateSync(corpus.path, corpus.size);
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
    return [
      {
        bench: "append save",
        corpus: corpus.name,
        metric: "time",
        value: median(times),
        unit: "ms",
        note: "1 MiB",
      },
    ];
  },
};

export const saveBenchmarks = [saveBenchmark, appendSaveBenchmark];
