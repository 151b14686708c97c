/**
 * How wide the line-number gutter is: wide enough for the document's last line number, so it
 * does not change width as the window slides through the file. Until the line index has counted
 * the lines, the count is estimated from the line density of the first window seen — the same
 * estimate wherever it is made (the page's first screen, the editor), so the two look alike.
 */
import type { DocumentWindow } from "../protocol/messages.js";

/** Estimated lines in a document of `length` bytes from a window of it (exact if it holds all). */
export function estimatedLineCount(
  length: number,
  window: Pick<DocumentWindow, "start" | "end" | "breaks" | "atStart" | "atEnd">,
): number {
  const newlines = window.breaks.filter((bytes) => bytes > 0).length;
  if (window.atStart && window.atEnd) return newlines + 1;
  const bytes = window.end - window.start;
  if (bytes <= 0) return newlines + 1;
  return Math.max(newlines + 1, Math.round((length * newlines) / bytes) + 1);
}
