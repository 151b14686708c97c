/**
 * The editor in a real browser (headless Debian Chromium) against `gigapad serve`, on a generated
 * ~200 MB log: what a user sees and types, checked against the engine and the bytes on disk.
 */
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, writeLogCorpus } from "../../bench/corpora.js";
import { type Document, open } from "../../piece-table/index.js";
import {
  authorize,
  firstLinesLayout,
  framesRecorded,
  launchChromium,
  messages,
  openEditor,
  pageErrors,
  recordFrames,
  type ServeProcess,
  screenshot,
  selectedText,
  startServe,
  status,
  visibleLines,
} from "./browser.js";

const LOG_BYTES = 200 * MiB;

/** SHA-256 of bytes [start, end) of a file, read in blocks. */
function hashRange(path: string, start: number, end: number): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  const block = Buffer.alloc(8 * MiB);
  try {
    for (let at = start; at < end; ) {
      const got = readSync(fd, block, 0, Math.min(block.length, end - at), at);
      if (got === 0) break;
      hash.update(block.subarray(0, got));
      at += got;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(end - start);
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

async function waitForStatus(page: Page, cell: string, expected: string | RegExp): Promise<void> {
  await expect
    .poll(async () => (await status(page))[cell], { timeout: 20_000 })
    .toMatch(typeof expected === "string" ? new RegExp(`^${expected}$`) : expected);
}

describe("the editor on a 200 MB log, in Chromium, over gigapad serve", () => {
  let dir: string;
  let logPath: string;
  let server: ServeProcess;
  let browser: Browser;
  let engine: Document;
  let lineCount: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-"));
    logPath = join(dir, "app.log");
    writeLogCorpus(logPath, LOG_BYTES);
    // The engine, read-only (no lock): the truth the page is checked against.
    engine = await open(logPath, { readOnly: true });
    await engine.whenIndexed();
    lineCount = engine.lineCount();
    server = await startServe(logPath, { stateDir: join(dir, "state") });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a visit without the token", async () => {
    const response = await fetch(`${server.origin}/`);
    expect(response.status).toBe(401);
    const page = await browser.newPage();
    const visit = await page.goto(`${server.origin}/?token=not-the-token`);
    expect(visit?.status()).toBe(403);
    expect(await page.textContent("body")).toContain("Wrong token");
    await page.close();
  });

  it("opens showing the first line, with line numbers, size and encoding in the status bar", async () => {
    const started = Date.now();
    const page = await openEditor(browser, server.url);
    const openedIn = Date.now() - started;
    const lines = await visibleLines(page);
    expect(lines[0]).toEqual({ number: "1", text: engine.getLine(0) });
    expect(lines[1]).toEqual({ number: "2", text: engine.getLine(1) });
    expect(lines.length).toBeGreaterThan(20);
    await waitForStatus(page, "lines", `${lineCount.toLocaleString("en-US")} lines`);
    const cells = await status(page);
    expect(cells.size).toBe("200 MiB");
    expect(cells.eol).toBe("LF");
    expect(cells.encoding).toBe("ASCII");
    expect(cells.position).toBe("Ln 1, Col 1");
    expect(pageErrors(page)).toEqual([]);
    await screenshot(page, "open-200mb-log");
    console.log(`first window shown ${openedIn} ms after navigation`);
    await page.context().close();
  });

  it("paints the first lines with the page, before the editor has started, where the editor draws them", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
    let page = await context.newPage();
    // The editor's script never arrives: what the page alone shows.
    await page.route("**/app.js", (route) => route.abort());
    await page.goto(await authorize(context, server.url));
    const first = await firstLinesLayout(page, ".gp-fs-line", ".gp-fs-number");
    expect(first.texts).toEqual([engine.getLine(0), engine.getLine(1), engine.getLine(2)]);
    expect(first.numbers).toEqual(["1", "2", "3"]);
    await screenshot(page, "first-screen-before-the-editor");
    await page.close();

    page = await context.newPage();
    await page.goto(`${new URL(server.url).origin}/`);
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator(".gp-first-screen").count()).toBe(0);
    const editor = await firstLinesLayout(page, ".cm-content .cm-line", ".cm-lineNumbers .cm-gutterElement");
    expect(editor.texts).toEqual(first.texts);
    // Nothing moves when the editor takes over: same place, same width, same gutter.
    expect(editor.line).toEqual(first.line);
    expect(editor.number).toEqual(first.number);
    // The mark follows the editor's first frame: wait for it.
    await page.waitForFunction("performance.getEntriesByName('gigapad-first-line-painted').length > 0");
    const painted = (await page.evaluate(
      "performance.getEntriesByName('gigapad-first-line-painted')[0].startTime",
    )) as number;
    const contentful = (await page.evaluate(
      "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -2",
    )) as number;
    expect(painted).toBe(contentful);
    await context.close();
  });

  it("Ctrl+End shows the last line, Ctrl+Home the first", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+End");
    await waitForStatus(page, "position", new RegExp(`^Ln ${lineCount.toLocaleString("en-US")},`));
    const lines = await visibleLines(page);
    expect(lines.at(-1)).toEqual({ number: String(lineCount), text: engine.getLine(lineCount - 1) });
    expect(lines.at(-2)).toEqual({ number: String(lineCount - 1), text: engine.getLine(lineCount - 2) });
    await screenshot(page, "ctrl-end");
    await page.keyboard.press("Control+Home");
    await waitForStatus(page, "position", "Ln 1, Col 1");
    expect((await visibleLines(page))[0]).toEqual({ number: "1", text: engine.getLine(0) });
    await page.context().close();
  });

  it("go to line N shows the engine's line N, in the middle of the file", async () => {
    const page = await openEditor(browser, server.url);
    const target = Math.floor(lineCount * 0.6) + 7;
    await page.keyboard.press("Control+g");
    await page.keyboard.type(String(target));
    await recordFrames(page, 60);
    await page.keyboard.press("Enter");
    await waitForStatus(page, "position", new RegExp(`^Ln ${target.toLocaleString("en-US")},`));
    await expect
      .poll(async () => (await visibleLines(page)).some((line) => line.number === String(target)))
      .toBe(true);
    // No frame on the way was blank, and once the target was shown it did not move as the window
    // grew around it (a screenful first, then the full window).
    await expect.poll(async () => (await framesRecorded(page)).length, { timeout: 20_000 }).toBe(60);
    const frames = await framesRecorded(page);
    expect(frames.filter((frame) => frame.first === "")).toEqual([]);
    const arrived = frames.findIndex((frame) => frame.numbers.includes(String(target)));
    expect(arrived).toBeGreaterThanOrEqual(0);
    expect(new Set(frames.slice(arrived).map((frame) => frame.first)).size).toBe(1);
    const lines = await visibleLines(page);
    const shown = lines.find((line) => line.number === String(target));
    expect(shown).toEqual({ number: String(target), text: engine.getLine(target - 1) });
    // Its neighbours too: the gutter's numbers are the file's line numbers.
    const index = lines.indexOf(shown!);
    expect(lines[index + 1]).toEqual({ number: String(target + 1), text: engine.getLine(target) });
    await screenshot(page, "go-to-line");
    await page.context().close();
  });

  it("scrolling with the wheel slides the window without losing the line numbering", async () => {
    const page = await openEditor(browser, server.url);
    await page.mouse.move(600, 300);
    await recordFrames(page, 90);
    for (let i = 0; i < 80; i++) {
      await page.mouse.wheel(0, 5000);
      await page.waitForTimeout(15);
    }
    // A busy machine may still be sliding the window: wait for it to get there.
    await expect
      .poll(async () => Number((await visibleLines(page))[0]?.number), { timeout: 20_000 })
      .toBeGreaterThan(15_000);
    const lines = await visibleLines(page);
    for (const line of lines.slice(0, 5)) expect(line.text).toBe(engine.getLine(Number(line.number) - 1));
    // The window slid several times on the way: no frame was blank.
    await expect.poll(async () => (await framesRecorded(page)).length, { timeout: 20_000 }).toBe(90);
    expect((await framesRecorded(page)).filter((frame) => frame.first === "")).toEqual([]);
    await page.context().close();
  });

  it("find next lands on the match, anywhere in the file, and counts them all", async () => {
    const page = await openEditor(browser, server.url);
    const line = Math.floor(lineCount * 0.8);
    const text = engine.getLine(line);
    const needle = text.slice(0, Math.min(text.length, 60));
    await page.keyboard.press("Control+f");
    await page.keyboard.type(needle);
    await expect
      .poll(() => page.textContent(".gp-find-count"), { timeout: 20_000 })
      .toMatch(/^1 of 1 match$/);
    await waitForStatus(page, "position", new RegExp(`^Ln ${(line + 1).toLocaleString("en-US")},`));
    expect(await selectedText(page)).toBe(needle);
    // A common word: the count streams to the exact total.
    const count = await engine.countMatches("ERROR");
    await page.fill(".gp-find-input", "ERROR");
    await expect
      .poll(() => page.textContent(".gp-find-count"), { timeout: 30_000 })
      .toMatch(new RegExp(`of ${count.toLocaleString("en-US")} matches$`));
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await expect.poll(() => selectedText(page)).toBe("ERROR");
    await screenshot(page, "find");
    await page.context().close();
  });

  it("undo restores what typing changed", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+g");
    await page.keyboard.type("42");
    await page.keyboard.press("Enter");
    await waitForStatus(page, "position", "Ln 42, Col 1");
    await page.keyboard.type("XYZ");
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === "42")?.text)
      .toBe(`XYZ${engine.getLine(41)}`);
    await page.keyboard.press("Control+z");
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === "42")?.text)
      .toBe(engine.getLine(41));
    await page.keyboard.press("Control+Shift+z");
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === "42")?.text)
      .toBe(`XYZ${engine.getLine(41)}`);
    await page.keyboard.press("Control+z");
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === "42")?.text)
      .toBe(engine.getLine(41));
    await page.context().close();
  });

  it("typing then Ctrl+S writes exactly those bytes, and every other byte as it was", async () => {
    const line = 1000;
    const at = engine.lineStart(line - 1) + Buffer.byteLength(engine.getLine(line - 1));
    const before = hashRange(logPath, 0, at);
    const after = hashRange(logPath, at, LOG_BYTES);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+g");
    await page.keyboard.type(String(line));
    await page.keyboard.press("Enter");
    await waitForStatus(page, "position", `Ln ${line.toLocaleString("en-US")}, Col 1`);
    await page.keyboard.press("End");
    await page.keyboard.type(" EDITED é");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 30_000 })
      .toContainEqual(expect.stringMatching(/^Saved app\.log/));
    const inserted = Buffer.from(" EDITED é");
    expect(statSync(logPath).size).toBe(LOG_BYTES + inserted.length);
    expect(readRange(logPath, at, at + inserted.length).equals(inserted)).toBe(true);
    expect(hashRange(logPath, 0, at)).toBe(before);
    expect(hashRange(logPath, at + inserted.length, LOG_BYTES + inserted.length)).toBe(after);
    await waitForStatus(page, "safety", "all edits safe");
    await screenshot(page, "saved");
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });
});
