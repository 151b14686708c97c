/**
 * Editor jobs as a user meets them: `gigapad serve` as a child process, headless Chromium on its
 * page, the user's keys, the time from the key to the frame that shows the outcome (the first
 * task after the next animation frame), against a peer run in the same run.
 * - replace-all: Ctrl+H, ERROR, Tab, E!, Ctrl+Alt+Enter → "Replaced N matches (one undo step)",
 *   then Ctrl+S → "Saved NAME", on a log holding about 10⁶ ERRORs (the first GiB of the
 *   smallest log); also the engine alone (doc.replaceAll + doc.save()) and `sed -i` on a copy.
 * - filter: Ctrl+F, INFO, Ctrl+Shift+L on the largest log of the run → the first screen of
 *   numbered matching rows, → the full count; the page's JS heap and serve's RSS around it; the
 *   host's line filter alone; `rg -i -c INFO` (its faster read mode) or `grep -i -c INFO`.
 * The find box ignores case unless Aa is on: the engine alone and the peers do the same.
 * - follow: `gigapad serve FILE --follow` while a child process appends a marked line every
 *   200 ms, 30 times: write → the marked line drawn in the page, against `tail -F`.
 */
import { spawn } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { LineFilter } from "../host/line-filter.js";
import { type FindOptions, open } from "../piece-table/index.js";
import { CHROMIUM_INSTALL_HINT } from "./chromium.js";
import { fastestRg, RG_MISSING } from "./cli-benchmarks.js";
import { GiB } from "./corpora.js";
import { type Benchmark, type Corpus, type ResultRow, timeRatio } from "./harness.js";
import { bestOf, hasCommand, median, nowMs, percentile, runFresh } from "./measure.js";
import {
  launchBrowser,
  openEditorPage,
  processMemory,
  sameBytes,
  startServe,
  whenIndexed,
} from "./served-page.js";

const logs = (all: readonly Corpus[]) => all.filter((corpus) => corpus.kind === "log");
/** The run's smallest log: the benchmarks that need about 10⁶ matches, or a copy, run once. */
const isSmallestLog = (corpus: Corpus, all: readonly Corpus[]) =>
  corpus.kind === "log" && corpus.size === Math.min(...logs(all).map((log) => log.size));
/** The run's largest log (4 GiB when the run includes it). */
const isLargestLog = (corpus: Corpus, all: readonly Corpus[]) =>
  corpus.kind === "log" && corpus.size === Math.max(...logs(all).map((log) => log.size));

function notMeasured(bench: string, corpus: string, why: string): ResultRow {
  return { bench, corpus, metric: "not measured", value: Number.NaN, unit: "", note: why };
}

/** Copies the first `maxBytes` of `from` (cut after a line end) to `to`, synced; returns its size. */
function copyPrefix(from: string, to: string, maxBytes: number): number {
  const size = statSync(from).size;
  if (size <= maxBytes) {
    copyFileSync(from, to);
  } else {
    const block = Buffer.alloc(16 * 1024 * 1024);
    const input = openSync(from, "r");
    const output = openSync(to, "w");
    try {
      let at = 0;
      while (at < maxBytes) {
        const got = readSync(input, block, 0, Math.min(block.length, maxBytes - at), at);
        const end = at + got >= maxBytes ? block.subarray(0, got).lastIndexOf(10) + 1 : got;
        writeSync(output, block, 0, end, at);
        at += got;
        if (end < got) break;
      }
    } finally {
      closeSync(input);
      closeSync(output);
    }
  }
  // Written back now, so no writeback competes with the timed work.
  const fd = openSync(to, "r+");
  fsyncSync(fd);
  closeSync(fd);
  return statSync(to).size;
}

/**
 * What the find box asks by default (Aa, ab and .* off): a literal, ignoring case. The engine alone
 * and the peers are given the same (`sed …/gI`, `rg -i`), and where the case-sensitive way gives
 * the same bytes and is faster (`sed …/g`, `rg -c`), that is the peer.
 */
