/**
 * A followed log rotated away under the page, in Chromium over gigapad serve: the page says the
 * file was replaced and offers to open the new one; the button reads it anew, the view goes to its
 * end (following), and lines appended to the new file show up.
 */
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("a followed log that is rotated", () => {
  let dir: string;
  let browser: Browser;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-rotate-"));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says so, offers the new file, and follows it once opened", async () => {
    const path = join(dir, "app.log");
    writeFileSync(path, Array.from({ length: 2000 }, (_, i) => `old line ${i}\n`).join(""));
    server = await startServe(path, { stateDir: join(dir, "state"), args: ["--follow"] });
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).follow).toBe("following");

    renameSync(path, `${path}.1`);
    writeFileSync(path, "new line 0\nnew line 1\n");
    const button = page.getByRole("button", { name: "Open the new file" });
    await button.waitFor({ timeout: 10_000 });
    expect((await messages(page)).join(" ")).toMatch(/replaced app\.log on disk/);
    await screenshot(page, "rotated-log");
    await button.click();
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text).filter((text) => text !== ""))
      .toEqual(["new line 0", "new line 1"]);
    expect((await status(page)).follow).toBe("following");

    appendFileSync(path, "new line 2\n");
    await expect
      .poll(async () => (await visibleLines(page)).some((line) => line.text === "new line 2"), {
        timeout: 2000,
      })
      .toBe(true);
    await page.context().close();
  }, 120_000);
});
