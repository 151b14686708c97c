/**
 * The filter view in Chromium over gigapad serve, with a user's keys: Ctrl+F, a pattern,
 * Ctrl+Shift+L shows only the matching lines of a 200 MB log, numbered as in the file; Enter goes
 * to one in the full view; Ctrl+Shift+L again returns to where the view was.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, writeLogCorpus } from "../../bench/corpora.js";
import {
  launchChromium,
  messages,
  openEditor,
  type ServeProcess,
  screenshot,
  startServe,
  status,
  visibleLines,
} from "./browser.js";

/** The rows the filter view shows: line number in the file and text. */
function filterRows(page: Page): Promise<{ number: string; text: string }[]> {
  return page.evaluate(`[...document.querySelectorAll("#filter .gp-filter-row")].map((row) => ({
    number: row.querySelector(".gp-filter-number").textContent,
    text: row.querySelector(".gp-filter-text").textContent,
  }))`) as Promise<{ number: string; text: string }[]>;
}

describe("the filter view on a 200 MB log", () => {
  let dir: string;
  let path: string;
  let server: ServeProcess;
  let browser: Browser;
  let lines: string[];
  let matching: number[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-filter-"));
    path = join(dir, "app.log");
    writeLogCorpus(path, 200 * MiB);
    lines = readFileSync(path).toString("latin1").split("\n");
    matching = [];
    for (let i = 0; i < lines.length; i++) if (lines[i]!.includes("ERROR")) matching.push(i);
    server = await startServe(path, { stateDir: join(dir, "state") });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Ctrl+Shift+L shows only matching lines numbered as in the file; Enter jumps back to one", async () => {
    expect(matching.length).toBeGreaterThan(1000);
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).lines, { timeout: 30_000 }).toMatch(/ lines$/);
    // Somewhere in the middle first: Ctrl+Shift+L again must come back here.
    await page.keyboard.press("Control+g");
    await page.keyboard.type("500000");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await status(page)).position).toBe("Ln 500,000, Col 1");
    const before = await visibleLines(page);

    await page.keyboard.press("Control+f");
    await page.keyboard.type("ERROR");
    await page.keyboard.press("Control+Shift+L");
    const total = matching.length.toLocaleString("en-US");
    await expect
      .poll(async () => (await status(page)).filter, { timeout: 30_000 })
      .toBe(`filter: ${total} matching lines`);
    // The view starts at the first matching line at or after the cursor's.
    const first = matching.findIndex((line) => line >= 499_999);
    await expect
      .poll(async () => (await filterRows(page)).map((row) => Number(row.number) - 1), { timeout: 20_000 })
      .toContain(matching[first]);
    const rows = await filterRows(page);
    const shownLines = rows.map((row) => Number(row.number) - 1);
    expect(shownLines).toContain(matching[first]);
    for (const row of rows) {
      expect(matching).toContain(Number(row.number) - 1);
      expect(row.text).toBe(lines[Number(row.number) - 1]);
    }
    // Rows are consecutive matching lines.
    const at = matching.indexOf(shownLines[0]!);
    expect(shownLines).toEqual(matching.slice(at, at + shownLines.length));
    await screenshot(page, "filter-view");

    // Down twice, Enter: the full view at that line.
    await page.focus("#filter");
    const selected = (await page.evaluate(
      `Number(document.querySelector("#filter .gp-selected .gp-filter-number").textContent)`,
    )) as number;
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const target = matching[matching.indexOf(selected - 1) + 2]!;
    await page.keyboard.press("Enter");
    await expect
      .poll(async () => (await status(page)).position)
      .toBe(`Ln ${(target + 1).toLocaleString("en-US")}, Col 1`);
    expect(await page.isVisible("#filter")).toBe(false);
    expect((await visibleLines(page)).find((line) => line.number === String(target + 1))?.text).toBe(
      lines[target],
    );

    // Back to the filter and out again with Ctrl+Shift+L: where the full view was.
    await page.keyboard.press("Control+Shift+L");
    await expect.poll(() => page.isVisible("#filter")).toBe(true);
    await page.keyboard.press("Control+Shift+L");
    await expect.poll(() => page.isVisible("#filter")).toBe(false);
    expect((await status(page)).position).toBe(`Ln ${(target + 1).toLocaleString("en-US")}, Col 1`);
    expect(before.length).toBeGreaterThan(10);
    await page.context().close();
  }, 120_000);

  it("scrolls to the last matching line with Ctrl+End, and saves the lines to a new file", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+f");
    await page.keyboard.type("ERROR");
    await page.click(".gp-find-filter");
    await expect
      .poll(async () => (await status(page)).filter, { timeout: 30_000 })
      .toMatch(/matching lines$/);
    await page.focus("#filter");
    await page.keyboard.press("Control+End");
    const last = matching.at(-1)!;
    await expect.poll(async () => (await filterRows(page)).at(-1)?.number).toBe(String(last + 1));
    await page.click(".gp-filter-save");
    await page.keyboard.press("Control+a");
    await page.keyboard.type("errors.log");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => messages(page), { timeout: 30_000 })
      .toContainEqual(expect.stringMatching(/^Saved [\d,]+ lines .* to .*errors\.log$/));
    const saved = readFileSync(join(dir, "errors.log"), "latin1");
    expect(saved).toBe(matching.map((line) => `${lines[line]}\n`).join(""));
    await page.context().close();
  }, 120_000);
});
