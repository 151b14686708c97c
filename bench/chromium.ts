/**
 * Debian's Chromium for the UI benchmarks and the end-to-end tests: never downloaded by a test
 * tool. Where it is, and the flags that work on these machines (no network, no GPU, root).
 */
import { existsSync } from "node:fs";

/** The Chromium binary: CHROME_PATH, or Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";

/** How to get it, for messages. */
export const CHROMIUM_INSTALL_HINT =
  "apt-get install -y chromium (or point CHROME_PATH at a Chromium binary)";

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

export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}
