/**
 * What the editor benchmarks share: `gigapad serve FILE` as a child process (as a user runs it,
 * so its memory is its own: /proc/PID/status), headless Chromium on its page with the session
 * cookie, and an in-page recorder of key times and of when a condition first holds in the DOM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { authorize, CHROMIUM_FLAGS, findChromium } from "./chromium.js";

const cliPath = fileURLToPath(new URL("../../cli/gigapad.mjs", import.meta.url));

export interface ServeChild {
  url: string;
  pid: number;
  /** SIGTERM, then waits for the exit (the document is committed and closed). */
  stop(): Promise<void>;
}

/** Starts `gigapad serve FILE [args]` and resolves once it prints its URL. */
export function startServe(file: string, stateDir: string, args: string[] = []): Promise<ServeChild> {
  const child: ChildProcess = spawn(process.execPath, [cliPath, "serve", file, ...args], {
    env: { ...process.env, GIGAPAD_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (data) => {
    output += data;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gigapad serve printed no URL:\n${output}`)), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gigapad serve exited with ${code}:\n${output}`));
    });
    child.stdout!.on("data", (data) => {
      output += data;
      const match = /(http:\/\/\S+\/\?token=\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      resolve({
        url: match[1]!,
        pid: child.pid!,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/**
 * A process's resident set now and at its peak (VmRSS, VmHWM), and the part of it that is its own
 * memory rather than mapped file pages (RssAnon), in MiB; NaN off Linux.
 */
export function processMemory(pid: number): { rss: number; peak: number; anon: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024;
    return { rss: kib("VmRSS"), peak: kib("VmHWM"), anon: kib("RssAnon") };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN, anon: Number.NaN };
  }
}

/** Headless Chromium (never downloaded), or null when this machine has none. */
export async function launchBrowser(): Promise<Browser | null> {
  const found = findChromium();
  if (!found) return null;
  return chromium.launch({ executablePath: found.path, args: CHROMIUM_FLAGS, headless: true });
}

/**
 * Key times and conditions, recorded in the page on its own clock (performance.now()):
 * `__bench.keys["Control+Alt+Enter"]` is the last such keydown's timeStamp; `__bench.watch(name,
 * test)` starts a MutationObserver that, the first time `test()` returns something other than
 * null/undefined/false, records when (`seen`) and when the next frame after it had been drawn
 * (`painted`: the first task after the next animation frame), in `__bench.waits[name]`.
 */
const RECORDER = `(() => {
  if (window.__bench) return;
  const bench = (window.__bench = { keys: {}, waits: {} });
  window.addEventListener("keydown", (event) => {
    const name = (event.ctrlKey ? "Control+" : "") + (event.altKey ? "Alt+" : "") +
      (event.shiftKey ? "Shift+" : "") + event.key;
    bench.keys[name] = event.timeStamp;
  }, true);
  bench.watch = (name, test) => {
    let resolve;
    bench.waits[name] = new Promise((done) => { resolve = done; });
    let finished = false;
    const observer = new MutationObserver(() => check());
    const check = () => {
      if (finished) return;
      let value;
      try { value = test(); } catch { value = null; }
      if (value === null || value === undefined || value === false) return;
      finished = true;
      observer.disconnect();
      const seen = performance.now();
      requestAnimationFrame(() => setTimeout(() => resolve({ seen, painted: performance.now(), value })));
    };
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    check();
  };
})()`;

export interface Watched<T> {
  seen: number;
  painted: number;
  value: T;
}

export interface EditorPage {
  page: Page;
  /** Starts watching for `test` (the source of a function run in the page). */
  watch(name: string, test: string): Promise<void>;
  /** Waits for a watch to be met. */
  waited<T>(name: string): Promise<Watched<T>>;
  /** When the page last saw this key go down (performance.now() time). */
  keyTime(key: string): Promise<number>;
  /** A status bar cell's text. */
  status(cell: string): Promise<string>;
  /** The page's JS heap in use after a garbage collection (MiB). */
  heapMiB(): Promise<number>;
  /** Polls `test` (page source of an expression) until truthy; for set-up, never for timing. */
  until(test: string, timeoutMs?: number): Promise<unknown>;
}

/** Opens the editor of a `gigapad serve` in a fresh context and waits until it is ready. */
export async function openEditorPage(browser: Browser, url: string): Promise<EditorPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(await authorize(context, url));
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  await page.evaluate(RECORDER);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  // Polled from here: the page's CSP refuses waitForFunction's string evaluation.
  const until = async (test: string, timeoutMs = 300_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await page.evaluate(test);
      if (value !== null && value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${test}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    page,
    watch: (name, test) => page.evaluate(`window.__bench.watch(${JSON.stringify(name)}, ${test})`),
    waited: <T>(name: string) =>
      page.evaluate(`window.__bench.waits[${JSON.stringify(name)}]`) as Promise<Watched<T>>,
    async keyTime(key) {
      const time = (await page.evaluate(`window.__bench.keys[${JSON.stringify(key)}]`)) as number | undefined;
      if (time === undefined) throw new Error(`the page saw no ${key} keydown`);
      return time;
    },
    status: (cell) =>
      page.evaluate(
        `document.querySelector('#status [data-cell=${JSON.stringify(cell)}]')?.textContent ?? ""`,
      ) as Promise<string>,
    async heapMiB() {
      await cdp.send("HeapProfiler.collectGarbage");
      const { metrics } = await cdp.send("Performance.getMetrics");
      const used = metrics.find((metric) => metric.name === "JSHeapUsedSize")?.value;
      return used === undefined ? Number.NaN : used / 1024 ** 2;
    },
    until,
  };
}

/** Waits until the page's status bar shows the full line count (the line index is built). */
export async function whenIndexed(editor: EditorPage): Promise<void> {
  await editor.until(
    `/ lines?$/.test(document.querySelector('#status [data-cell="lines"]')?.textContent ?? "")`,
  );
}

/** Whether two files hold the same bytes. */
export function sameBytes(a: string, b: string): boolean {
  const block = 16 * 1024 * 1024;
  const left = Buffer.alloc(block);
  const right = Buffer.alloc(block);
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  try {
    for (let at = 0; ; at += block) {
      const got = readSync(fa, left, 0, block, at);
      const gotB = readSync(fb, right, 0, block, at);
      if (got !== gotB || !left.subarray(0, got).equals(right.subarray(0, gotB))) return false;
      if (got === 0) return true;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}
