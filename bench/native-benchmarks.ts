/** Benchmarks of the native layer: open, the chunk line index, random reads. */
import { closeSync, openSync, readSync } from "node:fs";
import { openMappedFile } from "../native/index.js";
import { SeededRandom } from "./corpora.js";
import { type Benchmark, timeRatio } from "./harness.js";
import { hasCommand, median, medianTime, nowMs, percentile, runPeer } from "./measure.js";

const CHUNK_BYTES = 64 * 1024;
const GiBf = 1024 ** 3;

export const openBenchmark: Benchmark = {
  name: "open",
  description: "mmap + identity + close of the whole file (size-independent)",
  wants: () => true,
  async run(corpus) {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = nowMs();
      const file = openMappedFile(corpus.path);
      void file.identity;
      file.close();
      times.push(nowMs() - start);
    }
    return [
      { bench: "open", corpus: corpus.name, metric: "p50", value: median(times), unit: "ms" },
      { bench: "open", corpus: corpus.name, metric: "p99", value: percentile(times, 99), unit: "ms" },
    ];
  },
};

export const chunkIndexBenchmark: Benchmark = {
  name: "index",
  description: "newline count per 64 KiB chunk of the whole file (both cores) vs wc -l",
  wants: () => true,
  async run(corpus, { runs }) {
    const file = openMappedFile(corpus.path);
    let total = 0;
    const ours = await medianTime(runs, async () => {
      const { lineFeeds } = await file.startChunkIndex(CHUNK_BYTES).promise;
      total = lineFeeds.reduce((sum, count) => sum + count, 0);
    });
    file.close();
    let wcLines = Number.NaN;
    const peer = hasCommand("wc")
      ? await medianTime(runs, () => {
          wcLines = Number.parseInt(runPeer("wc", ["-l", corpus.path]), 10);
        })
      : Number.NaN;
    if (!Number.isNaN(wcLines) && wcLines !== total) {
      throw new Error(`index counted ${total} newlines in ${corpus.name}, wc -l says ${wcLines}`);
    }
    const throughput = corpus.size / GiBf / (ours / 1000);
    return [
      {
        bench: "index",
        corpus: corpus.name,
        metric: "time",
        value: ours,
        unit: "ms",
        peer: "wc -l",
        peerValue: peer,
        ratio: timeRatio(ours, peer),
        note: `${throughput.toFixed(2)} GiB/s, ${total} LF`,
      },
    ];
  },
};

export const randomReadBenchmark: Benchmark = {
  name: "read64k",
  description: "random 64 KiB reads into a new Buffer vs fs.readSync into a new Buffer",
  wants: () => true,
  async run(corpus) {
    const reads = 5000;
    const file = openMappedFile(corpus.path);
    const random = new SeededRandom(42);
    const positions = Array.from({ length: reads }, () =>
      random.below(Math.max(1, corpus.size - CHUNK_BYTES)),
    );
    const ours: number[] = [];
    for (const position of positions) {
      const start = nowMs();
      file.read(position, position + CHUNK_BYTES);
      ours.push(nowMs() - start);
    }
    file.close();
    const fd = openSync(corpus.path, "r");
    const peer: number[] = [];
    for (const position of positions) {
      const start = nowMs();
      // Like read(): a new Buffer per call.
      readSync(fd, Buffer.allocUnsafe(CHUNK_BYTES), 0, CHUNK_BYTES, position);
      peer.push(nowMs() - start);
    }
    closeSync(fd);
    return ["p50", "p99"].map((metric) => {
      const p = metric === "p50" ? 50 : 99;
      const value = percentile(ours, p) * 1000;
      const peerValue = percentile(peer, p) * 1000;
      return {
        bench: "read64k",
        corpus: corpus.name,
        metric,
        value,
        unit: "µs",
        peer: "fs.readSync",
        peerValue,
        ratio: timeRatio(value, peerValue),
      };
    });
  },
};

export const nativeBenchmarks = [openBenchmark, chunkIndexBenchmark, randomReadBenchmark];
