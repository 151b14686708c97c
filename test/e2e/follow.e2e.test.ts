/**
 * Following a log another program is writing, in Chromium over gigapad serve: --follow shows
 * appended lines within a second, again and again; without it the text grows quietly (no red
 * warning); scrolling up pauses following and Ctrl+End takes it up again; with unsaved edits the
 * new lines come after the typed text, also after text typed at the very end or a deleted last line.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
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

describe("following a growing log", () => {
  let dir: string;
  let browser: Browser;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-follow-"));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serve --follow shows lines appended by another process within 1 s, five times in a row", async () => {
    const path = join(dir, "live.log");
    writeLogCorpus(path, 20 * MiB);
    appendFileSync(path, "\n");
    const server = await startServe(path, { stateDir: join(dir, "state"), args: ["--follow"] });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).follow).toBe("following");
    for (let i = 1; i <= 5; i++) {
      const marker = `appended line ${i} ${Date.now()}`;
      const written = Date.now();
      appendFileSync(path, `${marker}\n`);
      await expect
        .poll(async () => (await visibleLines(page)).some((line) => line.text === marker), {
          timeout: 1000,
          interval: 20,
        })
        .toBe(true);
      console.log(`append ${i} shown after ${Date.now() - written} ms`);
    }
    await screenshot(page, "follow");
    expect(await messages(page)).toEqual([]);

    // Scrolling up pauses following; an append then does not move the view; Ctrl+End resumes.
    await page.mouse.move(600, 300);
    await page.mouse.wheel(0, -2000);
    await expect.poll(async () => (await status(page)).follow).toBe("follow paused (Ctrl+End)");
    const top = await visibleLines(page);
    appendFileSync(path, "while paused\n");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await visibleLines(page))[0]).toEqual(top[0]);
    await page.keyboard.press("Control+End");
    await expect.poll(async () => (await status(page)).follow).toBe("following");
    appendFileSync(path, "after resuming\n");
    await expect
      .poll(async () => (await visibleLines(page)).some((line) => line.text === "after resuming"))
      .toBe(true);
    await page.context().close();
  }, 120_000);

  it("without follow, an append grows the text quietly: no warning, the line count grows", async () => {
    const path = join(dir, "quiet.log");
    appendFileSync(path, "first\nsecond\n");
    const server = await startServe(path, { stateDir: join(dir, "state") });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).lines).toBe("3 lines");
    expect((await status(page)).follow).toBe("follow: off");
    appendFileSync(path, "third\n");
    await expect.poll(async () => (await status(page)).lines).toBe("4 lines");
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text))
      .toEqual(["first", "second", "third", ""]);
    await expect
      .poll(() => messages(page), { timeout: 5000 })
      .toEqual([expect.stringMatching(/^6 B appended to quiet\.log by another program/)]);
    // The follow cell toggles follow mode.
    await page.click('#status [data-cell="follow"]');
    await expect.poll(async () => (await status(page)).follow).toBe("following");
    await page.context().close();
  }, 60_000);

  it("with unsaved edits, appended lines come after the typed text (or a deleted end), and Save keeps both", async () => {
    const path = join(dir, "edited.log");
    appendFileSync(path, "first\nsecond\n");
    const server = await startServe(path, { stateDir: join(dir, "state") });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).lines).toBe("3 lines");
    await page.click(".cm-content");
    await page.keyboard.press("Control+Home");
    await page.keyboard.type("> ");
    await expect.poll(async () => (await status(page)).safety).toBe("all edits safe");
    appendFileSync(path, "third\n");
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text))
      .toEqual(["> first", "second", "third", ""]);
    // The status bar is drawn in the next frame: it may lag the lines by one.
    await expect.poll(async () => (await status(page)).lines).toBe("4 lines");
    expect(await messages(page)).not.toContainEqual(expect.stringMatching(/appends to/));
    await page.keyboard.press("Control+s");
    await expect.poll(() => readFileSync(path, "utf8"), { timeout: 30_000 }).toBe("> first\nsecond\nthird\n");

    // Typed at the very end: the program's next lines come after the typed text.
    await page.keyboard.press("Control+End");
    await page.keyboard.type("my note");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await status(page)).safety).toBe("all edits safe");
    appendFileSync(path, "fourth\n");
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text))
      .toEqual(["> first", "second", "third", "my note", "fourth", ""]);
    expect(await messages(page)).not.toContainEqual(expect.stringMatching(/appends to/));
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => readFileSync(path, "utf8"), { timeout: 30_000 })
      .toBe("> first\nsecond\nthird\nmy note\nfourth\n");

    // The file's last line deleted: the deletion ends at the old end, so the next line follows
    // what is left, as it does in the file with the deletion saved.
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Shift+ArrowUp");
    await page.keyboard.press("Backspace");
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text))
      .toEqual(["> first", "second", "third", "my note", ""]);
    await expect.poll(async () => (await status(page)).safety).toBe("all edits safe");
    appendFileSync(path, "fifth\n");
    await expect
      .poll(async () => (await visibleLines(page)).map((line) => line.text))
      .toEqual(["> first", "second", "third", "my note", "fifth", ""]);
    expect(await messages(page)).not.toContainEqual(expect.stringMatching(/appends to/));
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => readFileSync(path, "utf8"), { timeout: 30_000 })
      .toBe("> first\nsecond\nthird\nmy note\nfifth\n");
    await page.context().close();
  }, 60_000);
});
