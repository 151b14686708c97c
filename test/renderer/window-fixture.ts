/** Test fixture: a window of the document as the editor holds it, without an editor. */
import { Text } from "@codemirror/state";
import { type WindowPlacement, WindowState, windowText } from "../../renderer/window-state.js";

/** A window of `lines` (LF file; `breaks` after each but the last) starting at byte `start`. */
export function windowFixture(lines: string[], breaks: number[], start: number, firstLine: number | null) {
  const placement: WindowPlacement = {
    start,
    firstLine,
    atStart: start === 0,
    atEnd: false,
    newlineBytes: 1,
  };
  const { text, marks } = windowText(lines, breaks, 1);
  return { docWindow: new WindowState(placement, marks), doc: Text.of(text.split("\n")) };
}
