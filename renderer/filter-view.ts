/**
 * The filter view (Ctrl+Shift+L): only the lines that match the find panel's query, numbered as
 * in the file. The host finds them (streaming, millions of lines in a few MB) and serves them a
 * page at a time; this view holds only the pages around what it shows and scrolls by row index,
 * so a 4 GiB log with millions of matching lines scrolls like a short list. Enter or a double-click
 * goes to that line in the full view.
 */
import type { FilteredLine, FindQuery, HostEvent } from "../protocol/messages.js";
import { type Connection, RequestError } from "./connection.js";
import { formatCount } from "./format.js";

/** Rows fetched per request. */
const PAGE_ROWS = 200;
/** Pages kept around the view (the rest are dropped). */
const KEPT_PAGES = 12;

export interface FilterViewCallbacks {
  /** Go to document line `line` (0-based) in the full view and leave the filter view. */
  open(line: number): void;
  /** Leave the filter view (Escape). */
  leave(): void;
  /** Something the status bar shows changed. */
  changed(): void;
  message(text: string, kind: "info" | "error"): void;
}

export class FilterView {
  readonly element: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly thumb: HTMLElement;
  private readonly track: HTMLElement;
  private filterId = 0;
  private query: FindQuery | null = null;
  /** Matching lines found so far, and whether the scan is done. */
  private total = 0;
  private done = false;
  private top = 0;
  private selected = 0;
  private rowHeight = 19;
  private wheelRest = 0;
  private readonly pages = new Map<number, FilteredLine[]>();
  private readonly loading = new Set<number>();
  private digits = 1;
  private renderQueued = false;
  /** The document line the current filter was asked to start at. */
  private nearLine = 0;

  constructor(
    parent: HTMLElement,
    private readonly connection: Connection,
    private readonly callbacks: FilterViewCallbacks,
    idBase: number,
  ) {
    this.filterId = idBase;
    this.element = document.createElement("div");
    this.element.id = "filter";
    this.element.hidden = true;
    this.element.tabIndex = 0;
    this.element.setAttribute("role", "listbox");
    this.element.setAttribute("aria-label", "Matching lines");
    this.rows = document.createElement("div");
    this.rows.className = "gp-filter-rows";
    this.track = document.createElement("div");
    this.track.className = "gp-filter-track";
    this.thumb = document.createElement("div");
    this.thumb.className = "gp-thumb";
    this.track.append(this.thumb);
    this.element.append(this.rows, this.track);
    parent.append(this.element);
    this.element.addEventListener("wheel", (event) => this.wheel(event), { passive: false });
    this.element.addEventListener("keydown", (event) => this.key(event));
    this.rows.addEventListener("click", (event) => {
      const index = this.rowIndexOf(event.target);
      if (index !== null) this.select(index);
    });
    this.rows.addEventListener("dblclick", (event) => {
      const index = this.rowIndexOf(event.target);
      if (index !== null) this.openRow(index);
    });
    this.dragThumb();
    new ResizeObserver(() => this.queueRender()).observe(this.element);
    connection.onEvent((event) => this.hostEvent(event));
  }

  get active(): boolean {
    return !this.element.hidden;
  }

  /** What the status bar says: "1,234 matching lines" (with … while the scan runs). */
  get summary(): string {
    const lines = `${formatCount(this.total)} matching line${this.total === 1 ? "" : "s"}`;
    return this.done ? lines : `${lines}…`;
  }

  get currentFilterId(): number {
    return this.filterId;
  }

  /**
   * Shows the lines matching `query`, starting at the first match at or after document line
   * `nearLine`. `lineCount` sizes the gutter.
   */
  async show(query: FindQuery, nearLine: number, lineCount: number, rowHeight: number): Promise<void> {
    this.rowHeight = Math.max(8, rowHeight);
    this.digits = String(Math.max(1, lineCount)).length;
    this.element.hidden = false;
    this.element.style.setProperty("--gp-row", `${this.rowHeight}px`);
    this.element.style.setProperty("--gp-digits", String(this.digits));
    this.element.focus();
    await this.run(query, nearLine);
  }

  /** Filters again with another query (the find box changed), near the selected row's line. */
  async refilter(query: FindQuery): Promise<void> {
    if (!this.active || JSON.stringify(query) === JSON.stringify(this.query)) return;
    await this.run(query, this.lineAt(this.selected) ?? this.nearLine);
  }

