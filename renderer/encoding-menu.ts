/**
 * The encoding cell of the status bar is a menu, as in VS Code: "Reopen with Encoding" reads the
 * same bytes another way (nothing on disk changes), "Save with Encoding" converts the text and
 * saves it; each opens the list of encodings the host offers, the current one ticked.
 */
import type { DocumentInfo } from "../protocol/messages.js";
import type { ContextMenu, MenuEntry } from "./context-menu.js";

/** The menu's entries: each encoding the host offers, the current one ticked. */
export function encodingEntries(info: DocumentInfo, choose: (encoding: string) => void): MenuEntry[] {
  const current = currentEncoding(info);
  return (info.encodings ?? []).map(({ encoding, label }) => ({
    label: `${encoding === current ? "✓ " : ""}${label}`,
    keys: encoding,
    enabled: encoding !== current,
    run: () => choose(encoding),
  }));
}

/** The WHATWG name the document is read in ("ascii" and "utf-8-bom" read as UTF-8). */
export function currentEncoding(info: Pick<DocumentInfo, "encoding">): string {
  return info.encoding === "ascii" || info.encoding === "utf-8-bom" || info.encoding === "binary"
    ? "utf-8"
    : info.encoding;
}

/** What the menu can do with a chosen encoding. */
export interface EncodingActions {
  reopen(encoding: string): void;
  save(encoding: string): void;
}

/** The menu's first level: reopen or save, each leading to the list (`list` shows it). */
export function encodingCommands(
  info: DocumentInfo,
  actions: EncodingActions,
  list: (choose: (encoding: string) => void) => void,
): MenuEntry[] {
  return [
    { label: "Reopen with Encoding…", run: () => list(actions.reopen) },
    {
      label: "Save with Encoding…",
      enabled: !info.readOnly && info.canSave !== false,
      run: () => list(actions.save),
    },
  ];
}

/** Shows the menu above the status bar's encoding cell. */
export function showEncodingMenu(
  menu: ContextMenu,
  cell: HTMLElement,
  info: DocumentInfo,
  actions: EncodingActions,
): void {
  const box = cell.getBoundingClientRect();
  const list = (choose: (encoding: string) => void) =>
    // After this click's menu has closed.
    setTimeout(() => menu.show(box.left, box.top, encodingEntries(info, choose), { above: true }));
  menu.show(box.left, box.top, encodingCommands(info, actions, list), { above: true });
}
