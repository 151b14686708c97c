/**
 * Files in the encodings people have, in the editor: a Windows-1252 log and a Shift_JIS log are
 * shown decoded with their encoding in the status bar, typed into and saved with every other byte
 * as it was, and read another way from the status bar's encoding menu.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
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

let browser: Browser;
let dir: string;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-encodings-"));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function logLines(lines: readonly string[], count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${String(i + 1).padStart(5, "0")} ${lines[i % lines.length]}`,
  );
}

async function serveText(name: string, lines: string[], encoding: string) {
  const path = join(dir, name);
  const bytes = iconv.encode(`${lines.join("\n")}\n`, encoding);
  writeFileSync(path, bytes);
  const server = await startServe(path, { stateDir: join(dir, "state") });
  servers.push(server);
  return { path, bytes, server };
}

async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press("Control+g");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await expect
    .poll(async () => (await status(page)).position, { timeout: 20_000 })
    .toBe(`Ln ${line.toLocaleString("en-US")}, Col 1`);
}

async function typeAtEndOfLineAndSave(page: Page, line: number, typed: string, name: string): Promise<void> {
  await goToLine(page, line);
  await page.keyboard.press("End");
  await page.keyboard.type(typed);
  await page.keyboard.press("Control+s");
  await expect
    .poll(() => messages(page), { timeout: 30_000 })
    .toContainEqual(expect.stringMatching(new RegExp(`^Saved ${name}`)));
}

const FRENCH = ["Le café était fermé à Noël", "Déjà vu: «élève» et garçon", "Prix: 25 € — payé, reçu"];
const JAPANESE = [
  "東京都でエラーが発生しました",
  "ﾃｽﾄ：ログ出力を開始します",
  "接続がタイムアウトしました（再試行）",
];

describe("files in other encodings", () => {
  it("a Windows-1252 log reads as French, takes typed accents and € in its own bytes, and reads as Cyrillic on request", async () => {
    const lines = logLines(FRENCH, 3000);
    const { path, bytes, server } = await serveText("ventes.log", lines, "windows-1252");
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).encoding).toBe("WINDOWS-1252 (guess)");
    expect((await visibleLines(page)).slice(0, 3).map((line) => line.text)).toEqual(lines.slice(0, 3));
    await screenshot(page, "encoding-windows-1252");

    // The encoding menu reads the same bytes another way; nothing on disk changes.
    await page.locator('[data-cell="encoding"]').click();
    await page.getByRole("menuitem", { name: /Reopen with Encoding/ }).click();
    await page.getByRole("menuitem", { name: /Cyrillic \(Windows-1251\)/ }).click();
    await expect.poll(async () => (await status(page)).encoding).toBe("WINDOWS-1251");
    await expect
      .poll(async () => (await visibleLines(page))[0]?.text)
      .toBe(iconv.decode(iconv.encode(lines[0]!, "windows-1252"), "windows-1251"));
    expect(readFileSync(path).equals(bytes)).toBe(true);
    await page.locator('[data-cell="encoding"]').click();
    await page.getByRole("menuitem", { name: /Reopen with Encoding/ }).click();
    await screenshot(page, "encoding-menu");
    await page.getByRole("menuitem", { name: /Western \(Windows-1252/ }).click();
    await expect.poll(async () => (await status(page)).encoding).toBe("WINDOWS-1252");
    await expect.poll(async () => (await visibleLines(page))[0]?.text).toBe(lines[0]);

    const line = 1500;
    const typed = " — Ça coûte 5 €";
    await typeAtEndOfLineAndSave(page, line, typed, "ventes\\.log");
    const at = iconv.encode(`${lines.slice(0, line).join("\n")}`, "windows-1252").length;
    const inserted = iconv.encode(typed, "windows-1252");
    expect(inserted.length).toBe(typed.length); // one byte a character, € too
    const saved = readFileSync(path);
    expect(saved.equals(Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]))).toBe(true);

    // Save with Encoding converts the whole file; the editor reads it in the new encoding.
    await page.locator('[data-cell="encoding"]').click();
    await page.getByRole("menuitem", { name: /Save with Encoding/ }).click();
    await page.getByRole("menuitem", { name: /Unicode \(UTF-8\)/ }).click();
    await expect.poll(() => messages(page), { timeout: 30_000 }).toContainEqual("Saved ventes.log in UTF-8");
    await expect.poll(async () => (await status(page)).encoding).toBe("UTF-8");
    expect(readFileSync(path).toString("utf8")).toBe(iconv.decode(saved, "windows-1252"));
    await screenshot(page, "encoding-saved-utf8");
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === String(line))?.text)
      .toBe(`${lines[line - 1]}${typed}`);
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  it("a Shift_JIS log reads as Japanese, finds Japanese text, and saves typed kana in Shift_JIS", async () => {
    const lines = logLines(JAPANESE, 3000);
    const { path, bytes, server } = await serveText("サーバー.log", lines, "shift_jis");
    const page = await openEditor(browser, server.url);
    // chardet is sure of Shift_JIS text like this one (confidence 1: no "(guess)").
    await expect.poll(async () => (await status(page)).encoding).toMatch(/^SHIFT_JIS/);
    expect((await visibleLines(page)).slice(0, 3).map((line) => line.text)).toEqual(lines.slice(0, 3));

    await page.keyboard.press("Control+f");
    await page.keyboard.type("タイムアウト");
    await expect
      .poll(async () => page.locator(".gp-find-count").textContent(), { timeout: 20_000 })
      .toMatch(/1,000 matches|of 1,000/);
    await page.keyboard.press("Escape");
    await screenshot(page, "encoding-shift-jis");

    const line = 2000;
    const typed = "【確認済み】";
    await typeAtEndOfLineAndSave(page, line, typed, "サーバー\\.log");
    const at = iconv.encode(`${lines.slice(0, line).join("\n")}`, "shift_jis").length;
    const inserted = iconv.encode(typed, "shift_jis");
    const saved = readFileSync(path);
    expect(saved.equals(Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]))).toBe(true);
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  it("a UTF-16LE export (no BOM) reads by code units, and saves typed text in UTF-16", async () => {
    // 上 is 0A 4E in UTF-16LE: a 0x0A byte that is no line feed.
    const lines = logLines(["SELECT 上海 FROM orders", "INSERT 東京 VALUES (1)", "plain ASCII row"], 3000);
    const { path, bytes, server } = await serveText("export.csv", lines, "utf-16le");
    const page = await openEditor(browser, server.url);
    await expect.poll(async () => (await status(page)).encoding).toMatch(/^UTF-16LE/);
    await expect.poll(async () => (await status(page)).lines).toBe("3,001 lines");
    expect((await visibleLines(page)).slice(0, 3).map((line) => line.text)).toEqual(lines.slice(0, 3));
    await screenshot(page, "encoding-utf-16le");
    const line = 2500;
    const typed = " -- 確認 ok";
    await typeAtEndOfLineAndSave(page, line, typed, "export\\.csv");
    const at = iconv.encode(`${lines.slice(0, line).join("\n")}`, "utf-16le").length;
    const inserted = iconv.encode(typed, "utf-16le");
    const saved = readFileSync(path);
    expect(saved.equals(Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]))).toBe(true);

    // Save with Encoding to UTF-8: written, then read anew counting bytes; the lines stay where they were.
    await page.locator('[data-cell="encoding"]').click();
    await page.getByRole("menuitem", { name: /Save with Encoding/ }).click();
    await page.getByRole("menuitem", { name: /Unicode \(UTF-8\)/ }).click();
    await expect.poll(() => messages(page), { timeout: 30_000 }).toContainEqual("Saved export.csv in UTF-8");
    await expect.poll(async () => (await status(page)).encoding).toBe("UTF-8");
    expect(readFileSync(path).toString("utf8")).toBe(iconv.decode(saved, "utf-16le"));
    await expect
      .poll(async () => (await visibleLines(page)).find((l) => l.number === String(line))?.text)
      .toBe(`${lines[line - 1]}${typed}`);
    await expect.poll(async () => (await status(page)).lines).toBe("3,001 lines");
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });
});
