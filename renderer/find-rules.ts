/**
 * What the find panel decides, apart from its DOM: where a search from the selection starts,
 * whether the selection is the match Replace would replace, how the count and a replace-all's
 * progress read, and which key is Replace All.
 */
import type { Match } from "../protocol/messages.js";
import { formatCount } from "./format.js";

/** Where a search from the selection starts: after it going forward, at its start going backward. */
export function searchStart(
  selection: { anchor: number; head: number },
  direction: "forward" | "backward",
): number {
  const low = Math.min(selection.anchor, selection.head);
  const high = Math.max(selection.anchor, selection.head);
  return direction === "forward" ? high : low;
}

/** Whether the selection is exactly `match` (Replace replaces only what is seen selected). */
export function selects(selection: { anchor: number; head: number }, match: Match): boolean {
  return (
    Math.min(selection.anchor, selection.head) === match.start &&
    Math.max(selection.anchor, selection.head) === match.end
  );
}

/** The count as the panel shows it: "3 of 40 matches", "120+ matches…" while counting, "No matches". */
export function countLabel(
  count: { total: number | null; partial: number },
  currentIndex: number | null,
): string {
  const { total, partial } = count;
  const index = currentIndex !== null ? `${formatCount(currentIndex)} of ` : "";
  if (total === null) return `${index}${formatCount(partial)}+ matches…`;
  if (total === 0) return "No matches";
  return `${index}${formatCount(total)} match${total === 1 ? "" : "es"}`;
}

/** A running replace-all as the status bar shows it: "replacing 40% (1,200)". */
export function replaceProgressLabel(progress: { scanned: number; total: number; count: number }): string {
  const percent = Math.floor((100 * progress.scanned) / Math.max(1, progress.total));
  return `replacing ${percent}% (${formatCount(progress.count)})`;
}

/** Ctrl+Alt+Enter (Cmd+Alt+Enter on macOS): VS Code's Replace All. */
export function isReplaceAllKey(
  event: Pick<KeyboardEvent, "key" | "altKey" | "ctrlKey" | "metaKey">,
): boolean {
  return event.key === "Enter" && event.altKey && (event.ctrlKey || event.metaKey);
}
