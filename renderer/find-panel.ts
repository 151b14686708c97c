/**
 * The find panel, driven by the engine: the whole document is searched (not just the window),
 * the total count streams in as the engine scans, next/previous jump anywhere in the file, and
 * matches inside the window are highlighted. With its replace row (Ctrl+H), Enter replaces the
 * current match and finds the next, Ctrl+Alt+Enter replaces every match in the file — in the
 * engine, streaming, as one undo step, with progress and Escape to cancel.
 */
import type { FindQuery, HostEvent, Match } from "../protocol/messages.js";
import { type Connection, RequestError } from "./connection.js";
import { countLabel, isReplaceAllKey, replaceProgressLabel, searchStart, selects } from "./find-rules.js";
import { formatCount } from "./format.js";
import type { WindowEditor } from "./window-editor.js";

/** Most matches highlighted in the window at once. */
const HIGHLIGHT_LIMIT = 5000;
/** Quiet time after typing in the box before searching. */
const TYPING_DELAY_MS = 150;
/** The search id of counts that number the current match (query counts use 1, 2, ...). */
const LOCATE_SEARCH_ID = 0;
/** Quiet time after an edit before counting again. */
const EDIT_DELAY_MS = 600;

export class FindPanel {
  private readonly input: HTMLInputElement;
  private readonly countLabel: HTMLElement;
  private readonly toggles: Record<"caseSensitive" | "wholeWord" | "regex", HTMLButtonElement>;
  private searchId = 0;
  /** The count in progress: its id, and the total once done. */
  private count: { id: number; total: number | null; partial: number } | null = null;
  private current: Match | null = null;
  /**
   * How the current match was reached: the find box's jump as you type only shows it; a match
   * gone to (Enter, the arrows, Replace's first press) is the one Replace replaces.
   */
  private reached: "as-you-type" | "gone-to" = "as-you-type";
  /** Counts the matches gone to: a jump as you type answered after one of them is stale. */
  private goneTo = 0;
  /** Replace presses run one after another, each on what the one before left. */
  private replaceTurn: Promise<void> = Promise.resolve();
  private currentIndex: number | null = null;
  private indexSearch = 0;
  private typingTimer = 0;
  private editTimer = 0;
  private highlightToken = 0;
  private error: string | null = null;
  private readonly replaceRow: HTMLElement;
  private readonly replaceInput: HTMLInputElement;
  /** The replace-all running, by its search id. */
  private replacing: number | null = null;

