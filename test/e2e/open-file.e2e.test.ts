/**
 * Ctrl+O in Chromium over gigapad serve: the list of the served file's folder, filtered by typing;
 * Enter opens the chosen file in a new tab, its own document (first line, name in the status bar
 * and the tab's title), where an edit and Ctrl+S write that file and no other. A file that cannot
 * be opened says why in the list and opens no tab.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchChromium,
  messages,
  openEditor,
  pageErrors,
  type ServeProcess,
  screenshot,
  startServe,
  status,
  visibleLines,
} from "./browser.js";

/** The list's rows as shown: name, size, time or the reason it cannot be opened. */
function rows(page: Page): Promise<{ name: string; size: string; time: string; why: string }[]> {
  return page.$$eval(".gp-open-row", (items) =>
    items.map((item) => ({
      name: item.querySelector(".gp-open-name")?.textContent ?? "",
      size: item.querySelector(".gp-open-size")?.textContent ?? "",
      time: item.querySelector(".gp-open-time")?.textContent ?? "",
      why: item.querySelector(".gp-open-why")?.textContent ?? "",
    })),
  );
}

describe("Ctrl+O: another file of the folder, in a new tab", () => {
  let dir: string;
  let browser: Browser;
  let server: ServeProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-open-"));
    const folder = join(dir, "logs");
    mkdirSync(join(folder, "archive"), { recursive: true });
    writeFileSync(join(folder, "main.log"), "main file first line\nmain file second line\n");
    writeFileSync(join(folder, "app-2.log"), "second file first line\nsecond file line two\n");
    writeFileSync(join(folder, "notes.txt"), "notes\n".repeat(2000));
    writeFileSync(join(folder, "archive", "old.log"), "old\n");
    writeFileSync(join(dir, "outside.txt"), "not for the page\n");
    symlinkSync(join(dir, "outside.txt"), join(folder, "escape.txt"));
    execFileSync("mkfifo", [join(folder, "pipe")]);
    server = await startServe(join(folder, "main.log"), { stateDir: join(dir, "state") });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the folder, filters as you type, and Enter opens the file in a new tab where Ctrl+S saves it", async () => {
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+O");
    await page.waitForSelector(".gp-open:not([hidden]) .gp-open-row");
    await expect
      .poll(async () => (await rows(page)).map((row) => row.name))
      .toEqual(["archive/", "app-2.log", "escape.txt", "main.log", "notes.txt", "pipe"]);
    const listed = new Map((await rows(page)).map((row) => [row.name, row]));
    expect(listed.get("app-2.log")).toMatchObject({
      size: "44 B",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/),
    });
    expect(listed.get("notes.txt")!.size).toBe("11.7 KiB");
    expect(listed.get("escape.txt")!.why).toMatch(/symlink leading outside/);
    expect(listed.get("pipe")!.why).toMatch(/not a regular file/);
    expect(await page.textContent(".gp-open-where")).toMatch(/\/logs\/$/);
    // The filter box has the focus: Chromium's own Ctrl+O (open a file) did not run.
    expect(await page.evaluate("document.activeElement?.className")).toBe("gp-open-filter");
    await screenshot(page, "open-dialog");

    await page.keyboard.type("APP");
    await expect.poll(async () => (await rows(page)).map((row) => row.name)).toEqual(["app-2.log"]);
    expect(await page.textContent(".gp-open-note")).toContain("1 of 6 match");
    await screenshot(page, "open-dialog-filtered");

    const opened = page.context().waitForEvent("page");
    await page.keyboard.press("Enter");
    const tab = await opened;
    const tabErrors: string[] = [];
    tab.on("pageerror", (error) => tabErrors.push(error.message));
    await tab.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    expect(new URL(tab.url()).search).toBe("?file=app-2.log");
    await expect.poll(async () => (await visibleLines(tab))[0]?.text).toBe("second file first line");
    await expect.poll(async () => (await status(tab)).file).toBe("app-2.log");
    await expect.poll(() => tab.title()).toBe("app-2.log — Gigapad");
    // The list closed in the first tab, which still shows its own file.
    expect(await page.isHidden(".gp-open")).toBe(true);
    expect((await visibleLines(page))[0]!.text).toBe("main file first line");
    expect((await status(page)).file).toBe("main.log");

    // Edit and save in the new tab: that file is written, the served one is not.
    await tab.keyboard.press("Control+Home");
    await tab.keyboard.type("EDITED ");
    await expect.poll(async () => (await visibleLines(tab))[0]?.text).toBe("EDITED second file first line");
    await tab.keyboard.press("Control+S");
    await expect
      .poll(() => messages(tab), { timeout: 10_000 })
      .toContainEqual(expect.stringMatching(/^Saved app-2\.log/));
    expect(readFileSync(join(dir, "logs", "app-2.log"), "utf8")).toBe(
      "EDITED second file first line\nsecond file line two\n",
    );
    expect(readFileSync(join(dir, "logs", "main.log"), "utf8")).toBe(
      "main file first line\nmain file second line\n",
    );
    await screenshot(tab, "open-dialog-new-tab");
    // Save As moves the document: the tab's URL follows it, so a reload shows the same text.
    // Save As shows the folder's files (not a bare path prompt), with the name to change.
    await tab.keyboard.press("Control+Shift+S");
    await tab.waitForSelector(".gp-open:not([hidden]) .gp-open-filter");
    expect(await tab.inputValue(".gp-open-filter")).toBe("app-2.log");
    await expect
      .poll(() => tab.locator(".gp-open-row .gp-open-name").allTextContents())
      .toEqual(expect.arrayContaining(["main.log", "app-2.log", "archive/"]));
    await screenshot(tab, "save-as-list");
    await tab.fill(".gp-open-filter", "archive/renamed.log");
    await tab.keyboard.press("Enter");
    await expect
      .poll(() => new URL(tab.url()).search, { timeout: 10_000 })
      .toBe("?file=archive%2Frenamed.log");
    await tab.keyboard.type("more ");
    await tab.reload();
    await tab.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    await expect.poll(async () => (await status(tab)).file).toBe("renamed.log");
    await expect
      .poll(async () => (await visibleLines(tab))[0]?.text)
      .toBe("EDITED more second file first line");
    expect(tabErrors).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await tab.close();
    await page.context().close();
  }, 120_000);

  it("a file that cannot be opened says why in the list and opens no tab; folders open in the list", async () => {
    const page = await openEditor(browser, server.url);
    let tabs = 0;
    page.context().on("page", () => tabs++);
    await page.keyboard.press("Control+O");
    await page.waitForSelector(".gp-open:not([hidden]) .gp-open-row");
    await page.keyboard.type("escape");
    await expect.poll(async () => (await rows(page)).map((row) => row.name)).toEqual(["escape.txt"]);
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.textContent(".gp-open-note"))
      .toMatch(/^escape\.txt cannot be opened: a symlink leading outside/);
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "open-dialog-refused-dark");
    await page.emulateMedia({ colorScheme: "light" });
    // A folder opens in the list; Backspace in the empty filter goes back up.
    await page.fill(".gp-open-filter", "");
    await page.click('.gp-open-row[data-path="archive"]');
    // (the first test saved renamed.log there too)
    await expect
      .poll(async () => (await rows(page)).map((row) => row.name).slice(0, 2))
      .toEqual(["../", "old.log"]);
    await page.keyboard.press("Backspace");
    await expect.poll(async () => (await rows(page)).length).toBe(6);
    // Escape closes it and gives the editor its keys back.
    await page.keyboard.press("Escape");
    expect(await page.isHidden(".gp-open")).toBe(true);
    expect(await page.evaluate("document.activeElement?.classList.contains('cm-content')")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tabs).toBe(0);
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);
});
