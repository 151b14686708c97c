/** The shape every benchmark shares: what it measures, on which corpora, and its result rows. */

export type CorpusKind = "log" | "crlf-invalid" | "single-line";

export interface Corpus {
  name: string;
  kind: CorpusKind;
  path: string;
  size: number;
}

export interface ResultRow {
  bench: string;
  corpus: string;
  metric: string;
  value: number;
  unit: string;
  /** The peer measured in the same run, its value in the same unit, and how Gigapad compares. */
  peer?: string;
  peerValue?: number;
  /** > 1 means Gigapad is better than the peer by that factor (time: peer/ours; rate: ours/peer). */
  ratio?: number;
  note?: string;
}

export interface BenchOptions {
  runs: number;
}

export interface Benchmark {
  name: string;
  description: string;
  /** Which corpora this benchmark runs on; `all` is every corpus of the run. */
  wants(corpus: Corpus, all: readonly Corpus[]): boolean;
  run(corpus: Corpus, options: BenchOptions): Promise<ResultRow[]>;
}

/** Ratio for a time (lower is better): peer / ours. */
export function timeRatio(ours: number, peer: number): number {
  return peer / ours;
}