  constructor(
    private readonly panel: HTMLElement,
    private readonly editor: WindowEditor,
    private readonly connection: Connection,
    private readonly say: (text: string) => void,
    /** What the status bar shows of a running replace-all ("replacing 40%"), or null. */
    private readonly progress: (text: string | null) => void = () => {},
  ) {
    this.replaceRow = panel.querySelector(".gp-replace-row") as HTMLElement;
    this.replaceInput = panel.querySelector(".gp-replace-input") as HTMLInputElement;
    this.input = panel.querySelector(".gp-find-input") as HTMLInputElement;
    this.countLabel = panel.querySelector(".gp-find-count") as HTMLElement;
    this.toggles = {
      caseSensitive: panel.querySelector(".gp-find-case") as HTMLButtonElement,
      wholeWord: panel.querySelector(".gp-find-word") as HTMLButtonElement,
      regex: panel.querySelector(".gp-find-regex") as HTMLButtonElement,
    };
    for (const button of Object.values(this.toggles)) {
      button.addEventListener("click", () => {
        button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
        this.queryChanged({ jump: true });
      });
    }
    this.input.addEventListener("input", () => {
      clearTimeout(this.typingTimer);
      this.typingTimer = window.setTimeout(() => this.queryChanged({ jump: true }), TYPING_DELAY_MS);
    });
    this.input.addEventListener("keydown", (event) => {
      if (isReplaceAllKey(event)) {
        event.preventDefault();
        void this.replaceAll();
      } else if (event.key === "Enter") {
        event.preventDefault();
        void this.next(event.shiftKey ? "backward" : "forward");
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.escape();
      } else if (event.key === "Tab" && !event.shiftKey && !this.replaceRow.hidden) {
        event.preventDefault();
        this.replaceInput.focus();
        this.replaceInput.select();
      }
    });
    this.replaceInput.addEventListener("keydown", (event) => {
      if (isReplaceAllKey(event)) {
        event.preventDefault();
        void this.replaceAll();
      } else if (event.key === "Enter") {
        event.preventDefault();
        void this.replaceOne();
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.escape();
      } else if (event.key === "Tab" && event.shiftKey) {
        event.preventDefault();
        this.input.focus();
      }
    });
    (panel.querySelector(".gp-replace-one") as HTMLElement).addEventListener(
      "click",
      () => void this.replaceOne(),
    );
    (panel.querySelector(".gp-replace-all") as HTMLElement).addEventListener(
      "click",
      () => void this.replaceAll(),
    );
    (panel.querySelector(".gp-find-next") as HTMLElement).addEventListener(
      "click",
      () => void this.next("forward"),
    );
    (panel.querySelector(".gp-find-prev") as HTMLElement).addEventListener(
      "click",
      () => void this.next("backward"),
    );
    (panel.querySelector(".gp-find-close") as HTMLElement).addEventListener("click", () => this.close());
    connection.onEvent((event) => this.hostEvent(event));
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  /** Ctrl+H: the panel with its replace row, the find field focused. */
  openReplace(): void {
    this.replaceRow.hidden = false;
    this.open({ keepReplace: true });
  }

  /** Ctrl+F: the panel (without its replace row unless `keepReplace`), the selection to find. */
  open(options: { keepReplace?: boolean } = {}): void {
    if (!options.keepReplace) this.replaceRow.hidden = true;
    const selection = this.editor.view.state.selection.main;
    if (!selection.empty && !this.editor.wideSelection) {
      const text = this.editor.view.state.sliceDoc(selection.from, selection.to);
      if (text.length <= 200 && !text.includes("\n")) this.input.value = text;
    }
    this.panel.hidden = false;
    this.input.focus();
    this.input.select();
    if (this.input.value) this.queryChanged({ jump: false });
  }

  /** Escape: cancels a running replace-all, else closes the panel. */
  escape(): void {
    if (this.replacing !== null) {
      void this.connection.request("cancelCount", { searchId: this.replacing }).catch(() => {});
      return;
    }
    this.close();
  }

  close(): void {
    this.panel.hidden = true;
    this.cancelCount();
    this.editor.setMatches([], null);
    this.editor.view.focus();
  }

  query(): FindQuery | null {
    const pattern = this.input.value;
    if (pattern === "") return null;
    return {
      pattern,
      caseSensitive: this.toggles.caseSensitive.getAttribute("aria-pressed") === "true",
      wholeWord: this.toggles.wholeWord.getAttribute("aria-pressed") === "true",
      regex: this.toggles.regex.getAttribute("aria-pressed") === "true",
    };
  }

  /** Finds the next (or previous) match from the cursor, anywhere in the document. */
  async next(direction: "forward" | "backward"): Promise<void> {
    const query = this.query();
    if (!query) {
      if (!this.isOpen) this.open();
      return;
    }
    const selection = this.editor.selectionBytes();
    const from = searchStart(selection, direction);
    const jumps = this.editor.jumps;
    this.goneTo++;
    try {
      const { match, wrapped } = await this.connection.request("findNext", { query, from, direction });
      // The user moved on while the engine searched (closed the panel, Ctrl+Home, go to): a late
      // answer must not pull the view back to the match (it did, and typing went after it).
      if (!this.isOpen || this.editor.jumps !== jumps) return;
      if (!match) {
        this.error = null;
        this.showCount("No matches");
        return;
      }
      if (wrapped)
        this.say(direction === "forward" ? "Search wrapped to the start" : "Search wrapped to the end");
      this.current = match;
      this.reached = "gone-to";
      this.currentIndex = null;
      await this.editor.reveal(match.start, match.end);
      this.highlight();
      void this.locate(query, match);
    } catch (error) {
      this.showError(error);
    }
  }

  /**
   * Replaces the current match and goes to the next. The first press only shows the match it
   * would replace — the one the find box jumped to as you typed, else the next from the cursor —
   * so you see what you replace, whether or not that jump had landed when you pressed.
   */
  replaceOne(): Promise<void> {
    const turn = this.replaceTurn.then(() => this.replaceOneNow());
    this.replaceTurn = turn.catch(() => {});
    return turn;
  }

  private async replaceOneNow(): Promise<void> {
    const query = this.query();
    if (!query || this.replacing !== null) return;
    const current = this.current;
    const selection = this.editor.selectionBytes();
    if (current === null || !selects(selection, current)) {
      await this.next("forward");
      return;
    }
    if (this.reached === "as-you-type") {
      this.goneTo++;
      this.reached = "gone-to";
      await this.editor.reveal(current.start, current.end);
      return;
    }
    const replaced = await this.editor.replaceMatches(query, this.replaceInput.value, {
      range: { start: current.start, end: current.end },
    });
    if (replaced === null) return;
    // Count again (one fewer), then on to the next match, which numbers itself.
    this.queryChanged({ jump: false });
    await this.next("forward");
  }

  /** Ctrl+Alt+Enter: every match in the file, in the engine. */
  async replaceAll(): Promise<void> {
    const query = this.query();
    if (!query || this.replacing !== null) return;
    const id = ++this.searchId;
    this.cancelCount();
    this.replacing = id;
    this.progress("replacing 0%");
    try {
      const replaced = await this.editor.replaceMatches(query, this.replaceInput.value, { searchId: id });
      if (replaced === null) {
        this.say("Replace all was cancelled: nothing was replaced");
      } else {
        this.say(
          replaced === 0
            ? "No matches: nothing was replaced"
            : `Replaced ${formatCount(replaced)} match${replaced === 1 ? "" : "es"} (one undo step)`,
        );
      }
    } finally {
      this.replacing = null;
      this.progress(null);
      this.current = null;
      this.queryChanged({ jump: false });
    }
  }

  /** The document changed: count again once edits pause. */
  documentChanged(): void {
    if (!this.isOpen || !this.query()) return;
    clearTimeout(this.editTimer);
    this.editTimer = window.setTimeout(() => this.recount(), EDIT_DELAY_MS);
  }

  /**
   * Counts again after a change. The current match stays current (numbered again) while it is
   * still what is selected: after Replace it is the next match, which the next Enter replaces.
   */
  private recount(): void {
    const kept = this.current;
    const reached = this.reached;
    this.queryChanged({ jump: false });
    const query = this.query();
    if (kept === null || query === null || !selects(this.editor.selectionBytes(), kept)) return;
    this.current = kept;
    this.reached = reached;
    void this.locate(query, kept);
  }

  /** Highlights the matches inside the current window. */
  highlight(): void {
    const query = this.query();
    if (!this.isOpen || !query || this.error) {
      this.editor.setMatches([], null);
      return;
    }
    const token = ++this.highlightToken;
    const docWindow = this.editor.docWindow;
    const start = docWindow.placement.start;
    const end = docWindow.endByte(this.editor.view.state.doc);
    this.connection.request("findInRange", { query, start, end, limit: HIGHLIGHT_LIMIT }).then(
      ({ matches }) => {
        if (token === this.highlightToken) this.editor.setMatches(matches, this.current);
      },
      () => {},
    );
  }

  /** Told of each new query (the filter view follows the find box). */
  onQueryChanged: ((query: FindQuery | null) => void) | null = null;

  /** The query changed: count again, highlight, and with `jump` go to the first match from the selection. */
  private queryChanged(options: { jump: boolean }): void {
    this.cancelCount();
    this.current = null;
    this.reached = "as-you-type";
    this.currentIndex = null;
    this.error = null;
    const query = this.query();
    this.onQueryChanged?.(query);
    if (!query) {
      this.showCount("");
      this.editor.setMatches([], null);
      return;
    }
    const id = ++this.searchId;
    this.count = { id, total: null, partial: 0 };
    this.showCount("Counting…");
    this.connection.request("count", { searchId: id, query }).then(
      ({ count }) => {
        if (this.count?.id !== id) return;
        this.count.total = count;
        this.renderCount();
      },
      (error: unknown) => {
        if (this.count?.id !== id) return;
        if (error instanceof RequestError && error.code === "EABORTED") return;
        this.showError(error);
      },
    );
    this.highlight();
    if (options.jump) {
      // As you type: the first match from where the selection starts.
      const selection = this.editor.selectionBytes();
      const from = searchStart(selection, "backward");
      const jumps = this.editor.jumps;
      const goneTo = this.goneTo;
      this.connection.request("findNext", { query, from, direction: "forward" }).then(
        async ({ match }) => {
          if (this.searchId !== id || !match || !this.isOpen || this.editor.jumps !== jumps) return;
          // A match gone to meanwhile (Enter pressed before this answer) stays where it is.
          if (this.goneTo !== goneTo) return;
          this.current = match;
          await this.editor.reveal(match.start, match.end);
          this.highlight();
          void this.locate(query, match);
        },
        (error: unknown) => this.showError(error),
      );
    }
  }

  /** Works out which match this is ("3 of 40"), by counting the matches before it. */
  private async locate(query: FindQuery, match: Match): Promise<void> {
    const id = ++this.indexSearch;
    try {
      // One id for every "which match is this" count: a new one cancels the one before.
      const { count } = await this.connection.request("count", {
        searchId: LOCATE_SEARCH_ID,
        query,
        start: 0,
        end: match.start,
      });
      if (id !== this.indexSearch || this.current !== match) return;
      this.currentIndex = count + 1;
      this.renderCount();
    } catch {
      // Superseded or cancelled: the total alone is shown.
    }
  }

  private hostEvent(event: HostEvent): void {
    if (event.event === "replaceProgress" && event.searchId === this.replacing) {
      this.progress(replaceProgressLabel(event));
      return;
    }
    if (event.event === "countProgress" && this.count && event.searchId === this.count.id && !event.done) {
      this.count.partial = event.count;
      this.renderCount();
    }
  }

  private renderCount(): void {
    if (this.count) this.showCount(countLabel(this.count, this.currentIndex));
  }

  private showCount(text: string): void {
    this.countLabel.textContent = text;
    this.countLabel.classList.toggle("gp-error", false);
  }

  private showError(error: unknown): void {
    if (error instanceof RequestError && (error.code === "EABORTED" || error.code === "EDISCONNECTED"))
      return;
    this.error = error instanceof Error ? error.message : String(error);
    this.countLabel.textContent = this.error;
    this.countLabel.classList.toggle("gp-error", true);
    this.editor.setMatches([], null);
  }

  private cancelCount(): void {
    if (this.count && this.count.total === null) {
      void this.connection.request("cancelCount", { searchId: this.count.id }).catch(() => {});
    }
    this.count = null;
    this.indexSearch++;
  }
}
