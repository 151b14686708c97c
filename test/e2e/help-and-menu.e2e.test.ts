/**
 * The page's own help sheet (F1, and ? in the status bar), its right-click menu, and the file's
 * name — in Chromium over gigapad serve.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchChromium,
  openEditor,
  type ServeProcess,
  screenshot,
  selectedText,
  startServe,
  status,
} from "./browser.js";

describe("help, the context menu and the file's name", () => {
  let dir: string;
  let server: ServeProcess;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-help-"));
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} ${i === 1500 ? "needle" : "hay"}`);
    writeFileSync(join(dir, "notes.log"), `needle first\n${lines.join("\n")}\n`);
    server = await startServe(join(dir, "notes.log"), { stateDir: join(dir, "state") });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("F1 shows the keys; any key closes the sheet; ? in the status bar opens it too", async () => {
    const page = await openEditor(browser, server.url);
    expect((await status(page)).file).toBe("notes.log");
    expect(await page.title()).toBe("notes.log — Gigapad");
    await page.keyboard.press("F1");
    await expect.poll(() => page.isVisible("#dialog table")).toBe(true);
    const text = (await page.textContent("#dialog")) ?? "";
    for (const expected of ["Ctrl+H", "Ctrl+Shift+L", "Alt+Z", "Ctrl+G", "Right-click"]) {
      expect(text).toContain(expected);
    }
    await screenshot(page, "help-sheet");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.isVisible("#dialog")).toBe(false);
    await page.click("#status .gp-help-button");
    await expect.poll(() => page.isVisible("#dialog table")).toBe(true);
    await page.mouse.click(600, 400);
    await expect.poll(() => page.isVisible("#dialog")).toBe(false);
    await page.context().close();
  });

  it("right-click offers the editor's menu: find the selection, go to a line, copy and paste", async () => {
    const page = await openEditor(browser, server.url);
    // Select "needle" on the first line by double-clicking it.
    await page.locator(".cm-line", { hasText: "needle first" }).dblclick({ position: { x: 20, y: 8 } });
    expect(await selectedText(page)).toBe("needle");
    await page.locator(".cm-line", { hasText: "needle first" }).click({ button: "right" });
    await expect.poll(() => page.isVisible(".gp-context-menu")).toBe(true);
    const items = await page.locator(".gp-context-menu button span").allTextContents();
    expect(items).toEqual([
      "Cut",
      "Copy",
      "Paste",
      "Find the selection",
      "Go to line…",
      "Keyboard shortcuts",
    ]);
    await screenshot(page, "context-menu");
    await page.click(".gp-context-menu button:has-text('Find the selection')");
    await expect.poll(() => page.inputValue(".gp-find-input")).toBe("needle");
    await expect.poll(async () => (await status(page)).position).toBe("Ln 1,502, Col 17");

    // Copy from the menu, then paste it at the start of the file.
    await page.keyboard.press("Escape");
    await page.locator(".cm-line", { hasText: "line 1501 needle" }).click({ button: "right" });
    await page.click(".gp-context-menu button:has-text('Copy')");
    await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toBe("needle");
    await page.keyboard.press("Control+Home");
    await page
      .locator(".cm-line")
      .first()
      .click({ button: "right", position: { x: 2, y: 8 } });
    await page.keyboard.press("Control+Home");
    await page
      .locator(".cm-line")
      .first()
      .click({ button: "right", position: { x: 2, y: 8 } });
    await page.click(".gp-context-menu button:has-text('Paste')");
    await expect.poll(async () => page.locator(".cm-line").first().textContent()).toBe("needleneedle first");

    // Go to line… opens the Go to box; Escape on the menu closes it without doing anything.
    await page.locator(".cm-line").first().click({ button: "right" });
    await page.keyboard.press("Escape");
    await expect.poll(() => page.isVisible(".gp-context-menu")).toBe(false);
    await page.locator(".cm-line").first().click({ button: "right" });
    await page.click(".gp-context-menu button:has-text('Go to line')");
    await expect.poll(() => page.isVisible("#dialog input")).toBe(true);
    await page.context().close();
  });
});