  /** Filters again with the same query: the document was read anew (reopened), its lines are others. */
  async rerun(): Promise<void> {
    if (!this.active || !this.query) return;
    await this.run(this.query, this.lineAt(this.selected) ?? this.nearLine);
  }

  hide(): void {
    if (this.element.hidden) return;
    this.element.hidden = true;
    if (!this.done) void this.connection.request("cancelCount", { searchId: this.filterId }).catch(() => {});
    this.pages.clear();
    this.callbacks.changed();
  }

  /** The document line of the selected row, if it is loaded. */
  selectedLine(): number | null {
    return this.lineAt(this.selected);
  }

  /**
   * Writes every matching line to `path` (a new file, or with `force` one the user agreed to
   * replace); resolves with what the host wrote.
   */
  saveLines(path: string, options: { force: boolean }) {
    return this.connection.request("saveFiltered", { filterId: this.filterId, path, force: options.force });
  }

  private async run(query: FindQuery, nearLine: number): Promise<void> {
    if (!this.done && this.query) {
      void this.connection.request("cancelCount", { searchId: this.filterId }).catch(() => {});
    }
    const id = ++this.filterId;
    this.query = query;
    this.nearLine = nearLine;
    this.total = 0;
    this.done = false;
    this.top = 0;
    this.selected = 0;
    this.pages.clear();
    this.loading.clear();
    this.callbacks.changed();
    this.queueRender();
    try {
      const { lines } = await this.connection.request("filter", { filterId: id, query });
      if (id !== this.filterId) return;
      this.total = lines;
      this.done = true;
      const { index } = await this.connection.request("filterIndex", { filterId: id, line: nearLine });
      if (id !== this.filterId) return;
      if (this.selected === 0 && this.top === 0) {
        this.selected = Math.min(index, Math.max(0, lines - 1));
        this.top = Math.max(0, this.selected - Math.floor(this.visibleRows() / 3));
        this.clampTop();
      }
      this.callbacks.changed();
      this.queueRender();
      if (lines === 0) this.callbacks.message("No line matches", "info");
    } catch (error) {
      if (id !== this.filterId) return;
      if (error instanceof RequestError && error.code === "EABORTED") return;
      this.done = true;
      this.callbacks.message(error instanceof Error ? error.message : String(error), "error");
      this.callbacks.changed();
    }
  }

  private hostEvent(event: HostEvent): void {
    if (event.event !== "filterProgress" || event.filterId !== this.filterId) return;
    const grew = event.lines !== this.total;
    this.total = event.lines;
    if (event.done) this.done = true;
    // The last page may have been cut short by the scan: fetch it again as lines arrive.
    if (grew) {
      const lastPage = Math.floor(Math.max(0, this.total - 1) / PAGE_ROWS);
      this.pages.delete(lastPage);
      if (lastPage > 0 && (this.pages.get(lastPage - 1)?.length ?? PAGE_ROWS) < PAGE_ROWS) {
        this.pages.delete(lastPage - 1);
      }
    }
    this.callbacks.changed();
    this.queueRender();
  }

  private lineAt(index: number): number | null {
    return this.pages.get(Math.floor(index / PAGE_ROWS))?.[index % PAGE_ROWS]?.line ?? null;
  }

  private visibleRows(): number {
    return Math.max(1, Math.floor(this.rows.clientHeight / this.rowHeight));
  }

  private clampTop(): void {
    this.top = Math.max(0, Math.min(this.top, this.total - this.visibleRows()));
  }

  private select(index: number): void {
    if (this.total === 0) return;
    this.selected = Math.max(0, Math.min(index, this.total - 1));
    const rows = this.visibleRows();
    if (this.selected < this.top) this.top = this.selected;
    else if (this.selected >= this.top + rows) this.top = this.selected - rows + 1;
    this.clampTop();
    this.queueRender();
  }

  private openRow(index: number): void {
    const line = this.lineAt(index);
    if (line !== null) this.callbacks.open(line);
  }

