/**
 * Find and replace in Chromium over gigapad serve, with the keys a user presses: Ctrl+H, Tab,
 * Enter, Ctrl+Alt+Enter, Ctrl+S — checked against the bytes on disk of a 200 MB log.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
} from "./browser.js";

function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function saved(page: Page, name: string): Promise<void> {
  await page.keyboard.press("Control+s");
  await expect
    .poll(() => messages(page), { timeout: 60_000 })
    .toContainEqual(expect.stringMatching(new RegExp(`^Saved ${name.replace(".", "\\.")}`)));
}

describe("find and replace", () => {
  let dir: string;
  let browser: Browser;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-replace-"));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Ctrl+H, Tab, Ctrl+Alt+Enter, Ctrl+S replaces every occurrence in a 200 MB log on disk", async () => {
    const path = join(dir, "app.log");
    writeLogCorpus(path, 200 * MiB);
    const original = readFileSync(path).toString("latin1");
    const count = original.split("ERROR").length - 1;
    expect(count).toBeGreaterThan(100_000);
    const expected = sha256(Buffer.from(original.replaceAll("ERROR", "E!"), "latin1"));
    const server = await startServe(path, { stateDir: join(dir, "state") });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+h");
    // The find field has the focus; Tab goes to the replacement.
    await expect.poll(() => page.evaluate("document.activeElement?.className")).toBe("gp-find-input");
    await page.keyboard.type("ERROR");
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate("document.activeElement?.className")).toBe("gp-replace-input");
    await page.keyboard.type("E!");
    await expect.poll(() => page.textContent(".gp-find-count"), { timeout: 30_000 }).toMatch(/matches$/);
    await screenshot(page, "replace");
    const started = Date.now();
    await page.keyboard.press("Control+Alt+Enter");
    await expect
      .poll(() => messages(page), { timeout: 60_000 })
      .toContainEqual(`Replaced ${count.toLocaleString("en-US")} matches (one undo step)`);
    await saved(page, "app.log");
    console.log(`replace all of ${count} matches and save: ${Date.now() - started} ms`);
    expect(sha256(readFileSync(path))).toBe(expected);
    // The count of the pattern is now zero.
    await expect.poll(() => page.textContent(".gp-find-count"), { timeout: 30_000 }).toBe("No matches");
    await page.context().close();
  }, 300_000);

  it("Enter in the replace field replaces one match at a time, with regex groups; undo takes it back", async () => {
    const path = join(dir, "small.txt");
    const text = "id=1 x\r\nid=22 y\xff\nid=333 z\n";
    writeFileSync(path, Buffer.from(text, "latin1"));
    const server = await startServe(path, { stateDir: join(dir, "state") });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+h");
    await page.click(".gp-find-regex");
    await page.fill(".gp-find-input", "id=(\\d+)");
    // The find box jumps to the first match as you type: it is shown and selected.
    await expect.poll(() => page.textContent(".gp-find-count")).toBe("1 of 3 matches");
    await page.focus(".gp-replace-input");
    await page.keyboard.type("<$1>");
    // The first Enter shows the match it would replace (even one the find box already jumped
    // to); each next one replaces and moves on.
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent(".gp-find-count")).toBe("1 of 3 matches");
    expect(await page.textContent(".cm-line")).toBe("id=1 x");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent(".gp-find-count")).toBe("1 of 2 matches");
    // A pause (the count is taken again after a change) keeps the next match the one to replace.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await page.textContent(".gp-find-count")).toBe("1 of 2 matches");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent(".gp-find-count")).toMatch(/of 1 match$/);
    await saved(page, "small.txt");
    expect(readFileSync(path).toString("latin1")).toBe("<1> x\r\n<22> y\xff\nid=333 z\n");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+z");
    // The first save's message may still be up: wait for the file itself.
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => readFileSync(path).toString("latin1"), { timeout: 30_000 })
      .toBe("<1> x\r\nid=22 y\xff\nid=333 z\n");
    expect((await status(page)).safety).not.toMatch(/replacing/);
    await page.context().close();
  }, 60_000);

  it("Enter replaces a match whose pattern looks around it (lookbehind, $)", async () => {
    const path = join(dir, "around.txt");
    writeFileSync(path, "a id=1 b\nc id=2\n");
    const server = await startServe(path, { stateDir: join(dir, "state") });
    servers.push(server);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+h");
    await page.click(".gp-find-regex");
    await page.fill(".gp-find-input", "(?<= )id=(\\d+)$");
    await expect.poll(() => page.textContent(".gp-find-count")).toBe("1 of 1 match");
    await page.focus(".gp-replace-input");
    await page.keyboard.type("<$1>");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent(".gp-find-count")).toBe("No matches");
    await saved(page, "around.txt");
    expect(readFileSync(path, "utf8")).toBe("a id=1 b\nc <2>\n");
    await page.context().close();
  }, 60_000);
});
