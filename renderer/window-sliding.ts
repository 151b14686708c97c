/**
 * Sliding the window: when the viewport nears an edge of the window, a new window around the
 * middle of the screen is asked for and the current one turned into it by adding text on one
 * side and dropping it on the other, in one transaction that keeps the lines on screen where
 * they are. The slider decides when, asks, and applies the transaction slide-plan.ts works out
 * — or reloads when the two windows do not line up.
 */
import type { DocumentWindow } from "../protocol/messages.js";
import { planSlide } from "./slide-plan.js";
import { layOutNow, topVisibleByte, visibleLines } from "./viewport.js";
import { docWindowOf, newlineOf, type WindowContext, windowLoad } from "./window-context.js";
import { slideWindowEffect } from "./window-state.js";

/** Window lines asked for on each side of the anchor (the host also caps each side at 1 MiB). */
export const WINDOW_LINES = 3000;
/** Slide when the viewport comes within this share of the window's lines of an edge. */
export const SLIDE_MARGIN_SHARE = 0.25;

export class WindowSlider {
  private readonly slideMeasureKey = {};

  constructor(private readonly context: WindowContext) {}

  /**
   * Slides the window when the viewport nears one of its edges. Decided in CodeMirror's measure
   * phase (layout is read once, with its own), and not while a scroll just asked for is still to
   * happen (see scrollDispatched): the viewport read must be the one the user will see.
   */
  slideIfNeeded(): void {
    const { activity, view } = this.context;
    if (!activity.maySlide || activity.slideCheckQueued) return;
    // A scroll was just asked for: CodeMirror carries it out in the next frame; decide after it.
    if (activity.scrollPending) return;
    activity.slideCheckQueued = true;
    view.requestMeasure({
      key: this.slideMeasureKey,
      read: () => {
        activity.slideCheckQueued = false;
        if (!activity.maySlide) return null;
        const docWindow = docWindowOf(this.context);
        const lines = view.state.doc.lines;
        const margin = Math.max(20, Math.floor(lines * SLIDE_MARGIN_SHARE));
        const { top, bottom } = visibleLines(view);
        const nearTop = !docWindow.placement.atStart && top <= margin;
        const nearBottom = !docWindow.placement.atEnd && bottom >= lines - margin;
        if (!nearTop && !nearBottom) return null;
        return docWindow.lineStartByte(view.state.doc, Math.floor((top + bottom) / 2));
      },
      write: (anchorByte) => {
        if (anchorByte !== null) void this.slide(anchorByte);
      },
    });
  }

  /**
   * A transaction that scrolls is about to be dispatched. CodeMirror scrolls in its next measure
   * (the next frame); until the frame after, the viewport on record is the old one, and slide
   * decisions wait.
   */
  scrollDispatched(): void {
    const { activity } = this.context;
    const frame = activity.scrollAsked();
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (activity.scrollDone(frame)) this.slideIfNeeded();
      }),
    );
  }

  /** Asks for the full window around `anchorByte` and slides to it (also a jump's grow). */
  async slide(anchorByte: number): Promise<void> {
    const { activity, connection } = this.context;
    activity.sliding = true;
    try {
      const token = activity.jumps;
      let arrived: DocumentWindow;
      try {
        arrived = await connection.request("window", {
          anchor: { byte: anchorByte },
          linesBefore: WINDOW_LINES,
          linesAfter: WINDOW_LINES,
        });
      } catch (error) {
        this.context.failed(error);
        return;
      }
      // Apply in the next frame, after CodeMirror has carried out any scroll already asked for
      // (a find jumping inside the window): the slide keeps the scroll position as it is then.
      await new Promise((resolve) => requestAnimationFrame(resolve));
      if (!activity.isCurrent(token) || activity.loading) return;
      if (!activity.fits(arrived.version)) return;
      this.applySlide(arrived);
    } finally {
      activity.sliding = false;
    }
    // The user may have scrolled on while the window travelled.
    requestAnimationFrame(() => this.slideIfNeeded());
  }

  /**
   * Turns the current window into `next` (same version) by adding and dropping text at its edges,
   * so the lines on screen stay where they are. Falls back to a reload if they do not line up.
   */
  private applySlide(next: DocumentWindow): void {
    const { view, activity, selection } = this.context;
    const newlineBytes = newlineOf(this.context.info).length as 1 | 2;
    const plan = planSlide(docWindowOf(this.context), view.state.doc, next, newlineBytes);
    if (!plan) {
      this.context.loader.replaceWindow(next, {
        align: "keep",
        keepByte: topVisibleByte(view),
        cursor: selection.selectionBytes().head,
      });
      return;
    }
    // A selection (or the cursor) that would fall out of the window is kept as bytes: typing
    // goes where the cursor was, and shift-click extends from where the selection began.
    selection.keepIfLeaving(next.start, next.end);
    // Keep the line at the top of the screen where it is. The scroll is set here, right after
    // the DOM update, from the height map: CodeMirror's scroll snapshot, applied a frame later,
    // lands short when thousands of lines are added above (the browser moves it first).
    const scroller = view.scrollDOM;
    const scrollTop = scroller.scrollTop;
    const anchor = view.lineBlockAtHeight(scrollTop);
    const offset = scrollTop - anchor.top;
    const anchorAfter = plan.changes.mapPos(anchor.from, 1);
    this.scrollDispatched();
    view.dispatch({
      changes: plan.changes,
      effects: slideWindowEffect.of({ placement: plan.placement, added: plan.added }),
      annotations: [windowLoad.of(true)],
    });
    scroller.scrollTop = view.lineBlockAt(anchorAfter).top + offset;
    layOutNow(view);
    if (activity.wide) selection.showWideSelection();
    this.context.callbacks.changed();
    this.context.windowChanged();
  }
}