  private key(event: KeyboardEvent): void {
    const rows = this.visibleRows();
    const mod = event.ctrlKey || event.metaKey;
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: rows - 1,
      PageUp: -(rows - 1),
    };
    if (event.key in moves) this.select(this.selected + moves[event.key]!);
    else if (event.key === "Home" && mod) this.select(0);
    else if (event.key === "End" && mod) this.select(this.total - 1);
    else if (event.key === "Enter") this.openRow(this.selected);
    else if (event.key === "Escape") this.callbacks.leave();
    else return;
    event.preventDefault();
  }

  private wheel(event: WheelEvent): void {
    event.preventDefault();
    const pixels = event.deltaMode === 1 ? event.deltaY * this.rowHeight : event.deltaY;
    this.wheelRest += pixels / this.rowHeight;
    const step = Math.trunc(this.wheelRest);
    if (step === 0) return;
    this.wheelRest -= step;
    this.top += step;
    this.clampTop();
    this.queueRender();
  }

  private dragThumb(): void {
    let grab: { y: number; top: number } | null = null;
    this.thumb.addEventListener("pointerdown", (event) => {
      grab = { y: event.clientY, top: this.top };
      this.thumb.setPointerCapture(event.pointerId);
      this.thumb.classList.add("gp-dragging");
      event.preventDefault();
    });
    this.thumb.addEventListener("pointermove", (event) => {
      if (!grab) return;
      const free = this.track.clientHeight - this.thumb.offsetHeight;
      const scrollable = Math.max(1, this.total - this.visibleRows());
      this.top = Math.round(grab.top + ((event.clientY - grab.y) / Math.max(1, free)) * scrollable);
      this.clampTop();
      this.queueRender();
    });
    const release = () => {
      grab = null;
      this.thumb.classList.remove("gp-dragging");
    };
    this.thumb.addEventListener("pointerup", release);
    this.thumb.addEventListener("pointercancel", release);
    this.track.addEventListener("pointerdown", (event) => {
      if (event.target !== this.track) return;
      const fraction = (event.clientY - this.track.getBoundingClientRect().top) / this.track.clientHeight;
      this.top = Math.round(fraction * this.total - this.visibleRows() / 2);
      this.clampTop();
      this.queueRender();
    });
  }

  private rowIndexOf(target: EventTarget | null): number | null {
    const row = (target as HTMLElement | null)?.closest?.(".gp-filter-row") as HTMLElement | null;
    return row?.dataset.index ? Number(row.dataset.index) : null;
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    if (this.element.hidden) return;
    const rows = this.visibleRows() + 1;
    const end = Math.min(this.total, this.top + rows);
    const elements: HTMLElement[] = [];
    for (let index = this.top; index < end; index++) {
      const page = Math.floor(index / PAGE_ROWS);
      const line = this.pages.get(page)?.[index % PAGE_ROWS];
      if (!line) this.load(page);
      const row = document.createElement("div");
      row.className = index === this.selected ? "gp-filter-row gp-selected" : "gp-filter-row";
      row.dataset.index = String(index);
      row.setAttribute("role", "option");
      const number = document.createElement("span");
      number.className = "gp-filter-number";
      number.textContent = line ? String(line.line + 1) : "";
      const text = document.createElement("span");
      text.className = "gp-filter-text";
      text.textContent = line ? `${line.text}${line.cut ? " …" : ""}` : "";
      row.append(number, text);
      elements.push(row);
    }
    this.rows.replaceChildren(...elements);
    const visible = this.visibleRows();
    const trackHeight = this.track.clientHeight;
    const thumbHeight =
      this.total <= visible ? trackHeight : Math.max(24, (trackHeight * visible) / Math.max(1, this.total));
    const scrollable = Math.max(1, this.total - visible);
    this.thumb.style.height = `${thumbHeight}px`;
    this.thumb.style.transform = `translateY(${((trackHeight - thumbHeight) * this.top) / scrollable}px)`;
    this.dropFarPages();
  }

  private load(page: number): void {
    if (this.loading.has(page) || this.pages.has(page)) return;
    const id = this.filterId;
    this.loading.add(page);
    this.connection
      .request("filterLines", { filterId: id, from: page * PAGE_ROWS, count: PAGE_ROWS })
      .then(
        ({ lines }) => {
          if (id !== this.filterId) return;
          this.pages.set(page, lines);
          this.queueRender();
        },
        (error: unknown) => {
          if (id !== this.filterId) return;
          // Another window edited the document: the matching lines are found again.
          if (error instanceof RequestError && error.code === "ESTALE" && this.query) {
            void this.run(this.query, this.lineAt(this.selected) ?? this.nearLine);
          }
        },
      )
      .finally(() => this.loading.delete(page));
  }

  private dropFarPages(): void {
    if (this.pages.size <= KEPT_PAGES) return;
    const here = Math.floor(this.top / PAGE_ROWS);
    for (const page of this.pages.keys()) {
      if (Math.abs(page - here) > KEPT_PAGES / 2) this.pages.delete(page);
    }
  }
}