const PAGE_QUERY = { caseSensitive: false, wholeWord: false, regex: false };
const FIND = "ERROR";
const REPLACE = "E!";

/** The find count once settled ("1,234 matches" or "1 of 1,234 matches", no "…"), as a number. */
const SETTLED_COUNT = `(() => {
  const text = document.querySelector(".gp-find-count")?.textContent ?? "";
  const match = /^(?:[\\d,]+ of )?([\\d,]+) match(es)?$/.exec(text) ?? (text === "No matches" ? [text, "0"] : null);
  return match ? Number(match[1].replaceAll(",", "")) : null;
})()`;

/** A message whose text starts with `prefix`: its text. */
function messageStarting(prefix: string): string {
  return `() => [...document.querySelectorAll("#messages .gp-message span")]
    .map((span) => span.textContent ?? "").find((text) => text.startsWith(${JSON.stringify(prefix)})) ?? null`;
}

const mib = (value: number) => (Number.isNaN(value) ? "?" : `${value.toFixed(0)} MiB`);

export const replaceAllBenchmark: Benchmark = {
  name: "replace-all",
  description:
    "replace ~10⁶ matches and save: in the page (Ctrl+H … Ctrl+Alt+Enter, Ctrl+S), the engine alone, vs sed -i",
  wants: isSmallestLog,
  async run(corpus) {
    const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-replace-"));
    const name = corpus.size > GiB ? `${corpus.name}[:1g]` : corpus.name;
    const rows: ResultRow[] = [];
    try {
      // The engine alone, in this process.
      const enginePath = join(dir, "engine.log");
      const bytes = copyPrefix(corpus.path, enginePath, GiB);
      const engineState = join(dir, "engine-state");
      const doc = await open(enginePath, { stateDir: engineState });
      let count: number;
      let replaceMs: number;
      let saveMs: number;
      try {
        await doc.whenIndexed();
        const start = nowMs();
        count = await doc.replaceAll(FIND, REPLACE, PAGE_QUERY);
        replaceMs = nowMs() - start;
        const saving = nowMs();
        await doc.save();
        saveMs = nowMs() - saving;
      } finally {
        await doc.discard();
      }
      rmSync(engineState, { recursive: true, force: true });

      // The peer: sed, each way on a copy of its own — ignoring case as the page does (/gI, slow
      // in GNU sed) and not (/g); both give these bytes, so the faster is the peer.
      const seds = [`s/${FIND}/${REPLACE}/g`, `s/${FIND}/${REPLACE}/gI`].map((script, i) => {
        const path = join(dir, `sed-${i}.log`);
        copyPrefix(corpus.path, path, GiB);
        const start = nowMs();
        runFresh("sed", ["-i", script, path]);
        const ms = nowMs() - start;
        if (!sameBytes(enginePath, path))
          throw new Error(`replace-all: the engine's file differs from sed's ${script}`);
        return { label: `sed -i ${script}`, ms, path };
      });
      seds.sort((a, b) => a.ms - b.ms);
      const [fastest, slower] = seds as [(typeof seds)[0], (typeof seds)[0]];
      rmSync(slower.path);
      const sedPath = fastest.path;
      const sedMs = fastest.ms;
      const sed = fastest.label;
      const sedNote = `${slower.label}: ${slower.ms.toFixed(0)} ms`;
      rmSync(enginePath);
      const engineMs = replaceMs + saveMs;
      rows.push({
        bench: "replace-all engine",
        corpus: name,
        metric: "doc.replaceAll + doc.save()",
        value: engineMs,
        unit: "ms",
        peer: sed,
        peerValue: sedMs,
        ratio: timeRatio(engineMs, sedMs),
        note: `${count} matches in ${(bytes / 1024 ** 2).toFixed(0)} MiB: replaceAll ${replaceMs.toFixed(0)} ms, save ${saveMs.toFixed(0)} ms (synced; sed's is not); ${sedNote}`,
      });

      // In the page, with the user's keys.
      const browser = await launchBrowser();
      if (!browser) {
        rows.push(notMeasured("replace-all", name, `no Chromium: ${CHROMIUM_INSTALL_HINT}`));
        return rows;
      }
      const uiPath = join(dir, "replace.log");
      copyPrefix(corpus.path, uiPath, GiB);
      const server = await startServe(uiPath, join(dir, "ui-state"));
      try {
        const editor = await openEditorPage(browser, server.url);
        await whenIndexed(editor);
        const { page } = editor;
        await page.keyboard.press("Control+h");
        await editor.until(`document.activeElement?.className === "gp-find-input"`);
        await page.keyboard.type(FIND);
        const shown = (await editor.until(SETTLED_COUNT)) as number;
        if (shown !== count)
          throw new Error(`replace-all: the find box counts ${shown}, the engine ${count}`);
        await page.keyboard.press("Tab");
        await editor.until(`document.activeElement?.className === "gp-replace-input"`);
        await page.keyboard.type(REPLACE);
        const before = processMemory(server.pid);
        await editor.watch("replaced", messageStarting("Replaced "));
        await page.keyboard.press("Control+Alt+Enter");
        const replaced = await editor.waited<string>("replaced");
        const replacedMs = replaced.painted - (await editor.keyTime("Control+Alt+Enter"));
        const expected = `Replaced ${count.toLocaleString("en-US")} matches (one undo step)`;
        if (replaced.value !== expected) throw new Error(`replace-all: the page says '${replaced.value}'`);
        await editor.watch("saved", messageStarting(`Saved ${basename(uiPath)}`));
        await page.keyboard.press("Control+s");
        const saved = await editor.waited<string>("saved");
        const savedMs = saved.painted - (await editor.keyTime("Control+s"));
        const after = processMemory(server.pid);
        await page.context().close();
        if (!sameBytes(uiPath, sedPath)) throw new Error("replace-all: the saved file differs from sed's");
        const total = replacedMs + savedMs;
        rows.push(
          {
            bench: "replace-all",
            corpus: name,
            metric: "Ctrl+Alt+Enter → 'Replaced N' painted",
            value: replacedMs,
            unit: "ms",
            note: `${count} matches; the engine alone: ${replaceMs.toFixed(0)} ms`,
          },
          {
            bench: "replace-all",
            corpus: name,
            metric: "Ctrl+S → 'Saved' painted",
            value: savedMs,
            unit: "ms",
            note: `the engine alone: ${saveMs.toFixed(0)} ms`,
          },
          {
            bench: "replace-all",
            corpus: name,
            metric: "replace + save, in the page",
            value: total,
            unit: "ms",
            peer: sed,
            peerValue: sedMs,
            ratio: timeRatio(total, sedMs),
            note: `serve RSS ${mib(before.rss)} → ${mib(after.rss)} (anonymous ${mib(before.anon)} → ${mib(after.anon)}), peak ${mib(after.peak)}; n=1`,
          },
        );
      } finally {
        await browser.close();
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

const FILTER = "INFO";

/** The filter view shows a full screen of rows, each numbered: how many. */
const FIRST_SCREEN = `() => {
  const view = document.querySelector("#filter");
  if (!view || view.hidden) return null;
  const rows = [...view.querySelectorAll(".gp-filter-row")];
  if (rows.length === 0) return null;
  const height = rows[0].getBoundingClientRect().height || 1;
  if (rows.length < Math.floor(view.clientHeight / height)) return null;
  return rows.every((row) => row.querySelector(".gp-filter-number")?.textContent) ? rows.length : null;
}`;

/** The status bar's final filter count (no "…"). */
const FULL_COUNT = `() => {
  const text = document.querySelector('#status [data-cell="filter"]')?.textContent ?? "";
  const match = /^filter: ([\\d,]+) matching lines?$/.exec(text);
  return match ? Number(match[1].replaceAll(",", "")) : null;
}`;

/** The host's line filter on `path` in this process: the page's query, then a case-sensitive one. */
async function engineFilter(
  path: string,
  dir: string,
): Promise<{ ms: number; lines: number; caseSensitiveMs: number }> {
  const stateDir = join(dir, "engine-state");
  const doc = await open(path, { readOnly: true, stateDir });
  try {
    await doc.whenIndexed();
    const run = async (options: FindOptions) => {
      const start = nowMs();
      const filter = new LineFilter(doc, 0, FILTER, options, new AbortController().signal, () => {});
      const lines = await filter.done;
      return { ms: nowMs() - start, lines };
    };
    const page = await run(PAGE_QUERY);
    const caseSensitive = await run({ ...PAGE_QUERY, caseSensitive: true });
    return { ms: page.ms, lines: page.lines, caseSensitiveMs: caseSensitive.ms };
  } finally {
    await doc.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export const filterBenchmark: Benchmark = {
  name: "filter",
  description:
    "filter view (Ctrl+Shift+L) on the run's largest log: first screen, full count, memory, vs rg -i -c / grep -i -c",
  wants: isLargestLog,
  async run(corpus) {
    const browser = await launchBrowser();
    if (!browser) return [notMeasured("filter", corpus.name, `no Chromium: ${CHROMIUM_INSTALL_HINT}`)];
    const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-filter-"));
    const server = await startServe(corpus.path, join(dir, "state"));
    let firstMs: number;
    let countMs: number;
    let lines: number;
    let rowsShown: number;
    let heap: { before: number; after: number };
    let before: ReturnType<typeof processMemory>;
    let after: ReturnType<typeof processMemory>;
    let engine: Awaited<ReturnType<typeof engineFilter>>;
    try {
      const editor = await openEditorPage(browser, server.url);
      await whenIndexed(editor);
      const { page } = editor;
      await page.keyboard.press("Control+f");
      await page.keyboard.type(FILTER);
      await editor.until(SETTLED_COUNT);
      heap = { before: await editor.heapMiB(), after: Number.NaN };
      before = processMemory(server.pid);
      await editor.watch("first screen", FIRST_SCREEN);
      await editor.watch("full count", FULL_COUNT);
      await page.keyboard.press("Control+Shift+L");
      const first = await editor.waited<number>("first screen");
      const full = await editor.waited<number>("full count");
      const key = await editor.keyTime("Control+Shift+L");
      firstMs = first.painted - key;
      countMs = full.painted - key;
      lines = full.value;
      rowsShown = first.value;
      heap.after = await editor.heapMiB();
      after = processMemory(server.pid);
      await page.context().close();
      await browser.close();
      await server.stop();
      // The engine alone: the host's line filter in this process, the page's query and a
      // case-sensitive one (which the engine searches natively).
      engine = await engineFilter(corpus.path, dir);
    } finally {
      await browser.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    if (engine.lines !== lines)
      throw new Error(`filter: the page counts ${lines} lines, the engine ${engine.lines}`);
    // ripgrep ignoring case as the page does, and not: the same count here, the faster is the peer.
    const rgIgnoring = await fastestRg(["-i", "-c", FILTER, corpus.path]);
    const rgExact = rgIgnoring && (await fastestRg(["-c", FILTER, corpus.path]));
    const rg = rgIgnoring && rgExact && rgExact.ms < rgIgnoring.ms ? rgExact : rgIgnoring;
    const rgOther = rg === rgExact ? rgIgnoring : rgExact;
    let peer: { label: string; ms: number; count: number; note: string };
    if (rg) {
      peer = {
        label: rg.label,
        ms: rg.ms,
        count: Number.parseInt(rg.stdout, 10),
        note: `${rg.other}; ${rgOther?.label}: ${rgOther?.ms.toFixed(0)} ms`,
      };
      if (rgOther && Number.parseInt(rgOther.stdout, 10) !== peer.count)
        throw new Error(`filter: ${rg.label} and ${rgOther.label} count differently`);
    } else {
      const grep = await bestOf(3, () => runFresh("grep", ["-i", "-c", FILTER, corpus.path]));
      peer = {
        label: "grep -i -c",
        ms: grep.ms,
        count: Number.parseInt(grep.result, 10),
        note: `rg ${RG_MISSING}`,
      };
    }
    if (peer.count !== lines)
      throw new Error(`filter: the page counts ${lines} lines, ${peer.label} ${peer.count}`);
    return [
      {
        bench: "filter",
        corpus: corpus.name,
        metric: "Ctrl+Shift+L → first screen painted",
        value: firstMs,
        unit: "ms",
        note: `${rowsShown} numbered rows of /${FILTER}/; n=1`,
      },
      {
        bench: "filter",
        corpus: corpus.name,
        metric: "Ctrl+Shift+L → full count painted",
        value: countMs,
        unit: "ms",
        peer: peer.label,
        peerValue: peer.ms,
        ratio: timeRatio(countMs, peer.ms),
        note: `${lines} matching lines; ${peer.note}`,
      },
      {
        bench: "filter engine",
        corpus: corpus.name,
        metric: "LineFilter, in-process",
        value: engine.ms,
        unit: "ms",
        peer: peer.label,
        peerValue: peer.ms,
        ratio: timeRatio(engine.ms, peer.ms),
        note: `the host's line filter alone; case-sensitive (native search): ${engine.caseSensitiveMs.toFixed(0)} ms`,
      },
      {
        bench: "filter",
        corpus: corpus.name,
        metric: "page JS heap after GC",
        value: heap.after,
        unit: "MiB",
        note: `${heap.before.toFixed(1)} MiB before`,
      },
      {
        bench: "filter",
        corpus: corpus.name,
        metric: "serve RSS",
        value: after.rss,
        unit: "MiB",
        note: `${mib(before.rss)} before; anonymous (not the mapped file) ${mib(before.anon)} → ${mib(after.anon)}; peak ${mib(after.peak)} (${mib(before.peak)} before)`,
      },
    ];
  },
};

const APPENDS = 30;
const APPEND_EVERY_MS = 200;

/** The appender, a child process: one marked line every 200 ms; prints each write's epoch time. */
const APPENDER = `
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
const [path, count, every] = process.argv.slice(2);
for (let i = 1; i <= Number(count); i++) {
  await new Promise((resolve) => setTimeout(resolve, Number(every)));
  const line = "2026-12-04T08:00:00.000Z INFO [worker-0] follow-marker-" + i + "- appended by the bench\\n";
  const time = performance.timeOrigin + performance.now();
  appendFileSync(path, line);
  console.log(JSON.stringify({ i, time }));
}
`;

/** In the page: when each marker first shows in an editor line (seen) and that frame (painted). */
const MARKER_OBSERVER = `(() => {
  const seen = (window.__markers = {});
  const check = () => {
    const now = performance.now();
    for (const line of document.querySelectorAll("#editor .cm-line")) {
      const marker = /follow-marker-(\\d+)-/.exec(line.textContent ?? "")?.[1];
      if (marker === undefined || seen[marker]) continue;
      const entry = (seen[marker] = { seen: now, painted: Number.NaN });
      requestAnimationFrame(() => setTimeout(() => { entry.painted = performance.now(); }));
    }
  };
  new MutationObserver(check).observe(document.querySelector("#editor"), {
    subtree: true, childList: true, characterData: true,
  });
})()`;

export const followBenchmark: Benchmark = {
  name: "follow",
  description: "serve --follow: a line appended by another process → drawn in the page, vs tail -F",
  wants: isSmallestLog,
  async run(corpus) {
    const browser = await launchBrowser();
    if (!browser) return [notMeasured("follow", corpus.name, `no Chromium: ${CHROMIUM_INSTALL_HINT}`)];
    const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-follow-"));
    const path = join(dir, "live.log");
    copyPrefix(corpus.path, path, corpus.size);
    appendFileSync(path, "\n");
    const appender = join(dir, "appender.mjs");
    writeFileSync(appender, APPENDER);
    const server = await startServe(path, join(dir, "state"), ["--follow"]);
    const written = new Map<number, number>();
    const tailSeen = new Map<number, number>();
    let pageSeen: Record<string, { seen: number; painted: number }>;
    let origin: number;
    try {
      const editor = await openEditorPage(browser, server.url);
      await whenIndexed(editor);
      await editor.until(
        `document.querySelector('#status [data-cell="follow"]')?.textContent === "following"`,
      );
      await editor.page.evaluate(MARKER_OBSERVER);
      origin = (await editor.page.evaluate("performance.timeOrigin")) as number;
      // The peer reads the same appends.
      const tail = hasCommand("tail")
        ? spawn("tail", ["-n", "0", "-F", path], { stdio: ["ignore", "pipe", "ignore"] })
        : null;
      let pending = "";
      tail?.stdout.on("data", (data: Buffer) => {
        const now = performance.timeOrigin + performance.now();
        pending += data.toString("latin1");
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          const marker = /follow-marker-(\d+)-/.exec(line)?.[1];
          if (marker !== undefined && !tailSeen.has(Number(marker))) tailSeen.set(Number(marker), now);
        }
      });
      // tail -F has started watching when it has had a moment.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Spawned, not run synchronously: this process reads tail's output meanwhile.
      const writer = spawn(process.execPath, [appender, path, String(APPENDS), String(APPEND_EVERY_MS)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let report = "";
      writer.stdout.on("data", (data: Buffer) => {
        report += data.toString("utf8");
      });
      const code = await new Promise<number | null>((resolve) => writer.once("exit", resolve));
      if (code !== 0) throw new Error(`follow: the appender exited with ${code}`);
      for (const line of report.trim().split("\n")) {
        const { i, time } = JSON.parse(line) as { i: number; time: number };
        written.set(i, time);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
      tail?.kill();
      pageSeen = (await editor.page.evaluate("window.__markers")) as typeof pageSeen;
      await editor.page.context().close();
    } finally {
      await browser.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const painted: number[] = [];
    const seen: number[] = [];
    const tailed: number[] = [];
    for (const [i, time] of written) {
      const entry = pageSeen[String(i)];
      if (entry) {
        painted.push(origin + entry.painted - time);
        seen.push(origin + entry.seen - time);
      }
      const tailTime = tailSeen.get(i);
      if (tailTime !== undefined) tailed.push(tailTime - time);
    }
    const missing = written.size - painted.length;
    const note = `n=${written.size}, one every ${APPEND_EVERY_MS} ms${missing ? `; ${missing} never shown` : ""}`;
    return (["p50", "p99"] as const).map((metric) => {
      const p = metric === "p50" ? 50 : 99;
      const value = percentile(painted, p);
      const row: ResultRow = {
        bench: "follow",
        corpus: corpus.name,
        metric: `append → line painted ${metric}`,
        value,
        unit: "ms",
        note:
          metric === "p50"
            ? note
            : `in the DOM: p50 ${median(seen).toFixed(1)}, p99 ${percentile(seen, 99).toFixed(1)}`,
      };
      if (tailed.length > 0) {
        row.peer = "tail -F";
        row.peerValue = percentile(tailed, p);
        row.ratio = timeRatio(value, row.peerValue);
      }
      return row;
    });
  },
};

export const editorBenchmarks = [replaceAllBenchmark, filterBenchmark, followBenchmark];
