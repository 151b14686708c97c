/**
 * The peer for the editor's first paint and keystroke latency: CodeMirror 6 alone, fetching and
 * holding the same text as
 * Gigapad's window, with the same look (line numbers, special characters, drawn selection) but
 * none of Gigapad's work per keystroke (byte offsets, protocol, status bar). Bundled and served by
 * bench/ui-benchmarks.ts; runs in the browser.
 */
import { defaultKeymap } from "@codemirror/commands";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";

async function start(): Promise<void> {
  const text = await (await fetch("text")).text();
  const view = new EditorView({
    parent: document.getElementById("editor")!,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        drawSelection(),
        highlightActiveLine(),
        keymap.of(defaultKeymap),
      ],
    }),
  });
  const middle = view.state.doc.line(Math.floor(view.state.doc.lines / 2)).from;
  view.dispatch({
    selection: { anchor: middle },
    effects: EditorView.scrollIntoView(middle, { y: "center" }),
  });
  view.focus();
  document.body.dataset.ready = "true";
  requestAnimationFrame(() => setTimeout(() => performance.mark("gigapad-first-line-painted")));
}

void start();
