/** The page's platform, as far as its keys go. */

/** Whether the page runs on macOS (Cmd where others have Ctrl). */
export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform);
}
