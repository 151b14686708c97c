/**
 * What the viewport shows of the window: the editor lines on screen, the byte at the top, whether
 * a byte is in view — read from CodeMirror's layout — and laying out at once what the next frame
 * would (so a load or slide paints its lines, not a blank screen).
 */
import type { EditorView } from "@codemirror/view";
import { windowOf } from "./window-state.js";

/** Lines the viewport shows: first and last editor line numbers. */
export function visibleLines(view: EditorView): { top: number; bottom: number } {
  const scroller = view.scrollDOM.getBoundingClientRect();
  const topHeight = scroller.top - view.documentTop;
  // A line with only a sliver (a few pixels) on screen does not count as shown.
  const sliver = 3;
  const top = view.lineBlockAtHeight(Math.max(0, topHeight + sliver));
  const bottom = view.lineBlockAtHeight(Math.max(0, topHeight + view.scrollDOM.clientHeight - sliver));
  return {
    top: view.state.doc.lineAt(top.from).number,
    bottom: view.state.doc.lineAt(bottom.from).number,
  };
}

/** Byte offset of the first visible line's start. */
export function topVisibleByte(view: EditorView): number {
  const { top } = visibleLines(view);
  return windowOf(view.state).lineStartByte(view.state.doc, top);
}

/** The top visible byte, at most `length`; 0 if the layout cannot be read. */
export function safeTopByte(view: EditorView, length: number): number {
  try {
    return Math.min(topVisibleByte(view), length);
  } catch {
    return 0;
  }
}

/** Whether document byte `byte` is in the window and on screen. */
export function isByteVisible(view: EditorView, byte: number): boolean {
  const pos = windowOf(view.state).posAtByte(view.state.doc, byte);
  if (pos === null) return false;
  const { top, bottom } = visibleLines(view);
  const line = view.state.doc.lineAt(pos).number;
  return line >= top && line <= bottom;
}

/**
 * Has CodeMirror lay out now what it would lay out in the next frame — the scroll just asked
 * for and the lines at the new scroll position — so that frame paints them, not a blank screen
 * (CodeMirror draws the lines where the scroll was when the text changed). Reading the layout
 * runs a pending measure at once.
 */
export function layOutNow(view: EditorView): void {
  view.requestMeasure();
  view.lineBlockAtHeight(0);
}
