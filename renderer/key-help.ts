/**
 * The keys, as the help sheet (F1, or ? in the status bar) lists them. Plain data: the sheet is
 * drawn from it, and a test checks that every editor command has a row.
 */
import type { EditorCommand } from "../protocol/desktop-bridge.js";

export interface KeyHelpRow {
  /** Keys with Ctrl (Cmd on macOS), written "Mod". */
  keys: string;
  does: string;
  /** The commands these keys run, where there are some. */
  commands?: EditorCommand[];
}

export const KEY_HELP: readonly KeyHelpRow[] = [
  { keys: "Mod+F", does: "Find in the whole file", commands: ["find"] },
  {
    keys: "Enter / Shift+Enter, F3 / Shift+F3",
    does: "Next / previous match",
    commands: ["findNext", "findPrevious"],
  },
  { keys: "Mod+H", does: "Find and replace (Tab moves to the replacement)", commands: ["replace"] },
  { keys: "Enter in Replace", does: "Replace this match and go to the next" },
  { keys: "Mod+Alt+Enter", does: "Replace every match in the file (Escape cancels)" },
  {
    keys: "Mod+Shift+L",
    does: "Only the matching lines (filter view); again to go back",
    commands: ["filter"],
  },
  { keys: "Mod+G", does: "Go to a line, +bytes (+1.5G) or a percentage (50%)", commands: ["goToLine"] },
  {
    keys: "Mod+Home / Mod+End",
    does: "Start / end of the file (with Shift: select to there)",
    commands: ["goToStart", "goToEnd"],
  },
  { keys: "Mod+A", does: "Select the whole file", commands: ["selectAll"] },
  { keys: "Mod+Z", does: "Undo, anywhere in the file", commands: ["undo"] },
  { keys: "Mod+Shift+Z / Mod+Y", does: "Redo", commands: ["redo"] },
  { keys: "Mod+S / Mod+Shift+S", does: "Save / save as", commands: ["save", "saveAs"] },
  {
    keys: "Mod+O",
    does: "Open another file of the folder, in a new tab (type to filter); in the desktop app, File › Open…",
  },
  { keys: "Alt+Z", does: "Soft wrap on/off", commands: ["toggleWrap"] },
  {
    keys: "Mod+Shift+F",
    does: "Follow a growing file (a log): the end stays in view; scrolling up pauses, Mod+End resumes",
    commands: ["follow"],
  },
  { keys: "Right-click", does: "Cut, copy, paste, find the selection, go to a line" },
  { keys: "F1", does: "This sheet", commands: ["help"] },
];

/** The rows for this platform: Mod is Cmd on macOS and Ctrl elsewhere (Replace is Cmd+Alt+F there). */
export function keyHelpFor(mac: boolean): { keys: string; does: string }[] {
  return KEY_HELP.map((row) => ({
    keys: mac && row.keys === "Mod+H" ? "Cmd+Alt+F" : row.keys.replaceAll("Mod", mac ? "Cmd" : "Ctrl"),
    does: row.does,
  }));
}
