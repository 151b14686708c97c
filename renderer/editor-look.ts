/**
 * How the window editor draws what is not plain text, and which keys change exactly what they
 * say: the line-number gutter (absolute numbers, "⋯" for a segment of a long line, "·" while the
 * index counts), characters it does not draw as themselves (escapes, see special-chars), and
 * Enter, Backspace and Tab without a code editor's indenting.
 */
import { deleteCharBackwardStrict, insertNewline, insertTab } from "@codemirror/commands";
import type { Extension } from "@codemirror/state";
import {
  EditorView,
  highlightSpecialChars,
  type KeyBinding,
  lineNumbers,
  WidgetType,
} from "@codemirror/view";
import { specialCharLabel } from "../presentation/special-chars.js";
import { isEscapedByte } from "../protocol/escaped-text.js";
import { gutterLabel, windowOf } from "./window-state.js";

/** Shows a byte that is not valid UTF-8 as a small box with its hex value, e.g. \xFF. */
class EscapedByteWidget extends WidgetType {
  constructor(readonly code: number) {
    super();
  }
  override eq(other: EscapedByteWidget): boolean {
    return other.code === this.code;
  }
  toDOM(): HTMLElement {
    const span = document.createElement("span");
    span.className = "cm-gp-byte";
    span.textContent = specialCharLabel(this.code);
    span.title = "A byte that is not valid UTF-8: kept exactly as it is in the file";
    return span;
  }
}

/** Invalid bytes as boxes, controls and invisible characters as escapes. */
export function specialCharacters(): Extension {
  return highlightSpecialChars({
    addSpecialChars: /[\udc80-\udcff]/,
    render: (code, description) => {
      if (isEscapedByte(code)) return new EscapedByteWidget(code).toDOM();
      const span = document.createElement("span");
      span.textContent = specialCharLabel(code);
      span.title = description ?? "";
      span.className = "cm-specialChar";
      return span;
    },
  });
}

/**
 * Keys that change exactly what they say: a code editor's Enter also re-indents and eats the
 * spaces after the cursor, and its Backspace deletes a whole indent unit — in a data file every
 * byte not typed over must stay.
 */
export const plainTextKeys: KeyBinding[] = [
  { key: "Enter", run: insertNewline, shift: insertNewline },
  { key: "Backspace", run: deleteCharBackwardStrict, shift: deleteCharBackwardStrict, preventDefault: true },
  { key: "Tab", run: insertTab },
];

/**
 * The line-number gutter, as wide as `lastLine` (the document's line count, or its estimate)
 * needs, also when CodeMirror sizes it by a line of the window itself (a window of exactly 99…9
 * lines).
 */
export function lineNumberGutter(lastLine: () => number | null): Extension {
  const digits = String(lastLine() ?? 1).length;
  const width = EditorView.theme({
    ".cm-lineNumbers .cm-gutterElement": { minWidth: `max(20px, calc(${digits}ch + 8px))` },
  });
  return [
    width,
    lineNumbers({
      formatNumber: (number, state) => gutterLabel(windowOf(state), state.doc, number, lastLine()),
    }),
  ];
}
