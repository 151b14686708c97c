/**
 * The selection as bytes. A selection that leaves the window (Select All, Shift+Ctrl+End, or one
 * made before scrolling far away) is kept as a byte range — "wide" — and shown clamped to the
 * window; typing over it, cutting or copying it work on the whole range, in the engine.
 */
import { EditorSelection, type Transaction } from "@codemirror/state";
import { formatBytes } from "../presentation/format-bytes.js";
import { leavesWindow, type WideSelection } from "./window-activity.js";
import { docWindowOf, type WindowContext, windowLoad } from "./window-context.js";
import { clampToWindow, windowOf } from "./window-state.js";

/** Largest selection copied to the clipboard. */
export const MAX_COPY_BYTES = 64 * 1024 * 1024;

/** What a clipboard event asks of the selection. */
export type ClipboardAction = "copy" | "cut";

export class WideSelectionKeeper {
  constructor(private readonly context: WindowContext) {}

  /** The selection as bytes: the wide one, or the editor's. */
  selectionBytes(): { anchor: number; head: number } {
    const wide = this.context.activity.wide;
    if (wide) return wide;
    const state = this.context.view.state;
    const { anchor, head } = state.selection.main;
    const docWindow = windowOf(state);
    return { anchor: docWindow.byteAt(state.doc, anchor), head: docWindow.byteAt(state.doc, head) };
  }

  /** Byte offset of the cursor (the selection's head). */
  cursorByte(): number {
    return this.selectionBytes().head;
  }

  /** Absolute 0-based line and 1-based column of the cursor; line null while unknown. */
  cursorLine(): { line: number | null; column: number | null } {
    const wide = this.context.activity.wide;
    const state = this.context.view.state;
    const docWindow = windowOf(state);
    if (wide) {
      const inWindow = docWindow.posAtByte(state.doc, wide.head) !== null;
      if (!inWindow) return { line: wide.line ?? null, column: wide.column ?? null };
    }
    const head = state.selection.main.head;
    const line = state.doc.lineAt(head);
    if (docWindow.isContinuation(state.doc, line.number)) {
      return { line: docWindow.absoluteLine(state.doc, line.number), column: null };
    }
    return { line: docWindow.absoluteLine(state.doc, line.number), column: head - line.from + 1 };
  }

  selectAll(): boolean {
    const info = this.context.info;
    const placement = docWindowOf(this.context).placement;
    const start = info.length > 0 && placement.atStart ? placement.start : 0;
    this.setWide({ anchor: start, head: info.length });
    return true;
  }

  setWide(selection: WideSelection | null): void {
    this.context.activity.wide = selection;
    if (selection) this.showWideSelection();
    this.context.callbacks.changed();
  }

  /**
   * The window is about to become [start, end]: a selection (or the cursor) that would fall out
   * of it is kept as bytes, so typing goes where the cursor was and shift-click extends from
   * where the selection began.
   */
  keepIfLeaving(start: number, end: number): void {
    const activity = this.context.activity;
    if (activity.wide) return;
    const bytes = this.selectionBytes();
    if (leavesWindow(bytes, start, end)) activity.wide = { ...bytes, ...this.cursorLine() };
  }

  /** Shows the part of the wide selection that lies in the window. */
  showWideSelection(): void {
    const wide = this.context.activity.wide!;
    const view = this.context.view;
    const docWindow = docWindowOf(this.context);
    const doc = view.state.doc;
    view.dispatch({
      selection: EditorSelection.single(
        clampToWindow(docWindow, doc, wide.anchor),
        clampToWindow(docWindow, doc, wide.head),
      ),
      annotations: [windowLoad.of(true)],
    });
  }

  /** The user moved the selection while a wide one was active: extend it or drop it. */
  selectionMoved(tr: Transaction): void {
    const activity = this.context.activity;
    const wide = activity.wide!;
    const selection = tr.newSelection.main;
    const docWindow = windowOf(tr.state);
    const anchorPos = clampToWindow(docWindow, tr.state.doc, wide.anchor);
    if (selection.anchor === anchorPos && tr.isUserEvent("select")) {
      activity.wide = { anchor: wide.anchor, head: docWindow.byteAt(tr.state.doc, selection.head) };
      return;
    }
    activity.wide = null;
  }

  /** Typing, deleting or pasting over a wide selection replaces all of it, in the engine. */
  replaceWith(tr: Transaction): void {
    const { anchor, head } = this.context.activity.wide!;
    let inserted = "";
    tr.changes.iterChanges((_fromA, _toA, _fromB, _toB, text) => {
      inserted += text.toString();
    });
    void this.context.edits.replaceWide(Math.min(anchor, head), Math.max(anchor, head), inserted);
  }

  /** Copy or cut of a wide selection (the editor's own selection is CodeMirror's to copy). */
  clipboard(event: ClipboardEvent, action: ClipboardAction): boolean {
    const wide = this.context.activity.wide;
    if (!wide) return false;
    event.preventDefault();
    const from = Math.min(wide.anchor, wide.head);
    const to = Math.max(wide.anchor, wide.head);
    void this.copyBytes(from, to).then((copied) => {
      if (copied && action === "cut") void this.context.edits.replaceWide(from, to, "");
    });
    return true;
  }

  /** Copies bytes [from, to) of the document to the clipboard, refusing huge ranges. */
  async copyBytes(from: number, to: number): Promise<boolean> {
    const size = to - from;
    const { callbacks } = this.context;
    if (size > MAX_COPY_BYTES) {
      callbacks.message(
        `The selection is ${formatBytes(size)}: too large for the clipboard (at most ${formatBytes(MAX_COPY_BYTES)}). ` +
          "Select less, or save a copy with Save As.",
        "error",
      );
      return false;
    }
    try {
      const { text } = await this.context.connection.request("readText", { start: from, end: to });
      await navigator.clipboard.writeText(text);
      callbacks.message(`Copied ${formatBytes(size)}`, "info");
      return true;
    } catch (error) {
      this.context.failed(error);
      return false;
    }
  }
}
