/**
 * Loading a window: the jumps (go to, find, Ctrl+Home/End, the scrollbar, a reload after undo)
 * that replace the editor's text with a new window around a target and place the cursor and the
 * view. A screenful comes first, so the jump paints at once; the full window follows a frame
 * later (the grow, done as a slide). Loads supersede one another: only the newest is shown.
 */
import { EditorSelection, type StateEffect, Text } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { estimatedLineCount } from "../presentation/line-numbers.js";
import type { Anchor, DocumentWindow } from "../protocol/messages.js";
import { QUICK_WINDOW_LINES } from "../protocol/messages.js";
import { layOutNow } from "./viewport.js";
import { docWindowOf, newlineOf, type WindowContext, windowLoad } from "./window-context.js";
import { SLIDE_MARGIN_SHARE } from "./window-sliding.js";
import { loadWindowEffect, placementOf, WindowState, windowLineBytes, windowText } from "./window-state.js";

/** The request for the quick first window around `anchor`. */
export function quickWindowRequest(anchor: Anchor): {
  anchor: Anchor;
  linesBefore: number;
  linesAfter: number;
} {
  return { anchor, linesBefore: QUICK_WINDOW_LINES, linesAfter: QUICK_WINDOW_LINES };
}

/** Where to put the cursor and the view after a window loads. */
export interface Placement {
  cursor?: number;
  /** Leave the cursor where it is if the new window holds it (scrolling), else at the anchor. */
  keepCursor?: boolean;
  select?: { from: number; to: number };
  align: "start" | "center" | "end" | "nearest" | "keep";
  /** Keep the line holding this byte at the top of the viewport (for "keep"). */
  keepByte?: number;
}

/** How Ctrl+Home and Ctrl+End move: the cursor alone, or the selection's head (with Shift). */
export interface DocumentEdgeOptions {
  extend?: boolean;
}

export class WindowLoader {
  constructor(private readonly context: WindowContext) {}

  private get newlineBytes(): 1 | 2 {
    return newlineOf(this.context.info).length as 1 | 2;
  }

