/**
 * The page's own shortcuts (find, go to, save), which work wherever the focus is. Plain data in,
 * a command id out: the desktop menus show the same keys (tests check they agree).
 */
import type { EditorCommand } from "../protocol/desktop-bridge.js";

/** What a shortcut looks at of a key event. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The page-wide shortcut an event is, if any (Cmd on macOS, Ctrl elsewhere). */
export function pageShortcut(event: KeyPress, mac: boolean): EditorCommand | null {
  const mod = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  const key = event.key.toLowerCase();
  // Alt+Z (VS Code's key); Option+Z types Ω on a Mac, which counts too.
  if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    return key === "z" || key === "ω" ? "toggleWrap" : null;
  }
  // Replace: Ctrl+H; Cmd+Alt+F on macOS (Option+F types ƒ there).
  if (mac && mod && event.altKey && !event.shiftKey && (key === "f" || key === "ƒ")) return "replace";
  if (event.altKey) return null;
  if (!mac && mod && key === "h" && !event.shiftKey) return "replace";
  if (key === "f3" && !event.ctrlKey && !event.metaKey) return event.shiftKey ? "findPrevious" : "findNext";
  if (key === "f1" && !event.ctrlKey && !event.metaKey && !event.shiftKey) return "help";
  if (!mod) return null;
  if (key === "f" && !event.shiftKey) return "find";
  if (key === "l" && event.shiftKey) return "filter";
  if (key === "f" && event.shiftKey) return "follow";
  if (key === "g" && !event.shiftKey) return "goToLine";
  if (key === "s") return event.shiftKey ? "saveAs" : "save";
  return null;
}
