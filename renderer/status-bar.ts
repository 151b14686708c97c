/**
 * The status bar and the page's title: the file, where the cursor is (line, column, byte), the
 * selection, the view's modes (filter, wrap, follow), the line count or indexing progress, size,
 * line ending, encoding, and how safe the edits are (or the save's or replace's progress). Drawn
 * at most once a frame; the desktop shell hears of the title only when it changes. What it
 * shows, from plain facts, is status-cells.ts.
 */
import { type DocumentState, documentTitle, type StatusFacts, statusCells } from "./status-cells.js";

export class StatusBar {
  private frame = 0;
  /** The document state last told to the desktop shell. */
  private sentState = "";

  constructor(
    private readonly cells: HTMLElement,
    /** The facts to show, or null while there is no document yet. */
    private readonly facts: () => StatusFacts | null,
    /** Tells the desktop shell about the document (title, unsaved changes), if there is one. */
    private readonly tellShell: ((state: DocumentState) => void) | undefined,
    /** Runs after each drawing (the scrollbar follows). */
    private readonly drawn: () => void,
  ) {}

  /** Draws in the next frame (once, however often asked). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const facts = this.facts();
    if (!facts) return;
    const cells = statusCells(facts);
    const status = this.cells;
    if (status.childElementCount !== cells.length) {
      status.replaceChildren(...cells.map(() => document.createElement("span")));
    }
    cells.forEach(([name, text], i) => {
      const cell = status.children[i] as HTMLElement;
      cell.dataset.cell = name;
      if (cell.textContent !== text) cell.textContent = text;
    });
    const info = facts.info;
    const title = documentTitle(info);
    if (document.title !== title) document.title = title;
    // The shell hears of a change only (status repaints come with every keystroke).
    const state: DocumentState = { title, modified: info.modified, path: info.path };
    const stateKey = JSON.stringify(state);
    if (stateKey !== this.sentState) {
      this.sentState = stateKey;
      this.tellShell?.(state);
    }
    this.drawn();
  }
}
