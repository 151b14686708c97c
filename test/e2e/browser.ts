/**
 * End-to-end helpers: `gigapad serve` in a child process and headless Chromium driven by
 * playwright-core. Chromium is never downloaded: it is CHROME_PATH, a browser the platform
 * installed, or the one the @sparticuz/chromium dev dependency carries (bench/chromium.ts); none
 * at all fails with the hint instead of skipping.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import {
  authorize,
  CHROMIUM_FLAGS,
  CHROMIUM_INSTALL_HINT,
  type FoundChromium,
  findChromium,
} from "../../bench/chromium.js";

export { authorize };

import {
  firstLinesLayoutProbe,
  messagesProbe,
  recordFramesProbe,
  selectedTextProbe,
  statusProbe,
  visibleLinesProbe,
} from "./page-probes.mjs";

export const REPO = join(import.meta.dirname, "..", "..");
/** Screenshots land here, kept as test artifacts (CI can collect them). */
export const ARTIFACTS = join(REPO, "test", "artifacts");

let found: FoundChromium | null = null;

/** The Chromium the tests drive; throws with the hint when there is none. */
export function chromiumPath(): string {
  if (found) return found.path;
  const chromium = findChromium();
  if (!chromium) throw new Error(`No Chromium found for the end-to-end tests: ${CHROMIUM_INSTALL_HINT}.`);
  found = chromium;
  console.log(`end-to-end tests drive Chromium at ${chromium.path} (${chromium.source})`);
  return chromium.path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
}

export interface ServeProcess {
  url: string;
  origin: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then waits for the exit (the document is committed and closed). */
  stop(): Promise<number | null>;
}

/** Starts `gigapad serve FILE` and resolves with its URL once it prints one. */
export function startServe(
  file: string,
  options: { stateDir: string; args?: string[] },
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(REPO, "cli", "gigapad.mjs"), "serve", file, ...(options.args ?? [])],
    { env: { ...process.env, GIGAPAD_STATE_DIR: options.stateDir }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (data) => {
    stderr += data;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gigapad serve printed no URL:\n${stdout}\n${stderr}`)),
      30_000,
    );
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gigapad serve exited with ${code}:\n${stdout}\n${stderr}`));
    });
    child.stdout!.on("data", (data) => {
      stdout += data;
      const match = /(http:\/\/\S+\/\?token=\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      const url = match[1]!;
      resolve({
        url,
        origin: new URL(url).origin,
        child,
        output: () => stdout + stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.removeAllListeners("exit");
            child.on("exit", (code) => done(code));
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** Opens the editor page and waits until the first window is shown. */
export async function openEditor(
  browser: Browser,
  url: string,
  size = { width: 1200, height: 720 },
): Promise<Page> {
  const context = await browser.newContext({ viewport: size });
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  loggedErrors.set(page, errors);
  await page.goto(await authorize(context, url));
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  return page;
}

const loggedErrors = new WeakMap<Page, string[]>();

/** Errors the page logged (uncaught exceptions, console errors such as CSP violations). */
export function pageErrors(page: Page): string[] {
  return loggedErrors.get(page) ?? [];
}

/** Saves a screenshot under test/artifacts. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Text of the editor lines on screen, with their gutter numbers. */
export function visibleLines(page: Page): Promise<{ number: string; text: string }[]> {
  return page.evaluate(visibleLinesProbe);
}

/**
 * Where the page draws its first line and line number, and its first lines' texts and numbers:
 * for the first screen that comes with the page or the editor, by their selectors.
 */
export function firstLinesLayout(page: Page, lineSelector: string, numberSelector: string) {
  return page.evaluate(firstLinesLayoutProbe, [lineSelector, numberSelector] as [string, string]);
}

/** Starts recording what each of the next `frames` drawn frames shows (see framesRecorded). */
export async function recordFrames(page: Page, frames: number): Promise<void> {
  await page.evaluate(`(${recordFramesProbe})(${frames}, ${visibleLinesProbe})`);
}

/** What the frames recorded by recordFrames showed: the first line on screen and all numbers. */
export async function framesRecorded(page: Page): Promise<{ first: string; numbers: string[] }[]> {
  return (await page.evaluate("window.__frames")) as { first: string; numbers: string[] }[];
}

/** The status bar's cells by name. */
export function status(page: Page): Promise<Record<string, string>> {
  return page.evaluate(statusProbe);
}

/** The text the editor's main selection covers (within the window). */
export function selectedText(page: Page): Promise<string> {
  return page.evaluate(selectedTextProbe);
}

/** The messages the page shows. */
export function messages(page: Page): Promise<string[]> {
  return page.evaluate(messagesProbe);
}
