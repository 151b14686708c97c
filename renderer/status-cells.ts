/**
 * What the status bar and the page's title say, from plain facts (the editor's, the page's):
 * cells by name, in order, and the title marked while the document has unsaved changes.
 */
import { formatBytes } from "../presentation/format-bytes.js";
import type { DocumentInfo } from "../protocol/messages.js";
import { formatCount } from "./format.js";
import type { FollowMode } from "./window-activity.js";

/** Bytes done of a save's total. */
export interface Progress {
  done: number;
  total: number;
}

/** What the status bar shows, gathered from the editor and the page. */
export interface StatusFacts {
  info: DocumentInfo;
  /** Absolute 0-based line and 1-based column of the cursor, null while unknown. */
  line: number | null;
  column: number | null;
  selection: { anchor: number; head: number };
  /** The filter view's summary, when it is shown. */
  filter: string | null;
  wrap: boolean;
  follow: FollowMode;
  /** A save under way. */
  saving: Progress | null;
  /** A replace-all under way ("replacing 40%"). */
  replacing: string | null;
  connected: boolean;
}

/** What the desktop shell is told of the document. */
export interface DocumentState {
  title: string;
  modified: boolean;
  path: string;
}

const FOLLOW_LABELS: Record<FollowMode, string> = {
  off: "follow: off",
  on: "following",
  paused: "follow paused (Ctrl+End)",
};

const percent = (done: number, total: number) => Math.floor((100 * done) / Math.max(1, total));

/** The status bar's cells, by name (the name is the cell's data-cell), in order. */
export function statusCells(facts: StatusFacts): [string, string][] {
  const { info, line, column, selection } = facts;
  const selected = Math.abs(selection.head - selection.anchor);
  const indexing =
    info.lineCount === null
      ? `indexing ${percent(info.indexProgress.bytesDone, info.indexProgress.bytesTotal)}%`
      : `${formatCount(info.lineCount)} line${info.lineCount === 1 ? "" : "s"}`;
  const safety = facts.saving
    ? `saving ${percent(facts.saving.done, facts.saving.total)}%`
    : (facts.replacing ?? info.safety);
  const cells: [string, string][] = [
    ["file", info.name],
    [
      "position",
      `Ln ${line === null ? "—" : formatCount(line + 1)}, Col ${column === null ? "—" : formatCount(column)}`,
    ],
    ["byte", `Byte ${formatCount(selection.head)}`],
  ];
  if (selected > 0) cells.push(["selection", `${formatBytes(selected)} selected`]);
  if (facts.filter !== null) cells.push(["filter", `filter: ${facts.filter}`]);
  if (facts.wrap) cells.push(["wrap", "wrap"]);
  cells.push(["follow", FOLLOW_LABELS[facts.follow]]);
  cells.push(
    ["lines", indexing],
    ["size", formatBytes(info.length)],
    ["eol", info.eol.toUpperCase()],
    // A guess (no BOM, not strict UTF-8) says so; the cell is the menu to read the file another way.
    ["encoding", `${info.encoding.toUpperCase()}${(info.encodingConfidence ?? 1) < 1 ? " (guess)" : ""}`],
    [
      "safety",
      !facts.connected
        ? "not connected"
        : info.readOnly
          ? "read-only"
          : info.canSave === false
            ? `read-only file · ${safety}`
            : safety,
    ],
  );
  return cells;
}

/** The page's title: the file's name, marked while it has unsaved changes. */
export function documentTitle(info: Pick<DocumentInfo, "name" | "modified">): string {
  return `${info.modified ? "● " : ""}${info.name} — Gigapad`;
}
