/**
 * The encoding cell of the status bar is a menu: the encodings the document may be read in, the
 * current one marked, the likeliest first. Choosing one reads the same bytes that way (the host's
 * reopenWithEncoding); nothing on disk changes.
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

/** Shows the menu above the status bar's encoding cell. */
export function showEncodingMenu(
  menu: ContextMenu,
  cell: HTMLElement,
  info: DocumentInfo,
  choose: (encoding: string) => void,
): void {
  const box = cell.getBoundingClientRect();
  menu.show(box.left, box.top, encodingEntries(info, choose), { above: true });
}
