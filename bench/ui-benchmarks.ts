/**
 * The editor UI in headless Chromium (Debian's, never downloaded) against `gigapad serve` on the
 * corpus: what a person feels. Medians and p99 of
 * - navigation → first line painted (fresh page each time; the first right after the file was
 *   opened, while the line index is still building): the page's first contentful paint, which
 *   shows the first screen `gigapad serve` wrote into the page,
 * - navigation → editor painted: the frame after the editor has taken over with the same lines,
 * - keystroke → paint (typing in the middle of the file),
 * - go to a random line → painted,
 * - PageDown → painted (a full screen of scrolling; the window slides as it goes).
 * Otherwise "painted" is the first task after the next animation frame: the frame that shows the
 * change. The peer is CodeMirror 6 alone, fetching and painting the same lines (and typing).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { HostedDocument } from "../host/hosted-document.js";
import { serve } from "../server/serve.js";
import { authorize, CHROMIUM_FLAGS, CHROMIUM_INSTALL_HINT, findChromium } from "./chromium.js";
import type { Benchmark, Corpus, ResultRow } from "./harness.js";
import { median, nowMs, percentile } from "./measure.js";

/** Installs, in the page, a recorder of key → painted latencies (ms). */
function recordKeyLatencies(page: Page): Promise<void> {
  return page.evaluate(`(() => {
    window.__latencies = [];
    document.addEventListener("keydown", (event) => {
      const start = event.timeStamp;
      requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - start)));
    }, true);
  })()`);
}

async function takeLatencies(page: Page): Promise<number[]> {
  await page.waitForTimeout(100);
  return (await page.evaluate("window.__latencies.splice(0)")) as number[];
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The peer, CodeMirror alone holding `text` (bench/ui-baseline/plain-codemirror.ts, bundled and
 * served here): navigation → first line painted over `loads` fresh pages, then keystroke → paint
 * typing `keys`.
 */
async function plainCodeMirror(
  browser: Browser,
  texts: { firstPaint: string; typing: string },
  keys: string,
  loads: number,
): Promise<{ firstPaint: number[]; keystrokes: number[]; textarea: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-cm-"));
  await build({
    entryPoints: [join(REPO, "bench", "ui-baseline", "plain-codemirror.ts")],
    outfile: join(dir, "plain.js"),
    bundle: true,
    format: "esm",
    minify: true,
    logLevel: "warning",
  });
  const files: Record<string, [string, string | Buffer]> = {
    "/": [
      "text/html",
      '<!doctype html><link rel="stylesheet" href="app.css"><main id="main"><div id="editor"></div></main><script type="module" src="plain.js"></script>',
    ],
    "/plain.js": ["text/javascript", readFileSync(join(dir, "plain.js"))],
    "/app.css": ["text/css", readFileSync(join(REPO, "dist", "renderer", "app.css"))],
    "/text": ["text/plain; charset=utf-8", texts.firstPaint],
    // The browser's own floor for keystroke → paint: a bare text area, no script at all.
    "/textarea": ["text/html", '<!doctype html><textarea autofocus rows="30" cols="100"></textarea>'],
  };
  const server = createServer((request, response) => {
    const file = files[request.url ?? "/"];
    if (!file) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": file[0] }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const firstPaint: number[] = [];
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(url);
      firstPaint.push(await markTime(page, "gigapad-first-line-painted"));
      await context.close();
    }
    files["/text"] = ["text/plain; charset=utf-8", texts.typing];
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForTimeout(200);
    await recordKeyLatencies(page);
    await page.keyboard.type(keys, { delay: 25 });
    const keystrokes = await takeLatencies(page);
    await page.goto(`${url}textarea`);
    await page.focus("textarea");
    await page.waitForTimeout(200);
    await recordKeyLatencies(page);
    await page.keyboard.type(keys, { delay: 25 });
    const textarea = await takeLatencies(page);
    await context.close();
    return { firstPaint, keystrokes, textarea };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * When the page set the performance mark `name`, in ms since navigation. Waits without polling in
 * the page (a poll each frame would slow the very frames measured).
 */
function markTime(page: Page, name: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve) => {
        const find = () => performance.getEntriesByName(name, "mark")[0];
        const found = find();
        if (found) return resolve(found.startTime);
        new PerformanceObserver((_list, observer) => {
          const mark = find();
          if (!mark) return;
          observer.disconnect();
          resolve(mark.startTime);
        }).observe({ type: "mark" });
      }),
    name,
  );
}

/** Sets the peer's values on a p50/p99 row pair (times: ratio = peer / ours). */
function withPeer(pair: ResultRow[], peer: string, samples: number[]): ResultRow[] {
  const values = [median(samples), percentile(samples, 99)];
  pair.forEach((row, i) => {
    row.peer = peer;
    row.peerValue = values[i]!;
    row.ratio = values[i]! / row.value;
  });
  return pair;
}

function rows(corpus: Corpus, metric: string, samples: number[], goal?: string): ResultRow[] {
  const p50 = median(samples);
  const p99 = percentile(samples, 99);
  return [
    {
      bench: "ui",
      corpus: corpus.name,
      metric: `${metric} p50`,
      value: p50,
      unit: "ms",
      note: `n=${samples.length}`,
    },
    {
      bench: "ui",
      corpus: corpus.name,
      metric: `${metric} p99`,
      value: p99,
      unit: "ms",
      ...(goal ? { note: goal } : {}),
    },
  ];
}

