/**
 * Soft wrap is remembered per file (by its path), in the page's local storage: reopening a
 * one-line JSON you read wrapped shows it wrapped again. Storage may be unavailable (private
 * windows, a sandboxed scheme): then wrap simply starts off.
 */
const PREFIX = "gigapad.wrap:";

export function rememberWrap(path: string, on: boolean): void {
  try {
    if (on) localStorage.setItem(PREFIX + path, "1");
    else localStorage.removeItem(PREFIX + path);
  } catch {
    // Not remembered; the toggle still works for this page.
  }
}

export function recallWrap(path: string): boolean {
  try {
    return localStorage.getItem(PREFIX + path) === "1";
  } catch {
    return false;
  }
}
