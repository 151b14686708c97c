/** Benchmarks of the engine: edits at scale, line lookups, find, and VS Code's piece tree. */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vscodeTextBuffer from "vscode-textbuffer";
import { open } from "../piece-table/index.js";
import { countPieces } from "../piece-table/piece-tree.js";
import { MiB, SeededRandom } from "./corpora.js";
import { type Benchmark, type Corpus, type ResultRow, timeRatio } from "./harness.js";
import { hasCommand, medianTime, nowMs, percentile, runPeer } from "./measure.js";

const isLog = (corpus: Corpus) => corpus.kind === "log";
/** vscode-textbuffer's DefaultEndOfLine.LF (a const enum, which plain JS cannot import). */
const VSCODE_EOL_LF = 1;

/** A state folder for the benchmark's documents, removed afterwards. */
async function withDocument<T>(
  path: string,
  work: (doc: Awaited<ReturnType<typeof open>>) => Promise<T>,
): Promise<T> {
  const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-state-"));
  const doc = await open(path, { stateDir });
  try {
    return await work(doc);
  } finally {
    await doc.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function microsecondRows(
  bench: string,
  corpus: string,
  samples: number[],
  extra: Partial<ResultRow> = {},
  peerSamples?: number[],
  peer?: string,
): ResultRow[] {
  return (["p50", "p99"] as const).map((metric) => {
    const p = metric === "p50" ? 50 : 99;
    const value = percentile(samples, p) * 1000;
    const row: ResultRow = { bench, corpus, metric, value, unit: "µs", ...extra };
    if (peerSamples && peer) {
      row.peer = peer;
      row.peerValue = percentile(peerSamples, p) * 1000;
      row.ratio = timeRatio(value, row.peerValue);
    }
    return row;
  });
}

export const editBenchmark: Benchmark = {
  name: "edits",
  description: "random insert / delete latency at 10³, 10⁵, 10⁶ pieces, and heap bytes per piece",
  wants: (corpus) => corpus.kind === "log" && corpus.size <= 1024 * MiB,
  async run(corpus) {
    const rows: ResultRow[] = [];
    // Warm the JIT on a throwaway document first, so the first row measures edits, not compiling.
    await withDocument(corpus.path, async (doc) => {
      const random = new SeededRandom(1);
      for (let i = 0; i < 20_000; i++) {
        doc.insert(random.below(doc.length + 1), "ab");
        const from = random.below(doc.length - 10);
        doc.delete(from, from + 1 + random.below(8));
      }
    });
    await withDocument(corpus.path, async (doc) => {
      // Steady state: edits right after open (line index still building) count what they split.
      await doc.whenIndexed();
      const random = new SeededRandom(7);
      for (const pieces of [1_000, 100_000, 1_000_000]) {
        // Grow the document's own tree to the target by scattered one-byte inserts.
        while (countPieces(doc.snapshot().root) < pieces) {
          const missing = pieces - countPieces(doc.snapshot().root);
          for (let i = 0; i < Math.max(1, missing >> 1); i++) doc.insert(random.below(doc.length + 1), "x");
        }
        const inserts: number[] = [];
        const deletes: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const at = random.below(doc.length + 1);
          let start = nowMs();
          doc.insert(at, "ab");
          inserts.push(nowMs() - start);
          const from = random.below(doc.length - 10);
          start = nowMs();
          doc.delete(from, from + 1 + random.below(8));
          deletes.push(nowMs() - start);
        }
        const label = `${pieces.toExponential(0).replace("e+", "e")} pieces`;
        rows.push(...microsecondRows("insert", corpus.name, inserts, { note: label }));
        rows.push(...microsecondRows("delete", corpus.name, deletes, { note: label }));
      }
    });
    // Heap per piece: a tree of 10⁶ pieces in a fresh process, nothing else retained.
    const probe = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        fileURLToPath(new URL("./memory-probe.js", import.meta.url)),
        "1000000",
        String(corpus.size),
      ],
      { encoding: "utf8" },
    );
    if (probe.status !== 0) throw new Error(`memory probe failed: ${probe.stderr}`);
    const { pieces, bytesPerPiece, height } = JSON.parse(probe.stdout);
    rows.push({
      bench: "memory",
      corpus: corpus.name,
      metric: "per piece",
      value: bytesPerPiece,
      unit: "B",
      note: `${pieces} pieces, height ${height}`,
    });
    return rows;
  },
};