export const uiBenchmarks: Benchmark[] = [
  {
    name: "ui",
    description: "first line painted, keystroke → paint, go to line, PageDown, in headless Chromium",
    wants: (corpus) => corpus.kind === "log",
    async run(corpus, { runs }) {
      const found = findChromium();
      if (!found) {
        return [
          {
            bench: "ui",
            corpus: corpus.name,
            metric: "not measured",
            value: Number.NaN,
            unit: "",
            note: `no Chromium: ${CHROMIUM_INSTALL_HINT}`,
          },
        ];
      }
      const stateDir = mkdtempSync(join(tmpdir(), "gigapad-bench-ui-"));
      const opening = nowMs();
      const host = await HostedDocument.open(corpus.path, { stateDir });
      const server = await serve(host);
      const openMs = nowMs() - opening;
      const browser = await chromium.launch({
        executablePath: found.path,
        args: CHROMIUM_FLAGS,
        headless: true,
      });
      const result: ResultRow[] = [
        { bench: "ui", corpus: corpus.name, metric: "serve: open + listen", value: openMs, unit: "ms" },
      ];
      try {
        // Navigation → first line painted, each in a fresh browser context.
        const firstPaint: number[] = [];
        const editorPaint: number[] = [];
        const loads = Math.max(10, runs * 2);
        for (let i = 0; i < loads; i++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await context.newPage();
          await page.goto(await authorize(context, server.url));
          const painted = await markTime(page, "gigapad-first-line-painted");
          editorPaint.push(await markTime(page, "gigapad-editor-painted"));
          if (i === 0) {
            result.push({
              bench: "ui",
              corpus: corpus.name,
              metric: "first line painted, right after open",
              value: painted,
              unit: "ms",
              note: "line index still building",
            });
          }
          firstPaint.push(painted);
          await context.close();
        }
        // The first lines come with the page (its first screen); the editor takes over when it
        // has started: both, each against CodeMirror alone painting the same lines.
        const firstPaintRows = rows(
          corpus,
          "navigation → first line painted",
          firstPaint,
          "goal p99 < 300 ms",
        );
        const editorPaintRows = rows(corpus, "navigation → editor painted", editorPaint);
        result.push(...firstPaintRows, ...editorPaintRows);

        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await context.newPage();
        await page.goto(await authorize(context, server.url));
        await page.waitForSelector("body[data-ready=true]");
        await host.doc.whenIndexed();
        const lineCount = host.doc.lineCount();

        // Go to random lines (seeded), the path Ctrl+G takes after its box.
        const goTo = (await page.evaluate(`(async () => {
          const samples = [];
          let seed = 12345;
          for (let i = 0; i < 60; i++) {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            const line = seed % ${lineCount};
            const start = performance.now();
            await window.gigapad.editor.show({ line }, { align: "center" });
            await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
            samples.push(performance.now() - start);
            // A person does not jump 60 times a second: let the window finish growing first.
            while (window.gigapad.editor.windowInMotion) await new Promise((resolve) => setTimeout(resolve, 10));
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return samples;
        })()`)) as number[];
        result.push(...rows(corpus, "go to random line → painted", goTo, "goal p99 < 100 ms"));

        // Typing in the middle of the file.
        await page.evaluate(
          `window.gigapad.editor.show({ line: ${Math.floor(lineCount / 2)} }, { align: "center" })`,
        );
        await page.waitForTimeout(200);
        await recordKeyLatencies(page);
        const keys = "the quick brown fox jumps over the lazy dog ".repeat(5);
        await page.keyboard.type(keys, { delay: 25 });
        const typing = await takeLatencies(page);
        const keystroke = rows(corpus, "keystroke → paint", typing);
        // The peer: CodeMirror alone, fetching and showing the same text as Gigapad's first window
        // (a screenful and some), then holding the same window while typing.
        const typingText = (await page.evaluate("window.gigapad.editor.view.state.doc.toString()")) as string;
        const firstText = host.doc.getText(0, host.doc.lineStart(Math.min(241, lineCount - 1)));
        const plain = await plainCodeMirror(
          browser,
          { firstPaint: firstText, typing: typingText },
          keys,
          loads,
        );
        withPeer(keystroke, "CodeMirror 6 alone", plain.keystrokes);
        // At 60 frames a second a key waits up to 16.7 ms for its frame: the same measure on a
        // bare <textarea> shows what the browser itself costs on this machine.
        keystroke[1]!.note =
          `goal p99 < 16 ms; a bare <textarea>: p50 ${median(plain.textarea).toFixed(1)}, ` +
          `p99 ${percentile(plain.textarea, 99).toFixed(1)}`;
        withPeer(firstPaintRows, "CodeMirror 6 alone", plain.firstPaint);
        withPeer(editorPaintRows, "CodeMirror 6 alone", plain.firstPaint);
        result.push(...keystroke);

        // A screen at a time.
        for (let i = 0; i < 150; i++) {
          await page.keyboard.press("PageDown");
          await page.waitForTimeout(25);
        }
        result.push(...rows(corpus, "PageDown → painted", await takeLatencies(page)));
        await context.close();
      } finally {
        await browser.close();
        await server.close();
        await host.discard();
        rmSync(stateDir, { recursive: true, force: true });
      }
      return result;
    },
  },
];
