/**
 * The command line as a user meets it: each command a fresh process (Node's start, the CLI's
 * imports, mapping the file, the work, exit), best of 3 after one warm-up run, on a warm page
 * cache, against the fastest mode of the peer measured in the same run:
 * - `gigapad info FILE` vs `wc -l FILE`;
 * - `gigapad run SCRIPT FILE`, a script printing `await doc.countMatches(PATTERN)`, vs
 *   `rg --no-mmap --count-matches` and `rg --count-matches` (mmap), for a literal, a regex with a
 *   required literal (the engine's prefilter) and a regex with none; the three run in turn, run
 *   by run, so other work on the machine slows them alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Benchmark, type Corpus, type ResultRow, timeRatio } from "./harness.js";
import { bestOf, bestOfInterleaved, hasCommand, runFresh } from "./measure.js";

const cliPath = fileURLToPath(new URL("../../cli/gigapad.mjs", import.meta.url));
const isLog = (corpus: Corpus) => corpus.kind === "log";
/** Fresh processes timed per command (after one warm-up run). */
const RUNS = 3;
const BEST = `fresh process, best of ${RUNS}`;

export const RG_MISSING = "not measured: ripgrep not installed";

/**
 * ripgrep with `--no-mmap` and as it comes (it maps a single file), best of 3 each: the faster
 * is the peer. `args` ends with the pattern and the file.
 */
export async function fastestRg(
  args: string[],
): Promise<{ label: string; ms: number; stdout: string; other: string } | null> {
  if (!hasCommand("rg")) return null;
  const noMmap = await bestOf(RUNS, () => runFresh("rg", ["--no-mmap", ...args]));
  const mmap = await bestOf(RUNS, () => runFresh("rg", args));
  return fastestOf(noMmap, mmap, args);
}

/** The faster of ripgrep's two modes, timed as `fastestRg` says; `args` ends with the pattern and file. */
function fastestOf(
  noMmap: { ms: number; result: string },
  mmap: { ms: number; result: string },
  args: string[],
): { label: string; ms: number; stdout: string; other: string } {
  const noMmapLabel = `rg --no-mmap ${args.slice(0, -2).join(" ")}`;
  const mmapLabel = `rg ${args.slice(0, -2).join(" ")}`;
  return noMmap.ms <= mmap.ms
    ? {
        label: noMmapLabel,
        ms: noMmap.ms,
        stdout: noMmap.result,
        other: `${mmapLabel} (mmap, the default): ${mmap.ms.toFixed(0)} ms`,
      }
    : {
        label: mmapLabel,
        ms: mmap.ms,
        stdout: mmap.result,
        other: `rg --no-mmap: ${noMmap.ms.toFixed(0)} ms`,
      };
}

export const infoProcessBenchmark: Benchmark = {
  name: "info",
  description: "`gigapad info FILE` as a fresh process vs `wc -l FILE`, best of 3 warm",
  wants: isLog,
  async run(corpus) {
    const ours = await bestOf(RUNS, () => runFresh(process.execPath, [cliPath, "info", corpus.path]));
    const lines = Number(/^lines\s+(\d+)/m.exec(ours.result)?.[1]);
    const wc = await bestOf(RUNS, () => runFresh("wc", ["-l", corpus.path]));
    const wcLines = Number.parseInt(wc.result, 10);
    // wc counts line ends; the editor counts lines (one more when the file ends with one).
    if (lines !== wcLines + 1 && lines !== wcLines)
      throw new Error(`info says ${lines} lines, wc -l ${wcLines}`);
    return [
      {
        bench: "info",
        corpus: corpus.name,
        metric: BEST,
        value: ours.ms,
        unit: "ms",
        peer: "wc -l",
        peerValue: wc.ms,
        ratio: timeRatio(ours.ms, wc.ms),
        note: `${lines} lines`,
      },
    ];
  },
};

const countCases: { name: string; pattern: string; source: string; note: string }[] = [
  { name: "literal", pattern: "ERROR", source: JSON.stringify("ERROR"), note: "native, all cores" },
  {
    name: "regex with a literal",
    pattern: "ERROR \\[worker-1\\d\\]",
    source: String(/ERROR \[worker-1\d\]/),
    note: "prefilter 'ERROR ['",
  },
  {
    name: "regex, no literal",
    pattern: "\\b\\d{6}\\b",
    source: String(/\b\d{6}\b/),
    note: "no required literal: every byte through RegExp",
  },
];

export const runCountBenchmark: Benchmark = {
  name: "run",
  description:
    "`gigapad run SCRIPT FILE` printing doc.countMatches(PATTERN), fresh process, vs `rg --count-matches` (both read modes)",
  wants: isLog,
  async run(corpus) {
    const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-run-"));
    const env = { ...process.env, GIGAPAD_STATE_DIR: join(dir, "state") };
    const rows: ResultRow[] = [];
    try {
      for (const { name, pattern, source, note } of countCases) {
        const script = join(dir, `count-${rows.length}.mjs`);
        writeFileSync(
          script,
          `export default async function (doc) {\n  console.log(await doc.countMatches(${source}));\n}\n`,
        );
        // Gigapad and both ripgrep modes in turn, run by run (see bestOfInterleaved).
        const hasRg = hasCommand("rg");
        const rgArgs = ["--count-matches", pattern, corpus.path];
        const times = await bestOfInterleaved(RUNS, {
          ours: () => runFresh(process.execPath, [cliPath, "run", script, corpus.path], env),
          ...(hasRg
            ? {
                noMmap: () => runFresh("rg", ["--no-mmap", ...rgArgs]),
                mmap: () => runFresh("rg", rgArgs),
              }
            : {}),
        });
        const ours = times.ours!;
        const count = Number.parseInt(ours.result, 10);
        const row: ResultRow = {
          bench: `run: count ${name}`,
          corpus: corpus.name,
          metric: BEST,
          value: ours.ms,
          unit: "ms",
          note: `/${pattern}/: ${count} matches; ${note}`,
        };
        const rg = hasRg ? fastestOf(times.noMmap!, times.mmap!, rgArgs) : null;
        if (!rg) {
          row.peer = "rg";
          row.peerValue = Number.NaN;
          row.note = `${RG_MISSING}; ${row.note}`;
        } else {
          const rgCount = Number.parseInt(rg.stdout || "0", 10);
          if (rgCount !== count) throw new Error(`run: count ${name}: ${count} matches, rg says ${rgCount}`);
          row.peer = rg.label;
          row.peerValue = rg.ms;
          row.ratio = timeRatio(ours.ms, rg.ms);
          row.note = `${row.note}; ${rg.other}`;
        }
        rows.push(row);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export const cliBenchmarks = [infoProcessBenchmark, runCountBenchmark];
