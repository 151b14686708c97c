/**
 * A scrollbar for the whole document, beside an editor that holds only a window of it. It counts
 * lines once the line index is built (bytes before, and for files of very long lines, where a
 * line count says little). Dragging the thumb or clicking the track jumps the window; the
 * editor's own scrolling moves the thumb.
 */
import type { Anchor } from "../protocol/messages.js";
import { countsByLine } from "./go-to.js";
import { dragTarget, type Extent, scrolledFraction, thumbGeometry } from "./scrollbar-geometry.js";
import type { WindowEditor } from "./window-editor.js";

export class VirtualScrollbar {
  private readonly thumb: HTMLElement;
  private dragging: { grabOffset: number; extent: Extent } | null = null;
  private jumping = false;
  private nextJump: Anchor | null = null;

  constructor(
    private readonly track: HTMLElement,
    private readonly editor: WindowEditor,
  ) {
    this.thumb = track.querySelector(".gp-thumb") as HTMLElement;
    track.setAttribute("role", "scrollbar");
    track.setAttribute("aria-orientation", "vertical");
    track.setAttribute("aria-controls", "editor");
    this.thumb.addEventListener("pointerdown", (event) => this.startDrag(event));
    this.thumb.addEventListener("pointermove", (event) => this.drag(event));
    this.thumb.addEventListener("pointerup", (event) => this.endDrag(event));
    this.thumb.addEventListener("pointercancel", (event) => this.endDrag(event));
    track.addEventListener("pointerdown", (event) => {
      if (event.target !== track) return;
      const thumbTop = this.thumb.getBoundingClientRect().top;
      const page = editor.view.scrollDOM.clientHeight * 0.9;
      editor.view.scrollDOM.scrollTop += event.clientY < thumbTop ? -page : page;
    });
    track.addEventListener(
      "wheel",
      (event) => {
        editor.view.scrollDOM.scrollTop += event.deltaY;
        event.preventDefault();
      },
      { passive: false },
    );
  }

  /**
   * Redraws the thumb in the editor's next measure cycle: what is on screen is read when the editor
   * reads its layout anyway (no layout forced of its own), the thumb drawn with its writes.
   */
  update(): void {
    this.editor.view.requestMeasure({
      key: this,
      read: () => (this.dragging ? null : this.extent()),
      write: (extent) => {
        if (extent) this.draw(extent);
      },
    });
  }

  private extent(): Extent {
    const editor = this.editor;
    const info = editor.info;
    const docWindow = editor.docWindow;
    const doc = editor.view.state.doc;
    const { top, bottom } = editor.visibleLines();
    const byLine = countsByLine(info.length, info.lineCount) && docWindow.placement.firstLine !== null;
    if (byLine) {
      const first = docWindow.absoluteLine(doc, top) ?? 0;
      const last = docWindow.absoluteLine(doc, bottom) ?? first;
      return { unit: "line", top: first, visible: last - first + 1, total: info.lineCount! };
    }
    const topByte = docWindow.lineStartByte(doc, top);
    const bottomByte = docWindow.byteAt(doc, doc.line(bottom).to);
    return {
      unit: "byte",
      top: topByte,
      visible: Math.max(1, bottomByte - topByte),
      total: Math.max(1, info.length),
    };
  }

  private geometry(extent: Extent): { thumbHeight: number; room: number } {
    return thumbGeometry(this.track.clientHeight, extent);
  }

  private draw(extent: Extent, fraction?: number): void {
    const { thumbHeight, room } = this.geometry(extent);
    const scrollable = Math.max(0, extent.total - extent.visible);
    const at = fraction ?? scrolledFraction(extent);
    this.thumb.style.height = `${thumbHeight}px`;
    this.thumb.style.transform = `translateY(${Math.round(at * room)}px)`;
    this.track.hidden =
      scrollable === 0 && this.editor.docWindow.placement.atStart && this.editor.docWindow.placement.atEnd;
    this.track.setAttribute("aria-valuenow", String(Math.round(at * 100)));
    this.track.title =
      extent.unit === "line" ? "Scrolls by line" : "Scrolls by byte (line numbers come with the index)";
  }

  private startDrag(event: PointerEvent): void {
    event.preventDefault();
    this.thumb.setPointerCapture(event.pointerId);
    const thumbRect = this.thumb.getBoundingClientRect();
    this.dragging = { grabOffset: event.clientY - thumbRect.top, extent: this.extent() };
    this.thumb.classList.add("gp-dragging");
  }

  private drag(event: PointerEvent): void {
    if (!this.dragging) return;
    const { grabOffset, extent } = this.dragging;
    const { room } = this.geometry(extent);
    const trackTop = this.track.getBoundingClientRect().top;
    const fraction =
      room === 0 ? 0 : Math.min(1, Math.max(0, (event.clientY - trackTop - grabOffset) / room));
    this.draw(extent, fraction);
    void this.jump(dragTarget(extent, fraction));
  }

  private endDrag(event: PointerEvent): void {
    if (!this.dragging) return;
    this.thumb.releasePointerCapture(event.pointerId);
    this.dragging = null;
    this.thumb.classList.remove("gp-dragging");
    this.update();
  }

  /** One jump in flight at a time; while it travels, only the newest target waits. */
  private async jump(anchor: Anchor): Promise<void> {
    if (this.jumping) {
      this.nextJump = anchor;
      return;
    }
    this.jumping = true;
    try {
      let next: Anchor | null = anchor;
      while (next) {
        this.nextJump = null;
        const align = "end" in next ? "end" : "start";
        await this.editor.show(next, { align, keepCursor: true });
        next = this.nextJump;
      }
    } finally {
      this.jumping = false;
    }
  }
}
