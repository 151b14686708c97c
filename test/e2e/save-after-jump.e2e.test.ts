/**
 * A save that was lost: find a line at the end of a 200 MB log, Enter, Escape, Ctrl+Home, click
 * the first line, Ctrl+Home, type, Ctrl+S. About one run in four the view collapsed to the first
 * line and an empty one, and the save wrote nothing. Repeated with both cores busy, as it was
 * found; every run must show the typed text and put it in the file on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, writeLogCorpus } from "../../bench/corpora.js";
import { open } from "../../piece-table/index.js";
import {
  launchChromium,
  messages,
  openEditor,
  type ServeProcess,
  startServe,
  visibleLines,
} from "./browser.js";

const RUNS = Number(process.env.GIGAPAD_SAVE_AFTER_JUMP_RUNS ?? 20);

function fileStart(path: string, bytes: number): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const got = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, got).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

describe("typing at the start after jumping from the end, then Ctrl+S", () => {
  let dir: string;
  let logPath: string;
  let server: ServeProcess;
  let browser: Browser;
  let firstLine: string;
  let lastLine: string;
  const spinners: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-jump-"));
    logPath = join(dir, "app.log");
    writeLogCorpus(logPath, 200 * MiB);
    const engine = await open(logPath, { readOnly: true });
    await engine.whenIndexed();
    firstLine = engine.getLine(0);
    lastLine = engine.getLine(engine.lineCount() - 2);
    await engine.close();
    server = await startServe(logPath, { stateDir: join(dir, "state") });
    browser = await launchChromium();
    // Both cores busy, as when the race was found.
    for (let i = 0; i < 2; i++) {
      spinners.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    }
  }, 120_000);

  afterAll(async () => {
    for (const spinner of spinners) spinner.kill("SIGKILL");
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`shows and saves the typed text, ${RUNS} times in a row`, async () => {
    for (let run = 1; run <= RUNS; run++) {
      const page = await openEditor(browser, server.url);
      await page.keyboard.press("Control+f");
      await page.keyboard.type(lastLine.slice(0, 60));
      await expect.poll(() => page.textContent(".gp-find-count"), { timeout: 30_000 }).toMatch(/^1 of 1/);
      await page.keyboard.press("Enter");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Control+Home");
      await page.locator(".cm-content .cm-line").first().click();
      await page.keyboard.press("Control+Home");
      await page.keyboard.type("HELLO ");
      const typed = "HELLO ".repeat(run);
      await expect
        .poll(async () => (await visibleLines(page)).slice(0, 2), { timeout: 20_000 })
        .toEqual([
          { number: "1", text: `${typed}${firstLine}` },
          { number: "2", text: expect.any(String) },
        ]);
      expect((await visibleLines(page)).length).toBeGreaterThan(20);
      await page.keyboard.press("Control+s");
      await expect
        .poll(() => messages(page), { timeout: 30_000 })
        .toContainEqual(expect.stringMatching(/^Saved app\.log/));
      expect(fileStart(logPath, typed.length + firstLine.length)).toBe(`${typed}${firstLine}`);
      await page.context().close();
    }
  }, 600_000);

  it("Select All, Ctrl+End and typing adds the text at the end: the selection is not replaced", async () => {
    const page = await openEditor(browser, server.url);
    const size = statSync(logPath).size;
    await page.locator(".cm-line").nth(3).click();
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("NOTE");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 30_000 })
      .toContainEqual(expect.stringMatching(/^Saved app\.log/));
    expect(statSync(logPath).size).toBe(size + 4);
    const fd = openSync(logPath, "r");
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size);
    closeSync(fd);
    expect(tail.toString()).toBe("NOTE");
    await page.context().close();
  });

  it("Ctrl+Home, typing, Ctrl+End, typing: each text lands where its jump went", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+End");
    await expect.poll(async () => (await visibleLines(page))[0]?.number).not.toBe("1");
    const before = statSync(logPath).size;
    // Both jumps are a load away; the keys go out without waiting for either.
    await page.keyboard.press("Control+Home");
    await page.keyboard.type("TOP ");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("BOTTOM");
    await page.keyboard.press("Control+s");
    await expect.poll(() => statSync(logPath).size, { timeout: 30_000 }).toBe(before + 10);
    expect(fileStart(logPath, 4)).toBe("TOP ");
    const fd = openSync(logPath, "r");
    const tail = Buffer.alloc(6);
    readSync(fd, tail, 0, 6, before + 4);
    closeSync(fd);
    expect(tail.toString()).toBe("BOTTOM");
    await page.context().close();
  });

  it("keys typed right after Ctrl+End (a load away) land at the end of the file, in order", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+End");
    await page.keyboard.type("TAIL", { delay: 0 });
    await page.keyboard.press("Backspace");
    await page.keyboard.type("!");
    await expect
      .poll(async () => (await visibleLines(page)).at(-1)?.text, { timeout: 20_000 })
      .toMatch(/TAI!$/);
    // The Backspace came after TAIL, at the end, not before it at the top.
    expect((await visibleLines(page)).at(-1)?.text).not.toContain("TAIL");
    expect((await visibleLines(page))[0]?.number).not.toBe("1");
    await page.context().close();
  });
});