  /**
   * Loads a window around `anchor` and places the cursor and view. Superseded loads are dropped.
   * What is typed while a jump travels is typed where the jump lands (see held-keys.ts).
   */
  async show(anchor: Anchor, placement: Placement, prefetched?: Promise<DocumentWindow>): Promise<boolean> {
    const { activity, held, connection } = this.context;
    // Keys are held for a jump still travelling: this jump comes after them (Ctrl+Home, typing,
    // Ctrl+End — the typing belongs at the top), in line with them.
    if (held.jumping && held.holding) {
      return new Promise<boolean>((resolve) => {
        held.hold({
          kind: "jump",
          run: () => this.show(anchor, placement, prefetched).then(resolve),
        });
      });
    }
    const token = activity.startLoad();
    // A jump moves the cursor; a scroll (keepCursor) leaves it where typing goes.
    held.jumping = !placement.keepCursor;
    let growAround: number | null = null;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        await this.context.edits.whenSettledEdits();
        if (!activity.isCurrent(token)) return false;
        let arrived: DocumentWindow;
        try {
          // A screenful first, so the jump paints at once; the full window follows (grow below).
          arrived = await (attempt === 0 && prefetched
            ? prefetched
            : connection.request("window", quickWindowRequest(anchor)));
        } catch (error) {
          this.context.failed(error);
          return false;
        }
        if (!activity.isCurrent(token)) return false;
        // Typed while the window travelled: it no longer matches; ask again.
        if (!activity.fits(arrived.version)) continue;
        performance.mark("gigapad-window-arrived");
        // Until the index has counted the lines, the gutter is sized by an estimate from the
        // first window (kept, so the gutter does not change width as the window slides).
        if (activity.lineEstimate === null) {
          activity.lineEstimate = estimatedLineCount(this.context.info.length, arrived);
          if (this.context.info.lineCount === null) this.context.refreshGutter();
        }
        this.replaceWindow(arrived, placement);
        growAround = windowLineBytes(arrived)[arrived.anchorIndex]!;
        return true;
      }
      return false;
    } finally {
      if (activity.endLoad(token)) {
        held.jumping = false;
        held.replay(this.context.edits);
        held.landed();
        if (growAround !== null) this.growLater(token, growAround);
      }
    }
  }

  /** Grows to the full window once the jump's frame is painted: its text must not delay it. */
  private growLater(token: number, around: number): void {
    const { activity } = this.context;
    activity.scheduleGrow(token);
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (activity.growDue(token)) void this.context.slider.slide(around);
      }),
    );
  }

  /** Replaces the editor's text with window `span`, placing cursor and view as `placement` says. */
  replaceWindow(span: DocumentWindow, placement: Placement): void {
    const view = this.context.view;
    const windowPlacement = placementOf(span, this.newlineBytes);
    const { text, marks } = windowText(span.lines, span.breaks, windowPlacement.newlineBytes);
    const doc = Text.of(text.split("\n"));
    const state = new WindowState(windowPlacement, marks);
    const clampByte = (byte: number) => {
      const pos = state.posAtByte(doc, byte);
      if (pos !== null) return pos;
      return byte < windowPlacement.start ? 0 : doc.length;
    };
    let anchorPos = 0;
    for (let i = 0; i < span.anchorIndex; i++) anchorPos += span.lines[i]!.length + 1;
    let selection: EditorSelection;
    const kept = placement.keepCursor ? this.context.selection.selectionBytes() : null;
    const keptAnchor = kept ? state.posAtByte(doc, kept.anchor) : null;
    const keptHead = kept ? state.posAtByte(doc, kept.head) : null;
    if (keptAnchor !== null && keptHead !== null) {
      selection = EditorSelection.single(keptAnchor, keptHead);
    } else if (placement.select) {
      selection = EditorSelection.single(clampByte(placement.select.from), clampByte(placement.select.to));
    } else if (placement.cursor !== undefined) {
      selection = EditorSelection.single(clampByte(placement.cursor));
    } else {
      selection = EditorSelection.single(anchorPos);
    }
    const scrollTo =
      !placement.keepCursor && (placement.select || placement.cursor !== undefined)
        ? selection.main.head
        : anchorPos;
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: doc },
      selection,
      effects: loadWindowEffect.of(state),
      annotations: [windowLoad.of(true)],
    });
    // The scroll goes in a transaction of its own: together with a whole-document replacement,
    // CodeMirror maps the old viewport over the new text and may land short of the target.
    let scroll: StateEffect<unknown> | null = null;
    if (placement.align === "keep" && placement.keepByte !== undefined) {
      scroll = EditorView.scrollIntoView(clampByte(placement.keepByte), {
        y: "start",
        yMargin: 2,
      });
    } else if (placement.align !== "keep") {
      // "start": the line's box (not its glyphs) at the top, and the first line with its padding.
      const firstLine = scrollTo <= view.state.doc.line(1).to;
      scroll = EditorView.scrollIntoView(scrollTo, {
        y: placement.align,
        yMargin: placement.align === "start" ? (firstLine ? 8 : 2) : 5,
      });
    }
    if (scroll) view.dispatch({ effects: scroll, annotations: [windowLoad.of(true)] });
    layOutNow(view);
    this.context.slider.scrollDispatched();
    this.context.callbacks.changed();
    this.context.windowChanged();
  }

  // ----- jumps -----------------------------------------------------------------------------------

  /** Ctrl+Home (Shift: the selection extends to the start). */
  goToStart(options: DocumentEdgeOptions = {}): boolean {
    const extend = options.extend === true;
    const { activity, selection } = this.context;
    const anchor = selection.selectionBytes().anchor;
    if (!extend && this.moveInWindow(0)) return true;
    // A plain jump ends a wide selection now: keys held for the jump must not replace it.
    if (!extend) activity.wide = null;
    void this.show({ byte: 0 }, { align: "start", cursor: 0 }).then(() => {
      if (extend) selection.setWide({ anchor, head: docWindowOf(this.context).placement.start });
      else activity.wide = null;
    });
    return true;
  }

  /** Ctrl+End (Shift: the selection extends to the end); takes up a paused follow again. */
  goToEnd(options: DocumentEdgeOptions = {}): boolean {
    const extend = options.extend === true;
    const { activity, selection } = this.context;
    // Ctrl+End takes up following again where scrolling up paused it.
    if (activity.follow === "paused" && !extend) {
      activity.follow = "on";
      this.context.callbacks.changed();
    }
    const anchor = selection.selectionBytes().anchor;
    if (!extend && this.moveInWindow(this.context.info.length)) return true;
    if (!extend) activity.wide = null;
    // The cursor goes to the end as it is when the jump lands (it may wait behind held keys).
    void this.show({ end: true }, { align: "end", cursor: Number.MAX_SAFE_INTEGER }).then(() => {
      if (extend) selection.setWide({ anchor, head: this.context.info.length });
      else activity.wide = null;
    });
    return true;
  }

  /**
   * Puts the cursor on `byte` at once when the window holds it and nothing is loading (Ctrl+Home
   * at the top of the file): no round trip, so the next key lands there. False if a load is needed.
   */
  private moveInWindow(byte: number): boolean {
    const { activity, view } = this.context;
    if (!activity.mayMoveInWindow) return false;
    const pos = docWindowOf(this.context).posAtByte(view.state.doc, byte);
    if (pos === null) return false;
    // A pending jump is superseded by this one, as a load would supersede it.
    activity.supersedeLoads();
    activity.wide = null;
    this.context.slider.scrollDispatched();
    view.dispatch({
      selection: EditorSelection.single(pos),
      effects: EditorView.scrollIntoView(pos, {
        y: byte === 0 ? "start" : "end",
        yMargin: byte === 0 ? 8 : 5,
      }),
    });
    return true;
  }

  /** Jumps to a byte range (a find match), selecting it and bringing it to the middle. */
  async reveal(from: number, to: number): Promise<void> {
    const { activity, view } = this.context;
    activity.wide = null;
    const docWindow = docWindowOf(this.context);
    const doc = view.state.doc;
    const fromPos = docWindow.posAtByte(doc, from);
    const toPos = docWindow.posAtByte(doc, to);
    const lines = doc.lines;
    if (fromPos !== null && toPos !== null && activity.settled) {
      const line = doc.lineAt(fromPos).number;
      // Inside the window, away from its edges: no load.
      const margin = Math.floor(lines * SLIDE_MARGIN_SHARE);
      const { atStart, atEnd } = docWindow.placement;
      if ((atStart || line > margin) && (atEnd || line < lines - margin)) {
        this.context.slider.scrollDispatched();
        view.dispatch({
          selection: EditorSelection.single(fromPos, toPos),
          effects: EditorView.scrollIntoView(fromPos, { y: "center" }),
        });
        return;
      }
    }
    await this.show({ byte: from }, { align: "center", select: { from, to } });
  }
}
