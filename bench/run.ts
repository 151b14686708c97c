/**
 * `npm run bench [-- --size 1g,4g] [--only index,open] [--runs 5] [--keep]`
 *
 * Generates seeded corpora in a temp folder, warms the page cache, runs each benchmark several
 * times against the peers available on this machine, prints a table and writes JSON to
 * bench/results/. Ratios > 1 mean Gigapad is better than the peer.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cliBenchmarks } from "./cli-benchmarks.js";
import {
  corpusFolder,
  MiB,
  parseSize,
  warmCache,
  writeCrlfInvalidCorpus,
  writeLogCorpus,
  writeSingleLineCorpus,
} from "./corpora.js";
import { editorBenchmarks } from "./editor-benchmarks.js";
import { engineBenchmarks } from "./engine-benchmarks.js";
import type { Benchmark, Corpus, ResultRow } from "./harness.js";
import { nowMs } from "./measure.js";
import { nativeBenchmarks } from "./native-benchmarks.js";
import { saveBenchmarks } from "./save-benchmarks.js";
import { sessionBenchmarks } from "./session-benchmarks.js";
import { uiBenchmarks } from "./ui-benchmarks.js";
import { utf16Benchmarks } from "./utf16-benchmarks.js";

const benchmarks: Benchmark[] = [
  ...nativeBenchmarks,
  ...cliBenchmarks,
  ...engineBenchmarks,
  ...sessionBenchmarks,
  ...saveBenchmarks,
  ...uiBenchmarks,
  ...editorBenchmarks,
  ...utf16Benchmarks,
];

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function printTable(rows: ResultRow[]): void {
  const header = ["bench", "corpus", "metric", "gigapad", "unit", "peer", "peer value", "ratio", "note"];
  const cells = rows.map((row) => [
    row.bench,
    row.corpus,
    row.metric,
    formatNumber(row.value),
    row.unit,
    row.peer ?? "",
    formatNumber(row.peerValue),
    row.ratio === undefined || Number.isNaN(row.ratio) ? "" : `${row.ratio.toFixed(2)}×`,
    row.note ?? "",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const line = (values: string[]) => values.map((value, column) => value.padEnd(widths[column]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of cells) console.log(line(row));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "1g,4g" },
      only: { type: "string" },
      runs: { type: "string", default: "5" },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
    },
  });
  const sizes = values.size.split(",").map(parseSize);
  const only = values.only?.split(",").map((name) => name.trim());
  const runs = Number.parseInt(values.runs, 10);
  const selected = benchmarks.filter((bench) => !only || only.includes(bench.name));
  if (selected.length === 0) {
    throw new Error(`no benchmark named ${values.only}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
  }

  const { dir, cleanup } = corpusFolder();
  const rows: ResultRow[] = [];
  try {
    const corpora: Corpus[] = [];
    for (const size of sizes) {
      const label = size >= 1024 ** 3 ? `${size / 1024 ** 3}g` : `${Math.round(size / MiB)}m`;
      corpora.push({ name: `log-${label}`, kind: "log", path: join(dir, `log-${label}.log`), size });
    }
    corpora.push({
      name: "crlf-invalid-256m",
      kind: "crlf-invalid",
      path: join(dir, "crlf.txt"),
      size: 256 * MiB,
    });
    corpora.push({
      name: "one-line-256m",
      kind: "single-line",
      path: join(dir, "line.json"),
      size: 256 * MiB,
    });
    const writers = {
      log: writeLogCorpus,
      "crlf-invalid": writeCrlfInvalidCorpus,
      "single-line": writeSingleLineCorpus,
    };
    for (const corpus of corpora) {
      if (!selected.some((bench) => bench.wants(corpus, corpora))) continue;
      const start = nowMs();
      writers[corpus.kind](corpus.path, corpus.size);
      console.error(`generated ${corpus.name} in ${((nowMs() - start) / 1000).toFixed(1)} s`);
      for (const bench of selected) {
        if (!bench.wants(corpus, corpora)) continue;
        warmCache(corpus.path);
        console.error(`running ${bench.name} on ${corpus.name}...`);
        rows.push(...(await bench.run(corpus, { runs })));
      }
      // Free the disk before the next corpus (4 GiB ones add up).
      if (!values.keep) writeFileSync(corpus.path, "");
    }
  } finally {
    if (!values.keep) cleanup();
    else console.error(`corpora kept in ${dir}`);
  }

  printTable(rows);
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 1024 ** 3) },
    node: process.version,
    runs,
    rows,
  };
  const outFile =
    values.out ??
    join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "results", `bench-${Date.now()}.json`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`results written to ${outFile}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
