/** Benchmarks of the session store: commit latency by edits since the last commit, recovery time. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../piece-table/index.js";
import { SeededRandom } from "./corpora.js";
import type { Benchmark, ResultRow } from "./harness.js";
import { nowMs, percentile } from "./measure.js";

export const commitBenchmark: Benchmark = {
  name: "commit",
  description: "commit latency (three phases, fdatasync each) after 1, 100 and 10 000 edits",
  wants: (corpus) => corpus.kind === "log" && corpus.size <= 1024 ** 3,
  async run(corpus) {
    const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-session-"));
    const rows: ResultRow[] = [];
    try {
      const doc = await open(corpus.path, { stateDir });
      const random = new SeededRandom(21);
      // The first commit writes the session's snapshot; measure the deltas after it.
      doc.insert(0, "warm-up\n");
      await doc.commit();
      for (const [edits, repeats] of [
        [1, 50],
        [100, 30],
        [10_000, 8],
      ] as const) {
        const times: number[] = [];
        for (let r = 0; r < repeats; r++) {
          for (let i = 0; i < edits; i++) doc.insert(random.below(doc.length + 1), "edit ");
          const start = nowMs();
          await doc.commit();
          times.push(nowMs() - start);
        }
        for (const p of [50, 99]) {
          rows.push({
            bench: "commit",
            corpus: corpus.name,
            metric: `p${p}`,
            value: percentile(times, p),
            unit: "ms",
            note: `${edits} edit${edits === 1 ? "" : "s"} since the last commit`,
          });
        }
      }
      await doc.discard();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
    return rows;
  },
};

export const recoveryBenchmark: Benchmark = {
  name: "recovery",
  description: "open() of a file whose session holds 10⁵ edits (snapshot + deltas replayed)",
  wants: (corpus) => corpus.kind === "log",
  async run(corpus) {
    const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-session-"));
    try {
      const doc = await open(corpus.path, { stateDir });
      const random = new SeededRandom(5);
      for (let i = 0; i < 100_000; i++) {
        doc.insert(random.below(doc.length + 1), "edit ");
        if (i % 1000 === 999) await doc.commit();
      }
      const expectedLength = doc.length;
      await doc.close();
      const plainStart = nowMs();
      const plain = await open(corpus.path, { readOnly: true, stateDir: join(stateDir, "none") });
      const plainOpen = nowMs() - plainStart;
      await plain.close();
      const start = nowMs();
      const recovered = await open(corpus.path, { stateDir });
      const elapsed = nowMs() - start;
      if (recovered.length !== expectedLength || recovered.recovered?.edits !== 100_000) {
        throw new Error(`recovery gave ${recovered.length} bytes, ${recovered.recovered?.edits} edits`);
      }
      await recovered.discard();
      return [
        {
          bench: "recovery",
          corpus: corpus.name,
          metric: "time",
          value: elapsed,
          unit: "ms",
          peer: "open without a session",
          peerValue: plainOpen,
          note: "10⁵ edits, committed every 1000",
        },
      ];
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
};

export const sessionBenchmarks = [commitBenchmark, recoveryBenchmark];
