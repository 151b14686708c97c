/**
 * A slide's transaction, worked out: the changes that turn the window the editor holds into the
 * new one the engine sent (same version) by adding and dropping whole lines at its edges, the
 * break marks of the added text, and where the new window sits — or nothing, when the two do not
 * line up and the window must be reloaded. Pure: CodeMirror's state types only.
 */
import { ChangeSet, RangeSet, type Text } from "@codemirror/state";
import type { DocumentWindow } from "../protocol/messages.js";
import { byteLength } from "./text-bytes.js";
import {
  type BreakMark,
  breakMark,
  placementOf,
  type WindowPlacement,
  type WindowState,
  windowLineBytes,
  windowText,
} from "./window-state.js";

/** How the current window becomes the new one: the text changes, the marks they add, where it sits. */
export interface SlidePlan {
  changes: ChangeSet;
  /** Break marks of the added text, in the new document's positions. */
  added: RangeSet<BreakMark>;
  placement: WindowPlacement;
}

/**
 * The changes that turn the window `old` (holding `doc`) into `next` (same version) at its edges,
 * or null when they do not line up (apart, or not at line boundaries): then it is reloaded.
 * `newlineBytes` is the document's newline, for the new placement.
 */
export function planSlide(
  old: WindowState,
  doc: Text,
  next: DocumentWindow,
  newlineBytes: 1 | 2,
): SlidePlan | null {
  const oldStart = old.placement.start;
  const oldEnd = old.endByte(doc);
  const starts = windowLineBytes(next);
  const lineEnd = (i: number) => starts[i]! + byteLength(next.lines[i]!);
  const breakBytes = old.placement.newlineBytes;
  if (next.end < oldStart || next.start > oldEnd) return null;

  const changes: { from: number; to?: number; insert?: string }[] = [];
  const frontMarks: ReturnType<typeof breakMark>[] = [];
  if (next.start < oldStart) {
    const k = starts.indexOf(oldStart);
    if (k <= 0) return null;
    const front = windowText(next.lines.slice(0, k), next.breaks.slice(0, k), breakBytes);
    changes.push({ from: 0, insert: `${front.text}\n` });
    for (const cursor = front.marks.iter(); cursor.value; cursor.next()) {
      frontMarks.push(breakMark(cursor.value.bytes, cursor.from));
    }
  } else if (next.start > oldStart) {
    const cut = old.posAtByte(doc, next.start);
    if (cut === null || doc.lineAt(cut).from !== cut) return null;
    changes.push({ from: 0, to: cut });
  }
  /** The new window's line that ends where the old window ends, when text is added after it. */
  let back: number | null = null;
  if (next.end > oldEnd) {
    let j = -1;
    for (let i = next.lines.length - 1; i >= 0 && starts[i + 1]! >= oldEnd; i--) {
      if (lineEnd(i) === oldEnd) {
        j = i;
        break;
      }
    }
    if (j < 0 || j === next.lines.length - 1) return null;
    const tail = next.lines.slice(j + 1).join("\n");
    changes.push({ from: doc.length, insert: `\n${tail}` });
    back = j;
  } else if (next.end < oldEnd) {
    const cut = old.posAtByte(doc, next.end);
    if (cut === null || doc.lineAt(cut).to !== cut) return null;
    changes.push({ from: cut, to: doc.length });
  }
  // Lone CRs are text: only "\n" separates lines (as the editor's state says).
  const changeSet = ChangeSet.of(changes, doc.length, "\n");
  const added = [...frontMarks];
  if (back !== null) {
    const at = changeSet.mapPos(doc.length, -1);
    if (next.breaks[back] !== breakBytes) added.push(breakMark(next.breaks[back]!, at));
    const tail = windowText(next.lines.slice(back + 1), next.breaks.slice(back + 1), breakBytes, at + 1);
    for (const cursor = tail.marks.iter(); cursor.value; cursor.next()) {
      added.push(breakMark(cursor.value.bytes, cursor.from));
    }
  }
  added.sort((a, b) => a.from - b.from);
  const placement = placementOf(next, newlineBytes);
  // The index has not counted this far yet, but the old window knew where its first line is.
  if (placement.firstLine === null && old.placement.firstLine !== null && next.start === oldStart) {
    placement.firstLine = old.placement.firstLine;
  }
  return { changes: changeSet, added: RangeSet.of(added), placement };
}
