/**
 * Which Chromium the UI benchmarks and the end-to-end tests drive, and the flags that work on
 * these machines (no network, no GPU, possibly root). A test tool never downloads a browser:
 *
 * 1. `CHROME_PATH`, if set (a wrong one is an error, not a fallback);
 * 2. a Chrome, Chromium or Edge the platform installs (on PATH, under /usr/lib and /opt on Linux,
 *    in /Applications on macOS, in Program Files on Windows);
 * 3. the headless Chromium that the `@sparticuz/chromium` dev dependency carries inside its npm
 *    package (Linux x64 and arm64): decompressed once into a folder of the temp dir, so
 *    `npm install && npm test` needs no browser on the machine and no root.
 */
import { execFileSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import { delimiter, dirname, join } from "node:path";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How to get one, for messages. */
export const CHROMIUM_INSTALL_HINT =
  "run `npm install` (it brings @sparticuz/chromium on Linux), install Chrome or Chromium, or point CHROME_PATH at a Chromium binary";

export interface FoundChromium {
  /** The executable. */
  path: string;
  /** Where it came from, as said to people: "CHROME_PATH", "installed", "@sparticuz/chromium 143.0.4". */
  source: string;
}

const LINUX_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "microsoft-edge",
  "microsoft-edge-stable",
];
const LINUX_PATHS = [
  "/usr/lib/chromium/chromium",
  "/usr/lib/chromium-browser/chromium-browser",
  "/opt/google/chrome/chrome",
  "/opt/microsoft/msedge/msedge",
];
const MAC_PATHS = [
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The Chrome, Chromium or Edge this platform has installed, if any. */
export function installedChromium(): string | null {
  if (process.platform === "linux") {
    for (const name of LINUX_NAMES) {
      const found = onPath(name);
      if (found) return found;
    }
    return LINUX_PATHS.find(isExecutable) ?? null;
  }
  if (process.platform === "darwin") return MAC_PATHS.find(isExecutable) ?? null;
  if (process.platform === "win32") {
    const roots = [process.env.PROGRAMFILES, process.env["PROGRAMFILES(X86)"], process.env.LOCALAPPDATA];
    for (const root of roots) {
      if (!root) continue;
      for (const relative of [
        "Google\\Chrome\\Application\\chrome.exe",
        "Chromium\\Application\\chrome.exe",
        "Microsoft\\Edge\\Application\\msedge.exe",
      ]) {
        if (isExecutable(join(root, relative))) return join(root, relative);
      }
    }
  }
  return null;
}

/**
 * The Chromium inside the `@sparticuz/chromium` package, decompressed (about 3 s, once) into
 * `<tmp>/gigapad-chromium-<version>-<user>/`. Parallel test processes may race here: each
 * decompresses into a folder of its own and renames it into place; the loser uses the winner's.
 */
export function packagedChromium(): FoundChromium | null {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    // The package exports no package.json: find its folder from its entry point.
    root = dirname(require.resolve("@sparticuz/chromium"));
    while (!existsSync(join(root, "package.json")) || !existsSync(join(root, "bin"))) root = dirname(root);
  } catch {
    return null; // not installed (a production install has no dev dependencies)
  }
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const source = `@sparticuz/chromium ${version}`;
  const folder = join(tmpdir(), `gigapad-chromium-${version}-${userInfo().uid}`);
  const executable = join(folder, "chromium");
  if (isExecutable(executable)) return { path: executable, source };
  mkdirSync(tmpdir(), { recursive: true });
  const staging = mkdtempSync(`${folder}.partial-`);
  try {
    // In a child whose temp dir is the staging folder: the package decompresses into tmpdir().
    const entry = join(root, "build", "esm", "index.js");
    execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { default: c } = await import(${JSON.stringify(`file://${entry}`)}); await c.executablePath();`,
      ],
      { env: { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging }, stdio: "pipe" },
    );
    try {
      renameSync(staging, folder);
    } catch (error) {
      // Another process put its copy there first: use that one.
      if (!isExecutable(executable)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return isExecutable(executable) ? { path: executable, source } : null;
}

/** The Chromium to drive, or null (with CHROME_PATH set but wrong: an error saying so). */
export function findChromium(): FoundChromium | null {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROME_PATH is ${fromEnv}, which does not exist`);
    return { path: fromEnv, source: "CHROME_PATH" };
  }
  const installed = installedChromium();
  if (installed) return { path: installed, source: "installed" };
  return packagedChromium();
}

/** Each server's session cookie, traded once for its single-use URL token (gigapad serve). */
const sessions = new Map<string, Promise<{ name: string; value: string }>>();

function sessionCookie(url: string): Promise<{ name: string; value: string }> {
  const origin = new URL(url).origin;
  let cookie = sessions.get(origin);
  if (!cookie) {
    cookie = fetch(url, { redirect: "manual" }).then((response) => {
      const header = response.headers.get("set-cookie");
      if (!header) throw new Error(`the token exchange at ${origin} set no cookie (HTTP ${response.status})`);
      const pair = header.split(";")[0]!;
      const equals = pair.indexOf("=");
      return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim() };
    });
    sessions.set(origin, cookie);
  }
  return cookie;
}

/** What a browser context needs to hold a cookie (playwright's BrowserContext has it). */
interface CookieJar {
  addCookies(
    cookies: { name: string; value: string; url: string; httpOnly?: boolean; sameSite?: "Strict" }[],
  ): Promise<void>;
}

/**
 * Gives a fresh browser context the session cookie of the `gigapad serve` whose printed URL is
 * `url` (its token is accepted once, so every context after the first gets the cookie this way),
 * and returns the editor's URL without the token.
 */
export async function authorize(context: CookieJar, url: string): Promise<string> {
  const { origin } = new URL(url);
  if (!new URL(url).searchParams.has("token")) return url;
  const { name, value } = await sessionCookie(url);
  await context.addCookies([{ name, value, url: origin, httpOnly: true, sameSite: "Strict" }]);
  return `${origin}/`;
}