export const lineLookupBenchmark: Benchmark = {
  name: "lines",
  description: "lineStart / lineAt / getLine of random lines on an indexed file",
  wants: isLog,
  async run(corpus) {
    return withDocument(corpus.path, async (doc) => {
      await doc.whenIndexed();
      const random = new SeededRandom(11);
      const lineCount = doc.lineCount();
      // A few edits so the tree is not a single piece.
      for (let i = 0; i < 1000; i++) doc.insert(random.below(doc.length + 1), "edit\n");
      const starts: number[] = [];
      const ats: number[] = [];
      const gets: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const line = random.below(lineCount);
        let start = nowMs();
        doc.lineStart(line);
        starts.push(nowMs() - start);
        const offset = random.below(doc.length);
        start = nowMs();
        doc.lineAt(offset);
        ats.push(nowMs() - start);
        start = nowMs();
        doc.getLine(line);
        gets.push(nowMs() - start);
      }
      return [
        ...microsecondRows("lineStart", corpus.name, starts),
        ...microsecondRows("lineAt", corpus.name, ats),
        ...microsecondRows("getLine", corpus.name, gets),
      ];
    });
  },
};

export const findBenchmark: Benchmark = {
  name: "find",
  description: "count every match, literal and regex, vs `rg --count-matches`",
  wants: (corpus) => corpus.kind === "log",
  async run(corpus, { runs }) {
    const cases: { name: string; pattern: string | RegExp; rgArgs: string[] }[] = [
      { name: "literal", pattern: "timeout=", rgArgs: ["-F", "timeout="] },
      { name: "literal-rare", pattern: "id=4242424", rgArgs: ["-F", "id=4242424"] },
      { name: "regex", pattern: /ERROR \[worker-1\d\]/, rgArgs: ["ERROR \\[worker-1\\d\\]"] },
    ];
    const rows: ResultRow[] = [];
    await withDocument(corpus.path, async (doc) => {
      for (const { name, pattern, rgArgs } of cases) {
        let count = 0;
        const ours = await medianTime(runs, async () => {
          count = await doc.countMatches(pattern);
        });
        let iterated = 0;
        const iterating = await medianTime(1, async () => {
          for await (const _match of doc.find(pattern)) iterated++;
        });
        if (iterated !== count)
          throw new Error(`find ${name}: iterating gave ${iterated}, counting ${count}`);
        let peer = Number.NaN;
        let rgCount = Number.NaN;
        // ripgrep reading with read(2), as the editor's scans mostly do (its default maps a file).
        let noMmap = Number.NaN;
        if (hasCommand("rg")) {
          peer = await medianTime(runs, () => {
            rgCount = Number.parseInt(runPeer("rg", ["--count-matches", ...rgArgs, corpus.path]) || "0", 10);
          });
          if (rgCount !== count) throw new Error(`find ${name}: ${count} matches, rg says ${rgCount}`);
          noMmap = await medianTime(runs, () => {
            runPeer("rg", ["--no-mmap", "--count-matches", ...rgArgs, corpus.path]);
          });
        }
        rows.push({
          bench: `find ${name}`,
          corpus: corpus.name,
          metric: "time",
          value: ours,
          unit: "ms",
          peer: hasCommand("rg") ? "rg --count-matches" : "rg (not installed)",
          peerValue: peer,
          ratio: timeRatio(ours, peer),
          note: `${count} matches, ${(corpus.size / 1024 ** 3 / (ours / 1000)).toFixed(2)} GiB/s; iterating: ${iterating.toFixed(0)} ms; rg --no-mmap ${noMmap.toFixed(0)} ms (${timeRatio(ours, noMmap).toFixed(2)}×)`,
        });
      }
    });
    return rows;
  },
};

