/**
 * UTF-16 in the engine: a UTF-16LE log (the run's first log corpus, up to 512 MiB of it, as
 * UTF-16LE with 上海 in many lines, so 0x0A bytes abound that are no line feeds) — its line index
 * by code units vs `iconv -f UTF-16LE -t UTF-8 | wc -l`, and a literal count vs `rg -c -E
 * utf-16le` (a peer that is not installed is skipped, and the row says so).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { openMappedFile } from "../native/index.js";
import { type Benchmark, type Corpus, type ResultRow, timeRatio } from "./harness.js";
import { hasCommand, medianTime, runPeer } from "./measure.js";

const CHUNK_BYTES = 64 * 1024;
const SOURCE_MAX_BYTES = 512 * 1024 * 1024;
const STEP_BYTES = 16 * 1024 * 1024;
const GiBf = 1024 ** 3;
/** Once per line at most (the log level), so rg's line count and our match count agree. */
const NEEDLE = "ERROR";

/** Writes the first bytes of an ASCII log as UTF-16LE (cut at a line end); returns its size. */
function writeUtf16Log(source: string, target: string): number {
  const input = openSync(source, "r");
  const output = openSync(target, "w");
  let written = 0;
  try {
    const block = Buffer.alloc(STEP_BYTES);
    let carry = "";
    for (let read = 0; read < SOURCE_MAX_BYTES; ) {
      const got = readSync(input, block, 0, block.length, read);
      if (got === 0) break;
      read += got;
      const text = carry + block.toString("latin1", 0, got);
      const cut = text.lastIndexOf("\n") + 1;
      carry = text.slice(cut);
      const units = Buffer.from(text.slice(0, cut).replaceAll(" user=", " 上海="), "utf16le");
      writeSync(output, units, 0, units.length, written);
      written += units.length;
    }
  } finally {
    closeSync(input);
    closeSync(output);
  }
  return written;
}

/** The first log corpus of the run (the UTF-16 rows are made once, from it). */
function isFirstLog(corpus: Corpus, all: readonly Corpus[]): boolean {
  return corpus === all.find((each) => each.kind === "log");
}

export const utf16Benchmark: Benchmark = {
  name: "utf16",
  description: "UTF-16LE log: line index by code units vs iconv | wc -l; literal count vs rg -c -E utf-16le",
  wants: isFirstLog,
  async run(corpus, { runs }) {
    const path = `${corpus.path}.utf16le`;
    const size = writeUtf16Log(corpus.path, path);
    const name = `utf16le-${Math.round(size / (1024 * 1024))}m`;
    const rows: ResultRow[] = [];
    const file = openMappedFile(path);
    try {
      let lineFeeds = 0;
      const index = await medianTime(runs, async () => {
        const { lineFeeds: counts } = await file.startChunkIndex(CHUNK_BYTES, undefined, false, "utf-16le")
          .promise;
        lineFeeds = counts.reduce((sum, count) => sum + count, 0);
      });
      const iconv = hasCommand("iconv") && hasCommand("wc");
      let peerLines = Number.NaN;
      const iconvTime = iconv
        ? await medianTime(runs, () => {
            peerLines = Number.parseInt(
              runPeer("sh", ["-c", `iconv -f UTF-16LE -t UTF-8 '${path}' | wc -l`]),
              10,
            );
          })
        : Number.NaN;
      if (iconv && peerLines !== lineFeeds) {
        throw new Error(`the UTF-16 index counted ${lineFeeds} line feeds, iconv | wc -l says ${peerLines}`);
      }
      rows.push({
        bench: "utf16-index",
        corpus: name,
        metric: "time",
        value: index,
        unit: "ms",
        peer: iconv ? "iconv -f UTF-16LE | wc -l" : "iconv | wc -l (not installed: skipped)",
        peerValue: iconvTime,
        ratio: timeRatio(index, iconvTime),
        note: `${(size / GiBf / (index / 1000)).toFixed(2)} GiB/s, ${lineFeeds} LF`,
      });
      const needle = Buffer.from(NEEDLE, "utf16le");
      let matches = 0;
      const find = await medianTime(runs, async () => {
        matches = (await file.startFind(needle, 0, size, undefined, "utf-16le").promise).length;
      });
      const rg = hasCommand("rg");
      let peerMatches = Number.NaN;
      const rgTime = rg
        ? await medianTime(runs, () => {
            peerMatches = Number.parseInt(runPeer("rg", ["-c", "-E", "utf-16le", NEEDLE, path]) || "0", 10);
          })
        : Number.NaN;
      if (rg && peerMatches !== matches) {
        throw new Error(`the UTF-16 find counted ${matches} matches, rg -c says ${peerMatches} lines`);
      }
      rows.push({
        bench: "utf16-find",
        corpus: name,
        metric: "time",
        value: find,
        unit: "ms",
        peer: rg ? "rg -c -E utf-16le" : "rg -c -E utf-16le (not installed: skipped)",
        peerValue: rgTime,
        ratio: timeRatio(find, rgTime),
        note: `literal "${NEEDLE}", ${matches} matches`,
      });
    } finally {
      file.close();
      rmSync(path, { force: true });
    }
    return rows;
  },
};

export const utf16Benchmarks: Benchmark[] = [utf16Benchmark];