/** Reads up to `bytes` of a file as a string, cut at a line end (what VS Code's buffer can load). */
function readPrefix(path: string, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  const fd = openSync(path, "r");
  const got = readSync(fd, buffer, 0, bytes, 0);
  closeSync(fd);
  const end = buffer.subarray(0, got).lastIndexOf(10) + 1;
  return buffer.subarray(0, end).toString("latin1");
}

export const vscodeBenchmark: Benchmark = {
  name: "vscode",
  description: "load, random edits and getLineContent vs vscode-textbuffer (on the first 256 MiB)",
  wants: (corpus) => corpus.kind === "log" && corpus.size <= 1024 * MiB,
  async run(corpus, { runs }) {
    const text = readPrefix(corpus.path, 256 * MiB);
    const slicePath = join(mkdtempSync(join(tmpdir(), "gigapad-bench-vscode-")), "slice.log");
    writeFileSync(slicePath, text, "latin1");
    const name = `${corpus.name}[:256m]`;
    const rows: ResultRow[] = [];
    try {
      // Load: ours maps the file and indexes it; VS Code's takes the text (already in memory).
      const oursLoad = await medianTime(runs, () =>
        withDocument(slicePath, async (doc) => {
          await doc.whenIndexed();
        }),
      );
      const build = () => {
        const builder = new vscodeTextBuffer.PieceTreeTextBufferBuilder();
        for (let at = 0; at < text.length; at += 16 * MiB) builder.acceptChunk(text.slice(at, at + 16 * MiB));
        return builder.finish(true).create(VSCODE_EOL_LF);
      };
      const theirsLoad = await medianTime(Math.min(runs, 3), () => {
        build();
      });
      rows.push({
        bench: "vs vscode load",
        corpus: name,
        metric: "time",
        value: oursLoad,
        unit: "ms",
        peer: "vscode-textbuffer",
        peerValue: theirsLoad,
        ratio: timeRatio(oursLoad, theirsLoad),
        note: "ours: map + full line index; theirs: from a string in memory",
      });
      const theirs = build();
      await withDocument(slicePath, async (doc) => {
        await doc.whenIndexed();
        const random = new SeededRandom(5);
        const edits: number[] = [];
        const theirEdits: number[] = [];
        for (let i = 0; i < 5000; i++) {
          const at = random.below(doc.length);
          let start = nowMs();
          doc.insert(at, "edit");
          edits.push(nowMs() - start);
          start = nowMs();
          theirs.insert(at, "edit");
          theirEdits.push(nowMs() - start);
        }
        rows.push(...microsecondRows("vs vscode insert", name, edits, {}, theirEdits, "vscode-textbuffer"));
        const lines: number[] = [];
        const theirLines: number[] = [];
        const lineCount = Math.min(doc.lineCount(), theirs.getLineCount());
        for (let i = 0; i < 20_000; i++) {
          const line = random.below(lineCount);
          let start = nowMs();
          const ours = doc.getLine(line);
          lines.push(nowMs() - start);
          start = nowMs();
          const theirLine = theirs.getLineContent(line + 1);
          theirLines.push(nowMs() - start);
          if (ours !== theirLine) throw new Error(`line ${line} differs from vscode-textbuffer's`);
        }
        rows.push(...microsecondRows("vs vscode getLine", name, lines, {}, theirLines, "vscode-textbuffer"));
      });
    } finally {
      rmSync(join(slicePath, ".."), { recursive: true, force: true });
    }
    return rows;
  },
};

export const engineBenchmarks = [editBenchmark, lineLookupBenchmark, findBenchmark, vscodeBenchmark];
