/**
 * The editor: CodeMirror 6 showing a window of the document (a few MB around the viewport), kept
 * in step with the engine, which is the single source of truth.
 *
 * - Typing is shown at once (CodeMirror edits its window) and sent to the engine as byte-range
 *   edits against a content version; edits may be in flight several at a time.
 * - Scrolling near an edge of the window slides it: text is added on one side and dropped on the
 *   other in one transaction that keeps the scroll position, so nothing visibly moves.
 * - Jumps (go to, find, Ctrl+End, the scrollbar) load a new window around their target.
 * - Undo and redo run in the engine; the window is reloaded where they happened.
 * - A selection that leaves the window (Select All, Shift+Ctrl+End, or one made before scrolling
 *   far away) is kept as a byte range: "wide", shown clamped to the window.
 */
import { defaultKeymap, deleteCharBackwardStrict, insertNewline, insertTab } from "@codemirror/commands";
import {
  Annotation,
  Compartment,
  EditorSelection,
  EditorState,
  type Extension,
  Prec,
  RangeSet,
  StateEffect,
  StateField,
  Text,
  type Transaction,
} from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  type KeyBinding,
  keymap,
  lineNumbers,
  type ViewUpdate,
  WidgetType,
} from "@codemirror/view";
import { formatBytes } from "../presentation/format-bytes.js";
import { estimatedLineCount } from "../presentation/line-numbers.js";
import { specialCharLabel } from "../presentation/special-chars.js";
import { editMessages } from "../protocol/edit-pieces.js";
import { isEscapedByte, utf8ByteLength } from "../protocol/escaped-text.js";
import type {
  Anchor,
  ByteEdit,
  DocumentInfo,
  DocumentWindow,
  FindQuery,
  HostEvent,
  Match,
  UndoResult,
} from "../protocol/messages.js";
import { QUICK_WINDOW_LINES } from "../protocol/messages.js";
import { type Connection, RequestError } from "./connection.js";
import { HeldKeys } from "./held-keys.js";
import {
  type BreakMark,
  breakMark,
  loadWindowEffect,
  setFirstLineEffect,
  slideWindowEffect,
  type WindowPlacement,
  WindowState,
  windowField,
  windowLineBytes,
  windowOf,
  windowText,
} from "./window-state.js";

/** Window lines asked for on each side of the anchor (the host also caps each side at 1 MiB). */
export const WINDOW_LINES = 3000;

/** The request for the quick first window around `anchor`. */
export function quickWindowRequest(anchor: Anchor): {
  anchor: Anchor;
  linesBefore: number;
  linesAfter: number;
} {
  return { anchor, linesBefore: QUICK_WINDOW_LINES, linesAfter: QUICK_WINDOW_LINES };
}
/** Slide when the viewport comes within this share of the window's lines of an edge. */
const SLIDE_MARGIN_SHARE = 0.25;
/** Largest selection copied to the clipboard. */
export const MAX_COPY_BYTES = 64 * 1024 * 1024;

/** Marks transactions that load or slide the window: not edits to send. */
const windowLoad = Annotation.define<boolean>();

/** A selection kept as bytes because it reaches outside the window. */
export interface WideSelection {
  anchor: number;
  head: number;
  /** Where the head was, as the status bar shows it, if known. */
  line?: number | null;
  column?: number | null;
}

export interface EditorCallbacks {
  /** Something the status bar or title shows changed. */
  changed(): void;
  /** A message for the user: "error" stays until dismissed, "info" fades. */
  message(text: string, kind: "info" | "error", actions?: { label: string; run(): void }[]): void;
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

/**
 * Keys that change exactly what they say: a code editor's Enter also re-indents and eats the
 * spaces after the cursor, and its Backspace deletes a whole indent unit — in a data file every
 * byte not typed over must stay.
 */
const plainTextKeys: KeyBinding[] = [
  { key: "Enter", run: insertNewline, shift: insertNewline },
  { key: "Backspace", run: deleteCharBackwardStrict, shift: deleteCharBackwardStrict, preventDefault: true },
  { key: "Tab", run: insertTab },
];

/** Find matches in the window, as decorations. */
const matchMark = Decoration.mark({ class: "cm-gp-match" });
const currentMatchMark = Decoration.mark({ class: "cm-gp-match cm-gp-match-current" });
const setMatchesEffect = StateEffect.define<DecorationSet>();
/**
 * The highlighted matches, mapped through every change (typing, a window load or slide) until the
 * engine's next answer replaces them: a set kept as it was would point past the new text.
 */
const matchesField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(matches, tr) {
    let next = matches.map(tr.changes);
    for (const effect of tr.effects) if (effect.is(setMatchesEffect)) next = effect.value;
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

export class WindowEditor {
  readonly view: EditorView;
  info: DocumentInfo;
  /** The version after every edit sent so far. */
  private expectedVersion: number;
  private editsInFlight = 0;
  private settledWaiters: (() => void)[] = [];
  /** Loads supersede one another: only the newest is shown. */
  private loadToken = 0;
  private loading = false;
  private sliding = false;
  /** The load whose grow to the full window waits for the next frame, if any. */
  private growPending: number | null = null;
  private resyncNeeded: string | null = null;
  private busy = 0;
  private wide: WideSelection | null = null;
  private readonly readOnlyCompartment = new Compartment();
  private readonly gutterCompartment = new Compartment();
  private readonly wrapCompartment = new Compartment();
  private wrapping = false;
  /** Lines in the document as estimated from the first window, while the index counts them. */
  private lineEstimate: number | null = null;
  private matches: { ranges: Match[]; current: Match | null } = { ranges: [], current: null };

  constructor(
    parent: HTMLElement,
    private readonly connection: Connection,
    info: DocumentInfo,
    private readonly callbacks: EditorCallbacks,
    extraKeys: readonly KeyBinding[],
  ) {
    this.info = info;
    this.expectedVersion = info.version;
    this.view = new EditorView({
      parent,
      state: EditorState.create({ doc: "", extensions: this.extensions(extraKeys) }),
    });
    connection.onEvent((event) => this.hostEvent(event));
  }

  private extensions(extraKeys: readonly KeyBinding[]): Extension[] {
    const nonce = document.querySelector<HTMLMetaElement>('meta[name="gigapad-style-nonce"]')?.content;
    return [
      ...(nonce && !nonce.startsWith("__") ? [EditorView.cspNonce.of(nonce)] : []),
      // Lone CRs are text, shown as a visible character; only "\n" breaks lines.
      EditorState.lineSeparator.of("\n"),
      windowField,
      this.gutterCompartment.of(this.gutter()),
      highlightActiveLineGutter(),
      highlightSpecialChars({
        addSpecialChars: /[\udc80-\udcff]/,
        render: (code, description) => {
          if (isEscapedByte(code)) return new EscapedByteWidget(code).toDOM();
          const span = document.createElement("span");
          span.textContent = specialCharLabel(code);
          span.title = description ?? "";
          span.className = "cm-specialChar";
          return span;
        },
      }),
      drawSelection(),
      highlightActiveLine(),
      this.readOnlyCompartment.of(this.readOnlyExtension()),
      matchesField,
      this.wrapCompartment.of([]),
      EditorView.contentAttributes.of({ "aria-label": "Document text", spellcheck: "false" }),
      EditorView.clipboardInputFilter.of((text) => text.replace(/\r\n/g, "\n")),
      EditorState.transactionFilter.of((tr) => this.filterTransaction(tr)),
      EditorView.updateListener.of((update) => this.updated(update)),
      EditorView.domEventHandlers({
        copy: (event) => this.copyOrCut(event, false),
        cut: (event) => this.copyOrCut(event, true),
        scroll: () => this.slideIfNeeded(),
      }),
      // Shift+Mod+Z is redo whether the key reports "Z" or (some keyboards, test drivers) "z" —
      // CodeMirror would read the latter as Mod-z.
      Prec.highest(
        EditorView.domEventHandlers({
          keydown: (event) => {
            const mod = event.ctrlKey || event.metaKey;
            if (!mod || !event.shiftKey || event.altKey || event.key.toLowerCase() !== "z") return false;
            event.preventDefault();
            return this.undoRedo("redo");
          },
        }),
      ),
      keymap.of([...extraKeys, ...this.keys(), ...plainTextKeys, ...defaultKeymap]),
    ];
  }

  private gutter(): Extension {
    // As wide as the last line's number needs, also when CodeMirror sizes the gutter by a line
    // of the window itself (a window of exactly 99…9 lines).
    const digits = String(this.info.lineCount ?? this.lineEstimate ?? 1).length;
    const width = EditorView.theme({
      ".cm-lineNumbers .cm-gutterElement": { minWidth: `max(20px, calc(${digits}ch + 8px))` },
    });
    return [width, this.lineNumbersGutter()];
  }

  private lineNumbersGutter(): Extension {
    return lineNumbers({
      formatNumber: (number, state) => {
        const window = windowOf(state);
        // CodeMirror sizes the gutter with a number past the window's last line (99…9): make it
        // the document's last line number, so the gutter keeps its width wherever the window is.
        if (number > state.doc.lines) {
          const lastLine = this.info.lineCount ?? this.lineEstimate ?? 0;
          return String(Math.max(lastLine, (window.placement.firstLine ?? 0) + state.doc.lines));
        }
        if (window.isContinuation(state.doc, number)) return "⋯";
        const line = window.absoluteLine(state.doc, number);
        return line === null ? "·" : String(line + 1);
      },
    });
  }

  private readOnlyExtension(): Extension {
    const readOnly = this.info.readOnly || this.busy > 0 || this.connection.status !== "open";
    return [EditorState.readOnly.of(readOnly), EditorView.editable.of(true)];
  }

  private keys(): KeyBinding[] {
    return [
      { key: "Mod-Home", run: () => this.goToStart(false), shift: () => this.goToStart(true) },
      { key: "Mod-End", run: () => this.goToEnd(false), shift: () => this.goToEnd(true) },
      { key: "Mod-a", run: () => this.selectAll() },
      { key: "Mod-z", run: () => this.undoRedo("undo"), preventDefault: true },
      { key: "Mod-y", run: () => this.undoRedo("redo"), preventDefault: true },
      // Where nothing is to delete (the cursor at the top before a jump lands) no transaction
      // comes to be filtered: these keys are held for the jump here.
      {
        key: "Backspace",
        run: () => this.held.holdKey("backspace"),
        shift: () => this.held.holdKey("backspace"),
      },
      { key: "Delete", run: () => this.held.holdKey("delete") },
    ];
  }

  /** Soft wrap: long lines (and the 8 KiB segments of very long ones) wrap at the window's edge. */
  get wrap(): boolean {
    return this.wrapping;
  }

  setWrap(on: boolean): void {
    if (on === this.wrapping) return;
    this.wrapping = on;
    // The cursor's line stays in view: wrapping changes every line's height above it.
    const head = this.view.state.selection.main.head;
    this.view.dispatch({
      effects: [
        this.wrapCompartment.reconfigure(on ? EditorView.lineWrapping : []),
        EditorView.scrollIntoView(head, { y: "center" }),
      ],
    });
    this.scrollDispatched();
    this.callbacks.changed();
  }

  // ----- state -----------------------------------------------------------------------------------

  get window(): WindowState {
    return windowOf(this.view.state);
  }

  /** The selection as bytes: the wide one, or the editor's. */
  selectionBytes(): { anchor: number; head: number } {
    if (this.wide) return this.wide;
    const { anchor, head } = this.view.state.selection.main;
    const window = this.window;
    const doc = this.view.state.doc;
    return { anchor: window.byteAt(doc, anchor), head: window.byteAt(doc, head) };
  }

  /** Byte offset of the cursor (the selection's head). */
  cursorByte(): number {
    return this.selectionBytes().head;
  }

  /** Absolute 0-based line and 1-based column of the cursor; line null while unknown. */
  cursorLine(): { line: number | null; column: number | null } {
    if (this.wide) {
      const inWindow = this.window.posAtByte(this.view.state.doc, this.wide.head) !== null;
      if (!inWindow) return { line: this.wide.line ?? null, column: this.wide.column ?? null };
    }
    const state = this.view.state;
    const head = state.selection.main.head;
    const line = state.doc.lineAt(head);
    const window = this.window;
    if (window.isContinuation(state.doc, line.number)) {
      return { line: window.absoluteLine(state.doc, line.number), column: null };
    }
    return { line: window.absoluteLine(state.doc, line.number), column: head - line.from + 1 };
  }

  /** The wide selection, if one is active. */
  get wideSelection(): WideSelection | null {
    return this.wide;
  }

  /** Whether edits are in flight or a load/undo is running. */
  get settled(): boolean {
    return this.editsInFlight === 0 && this.busy === 0;
  }

  /** Lines the viewport shows: first and last editor line numbers. */
  visibleLines(): { top: number; bottom: number } {
    const view = this.view;
    const scroller = view.scrollDOM.getBoundingClientRect();
    const topHeight = scroller.top - view.documentTop;
    // A line with only a sliver (a few pixels) on screen does not count as shown.
    const sliver = 3;
    const top = view.lineBlockAtHeight(Math.max(0, topHeight + sliver));
    const bottom = view.lineBlockAtHeight(Math.max(0, topHeight + view.scrollDOM.clientHeight - sliver));
    return {
      top: view.state.doc.lineAt(top.from).number,
      bottom: view.state.doc.lineAt(bottom.from).number,
    };
  }

  /** Counts the jumps (window loads) started: a late answer can tell whether the user moved on. */
  get jumps(): number {
    return this.loadToken;
  }

  /** Whether a window is being loaded, grown or slid (benchmarks wait for it to settle). */
  get windowInMotion(): boolean {
    return this.loading || this.sliding || this.growPending !== null;
  }

  /** Byte offset of the first visible line's start. */
  topVisibleByte(): number {
    const { top } = this.visibleLines();
    return this.window.lineStartByte(this.view.state.doc, top);
  }

  // ----- loading the window ----------------------------------------------------------------------

  /**
   * Loads a window around `anchor` and places the cursor and view. Superseded loads are dropped.
   * What is typed while a jump travels is typed where the jump lands (see held-keys.ts).
   */
  async show(anchor: Anchor, placement: Placement, prefetched?: Promise<DocumentWindow>): Promise<boolean> {
    // Keys are held for a jump still travelling: this jump comes after them (Ctrl+Home, typing,
    // Ctrl+End — the typing belongs at the top), in line with them.
    if (this.held.jumping && this.held.holding) {
      return new Promise<boolean>((resolve) => {
        this.held.hold({
          kind: "jump",
          run: () => this.show(anchor, placement, prefetched).then(resolve),
        });
      });
    }
    const token = ++this.loadToken;
    this.loading = true;
    // A jump moves the cursor; a scroll (keepCursor) leaves it where typing goes.
    this.held.jumping = !placement.keepCursor;
    let growAround: number | null = null;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        await this.whenSettledEdits();
        if (token !== this.loadToken) return false;
        let window: DocumentWindow;
        try {
          // A screenful first, so the jump paints at once; the full window follows (grow below).
          window = await (attempt === 0 && prefetched
            ? prefetched
            : this.connection.request("window", quickWindowRequest(anchor)));
        } catch (error) {
          this.failed(error);
          return false;
        }
        if (token !== this.loadToken) return false;
        // Typed while the window travelled: it no longer matches; ask again.
        if (window.version !== this.expectedVersion || this.editsInFlight > 0) continue;
        performance.mark("gigapad-window-arrived");
        // Until the index has counted the lines, the gutter is sized by an estimate from the
        // first window (kept, so the gutter does not change width as the window slides).
        if (this.lineEstimate === null) {
          this.lineEstimate = estimatedLineCount(this.info.length, window);
          if (this.info.lineCount === null) this.refreshGutter();
        }
        this.replaceWindow(window, placement);
        growAround = windowLineBytes(window)[window.anchorIndex]!;
        return true;
      }
      return false;
    } finally {
      if (token === this.loadToken) {
        this.loading = false;
        this.held.jumping = false;
        this.held.replay(this);
        this.held.landed();
        if (growAround !== null) {
          const around = growAround;
          // Grow to the full window once the jump's frame is painted: its text must not delay it.
          this.growPending = token;
          requestAnimationFrame(() =>
            setTimeout(() => {
              if (this.growPending === token) this.growPending = null;
              if (token === this.loadToken && !this.loading && !this.sliding) void this.slide(around);
            }),
          );
        }
      }
    }
  }

  /** What Enter inserts in this document: its own line ending. */
  private get newline(): "\n" | "\r\n" {
    return this.info.newline === "crlf" ? "\r\n" : "\n";
  }

  private placementOf(window: DocumentWindow): WindowPlacement {
    return {
      start: window.start,
      firstLine: window.firstLine,
      atStart: window.atStart,
      atEnd: window.atEnd,
      newlineBytes: this.newline.length as 1 | 2,
    };
  }

  private replaceWindow(window: DocumentWindow, placement: Placement): void {
    const windowPlacement = this.placementOf(window);
    const { text, marks } = windowText(window.lines, window.breaks, windowPlacement.newlineBytes);
    const doc = Text.of(text.split("\n"));
    const state = new WindowState(windowPlacement, marks);
    const clampByte = (byte: number) => {
      const pos = state.posAtByte(doc, byte);
      if (pos !== null) return pos;
      return byte < windowPlacement.start ? 0 : doc.length;
    };
    let anchorPos = 0;
    for (let i = 0; i < window.anchorIndex; i++) anchorPos += window.lines[i]!.length + 1;
    let selection: EditorSelection;
    const kept = placement.keepCursor ? this.selectionBytes() : null;
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
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: doc },
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
      const firstLine = scrollTo <= this.view.state.doc.line(1).to;
      scroll = EditorView.scrollIntoView(scrollTo, {
        y: placement.align,
        yMargin: placement.align === "start" ? (firstLine ? 8 : 2) : 5,
      });
    }
    if (scroll) this.view.dispatch({ effects: scroll, annotations: [windowLoad.of(true)] });
    this.layOutNow();
    this.scrollDispatched();
    this.callbacks.changed();
    this.onWindowChanged?.();
  }

  /**
   * Follow mode: "on" keeps the end of a growing file in view; scrolling up makes it "paused"
   * (the app does that), Ctrl+End turns it on again.
   */
  follow: "off" | "on" | "paused" = "off";
  /** Told how many bytes another program appended (the app says so when not following). */
  onAppended: ((bytes: number) => void) | null = null;

  /** Called after the window's text changed by a load or slide (find highlights hook in here). */
  onWindowChanged: (() => void) | null = null;

  /**
   * Slides the window when the viewport nears one of its edges. Decided in CodeMirror's measure
   * phase (layout is read once, with its own), and not while a scroll just asked for is still to
   * happen (see scrollDispatched): the viewport read must be the one the user will see.
   */
  private slideIfNeeded(): void {
    if (this.sliding || this.loading || !this.settled || this.slideCheckQueued) return;
    // A scroll was just asked for: CodeMirror carries it out in the next frame; decide after it.
    if (this.scrollPending) return;
    this.slideCheckQueued = true;
    this.view.requestMeasure({
      key: this.slideMeasureKey,
      read: () => {
        this.slideCheckQueued = false;
        if (this.sliding || this.loading || !this.settled) return null;
        const window = this.window;
        const lines = this.view.state.doc.lines;
        const margin = Math.max(20, Math.floor(lines * SLIDE_MARGIN_SHARE));
        const { top, bottom } = this.visibleLines();
        const nearTop = !window.placement.atStart && top <= margin;
        const nearBottom = !window.placement.atEnd && bottom >= lines - margin;
        if (!nearTop && !nearBottom) return null;
        return window.lineStartByte(this.view.state.doc, Math.floor((top + bottom) / 2));
      },
      write: (anchorByte) => {
        if (anchorByte !== null) void this.slide(anchorByte);
      },
    });
  }

  private slideCheckQueued = false;
  private scrollPending = false;

  /**
   * A transaction that scrolls is about to be dispatched. CodeMirror scrolls in its next measure
   * (the next frame); until the frame after, the viewport on record is the old one, and slide
   * decisions wait.
   */
  private scrollDispatched(): void {
    this.scrollPending = true;
    const frame = ++this.scrollFrame;
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (frame !== this.scrollFrame) return;
        this.scrollPending = false;
        this.slideIfNeeded();
      }),
    );
  }
  private scrollFrame = 0;
  private readonly slideMeasureKey = {};

  private async slide(anchorByte: number): Promise<void> {
    this.sliding = true;
    try {
      const token = this.loadToken;
      let window: DocumentWindow;
      try {
        window = await this.connection.request("window", {
          anchor: { byte: anchorByte },
          linesBefore: WINDOW_LINES,
          linesAfter: WINDOW_LINES,
        });
      } catch (error) {
        this.failed(error);
        return;
      }
      // Apply in the next frame, after CodeMirror has carried out any scroll already asked for
      // (a find jumping inside the window): the slide keeps the scroll position as it is then.
      await new Promise((resolve) => requestAnimationFrame(resolve));
      if (token !== this.loadToken || this.loading) return;
      if (window.version !== this.expectedVersion || this.editsInFlight > 0) return;
      this.applySlide(window);
    } finally {
      this.sliding = false;
    }
    // The user may have scrolled on while the window travelled.
    requestAnimationFrame(() => this.slideIfNeeded());
  }

  /**
   * Turns the current window into `window` (same version) by adding and dropping text at its
   * edges, so the lines on screen stay where they are. Falls back to a reload if they do not line up.
   */
  private applySlide(window: DocumentWindow): void {
    const view = this.view;
    const state = view.state;
    const doc = state.doc;
    const old = this.window;
    const oldStart = old.placement.start;
    const oldEnd = old.endByte(doc);
    const starts = windowLineBytes(window);
    const lineEnd = (i: number) => starts[i]! + utf8ByteLength(window.lines[i]!);
    const newlineBytes = old.placement.newlineBytes;
    const keep = () => {
      const selectionBytes = this.selectionBytes();
      this.replaceWindow(window, {
        align: "keep",
        keepByte: this.topVisibleByte(),
        cursor: selectionBytes.head,
      });
    };
    if (window.end < oldStart || window.start > oldEnd) {
      keep();
      return;
    }

    const changes: { from: number; to?: number; insert?: string }[] = [];
    const frontMarks: ReturnType<typeof breakMark>[] = [];
    if (window.start < oldStart) {
      const k = starts.indexOf(oldStart);
      if (k <= 0) {
        keep();
        return;
      }
      const front = windowText(window.lines.slice(0, k), window.breaks.slice(0, k), newlineBytes);
      changes.push({ from: 0, insert: `${front.text}\n` });
      for (const cursor = front.marks.iter(); cursor.value; cursor.next()) {
        frontMarks.push(breakMark((cursor.value as BreakMark).bytes, cursor.from));
      }
    } else if (window.start > oldStart) {
      const cut = old.posAtByte(doc, window.start);
      if (cut === null || doc.lineAt(cut).from !== cut) {
        keep();
        return;
      }
      changes.push({ from: 0, to: cut });
    }
    let back: { j: number } | null = null;
    if (window.end > oldEnd) {
      // The new window's line that ends where the old window ends.
      let j = -1;
      for (let i = window.lines.length - 1; i >= 0 && starts[i + 1]! >= oldEnd; i--) {
        if (lineEnd(i) === oldEnd) {
          j = i;
          break;
        }
      }
      if (j < 0 || j === window.lines.length - 1) {
        keep();
        return;
      }
      const tail = window.lines.slice(j + 1).join("\n");
      changes.push({ from: doc.length, insert: `\n${tail}` });
      back = { j };
    } else if (window.end < oldEnd) {
      const cut = old.posAtByte(doc, window.end);
      if (cut === null || doc.lineAt(cut).to !== cut) {
        keep();
        return;
      }
      changes.push({ from: cut, to: doc.length });
    }
    const changeSet = state.changes(changes);
    const added = [...frontMarks];
    if (back) {
      const at = changeSet.mapPos(doc.length, -1);
      const { j } = back;
      if (window.breaks[j] !== newlineBytes) added.push(breakMark(window.breaks[j]!, at));
      const tail = windowText(window.lines.slice(j + 1), window.breaks.slice(j + 1), newlineBytes, at + 1);
      for (const cursor = tail.marks.iter(); cursor.value; cursor.next()) {
        added.push(breakMark((cursor.value as BreakMark).bytes, cursor.from));
      }
    }
    added.sort((a, b) => a.from - b.from);
    const placement = this.placementOf(window);
    if (placement.firstLine === null && old.placement.firstLine !== null && window.start === oldStart) {
      placement.firstLine = old.placement.firstLine;
    }
    // A selection (or the cursor) that would fall out of the window is kept as bytes: typing
    // goes where the cursor was, and shift-click extends from where the selection began.
    if (!this.wide) {
      const bytes = this.selectionBytes();
      const low = Math.min(bytes.anchor, bytes.head);
      const high = Math.max(bytes.anchor, bytes.head);
      if (low < window.start || high > window.end) this.wide = { ...bytes, ...this.cursorLine() };
    }
    // Keep the line at the top of the screen where it is. The scroll is set here, right after
    // the DOM update, from the height map: CodeMirror's scroll snapshot, applied a frame later,
    // lands short when thousands of lines are added above (the browser moves it first).
    const scroller = view.scrollDOM;
    const scrollTop = scroller.scrollTop;
    const anchor = view.lineBlockAtHeight(scrollTop);
    const offset = scrollTop - anchor.top;
    const anchorAfter = changeSet.mapPos(anchor.from, 1);
    this.scrollDispatched();
    view.dispatch({
      changes: changeSet,
      effects: slideWindowEffect.of({ placement, added: RangeSet.of(added) }),
      annotations: [windowLoad.of(true)],
    });
    scroller.scrollTop = view.lineBlockAt(anchorAfter).top + offset;
    this.layOutNow();
    if (this.wide) this.showWideSelection();
    this.callbacks.changed();
    this.onWindowChanged?.();
  }

  /**
   * Has CodeMirror lay out now what it would lay out in the next frame — the scroll just asked
   * for and the lines at the new scroll position — so that frame paints them, not a blank screen
   * (CodeMirror draws the lines where the scroll was when the text changed). Reading the layout
   * runs a pending measure at once.
   */
  private layOutNow(): void {
    this.view.requestMeasure();
    this.view.lineBlockAtHeight(0);
  }

  private refreshGutter(): void {
    this.view.dispatch({ effects: this.gutterCompartment.reconfigure(this.gutter()) });
  }

  // ----- edits -----------------------------------------------------------------------------------

  private filterTransaction(tr: Transaction): Transaction | readonly [] {
    if (!tr.docChanged || tr.annotation(windowLoad)) return tr;
    // Ctrl+Home then typing: the keys belong where the jump lands, not where the cursor was.
    if (this.held.holdTransaction(tr, this.view)) return [];
    if (this.wide) {
      // Typing, deleting or pasting over a wide selection replaces all of it, in the engine.
      let inserted = "";
      tr.changes.iterChanges((_fromA, _toA, _fromB, _toB, text) => {
        inserted += text.toString();
      });
      const { anchor, head } = this.wide;
      void this.replaceWide(Math.min(anchor, head), Math.max(anchor, head), inserted);
      return [];
    }
    return tr;
  }

  private updated(update: ViewUpdate): void {
    for (const tr of update.transactions) {
      if (tr.docChanged && !tr.annotation(windowLoad)) this.sendEdits(tr);
      else if (tr.selection && !tr.annotation(windowLoad) && this.wide) this.selectionMoved(tr);
    }
    if (update.docChanged || update.selectionSet) this.callbacks.changed();
    if (update.viewportChanged || update.geometryChanged) this.slideIfNeeded();
  }

  /** Keys typed while a jump travels, typed where it lands (see held-keys.ts). */
  private readonly held = new HeldKeys();

  /** Sends one transaction's changes to the engine, in bytes of the version it was typed on. */
  private sendEdits(tr: Transaction): void {
    const start = windowOf(tr.startState);
    const doc = tr.startState.doc;
    const newline = this.newline;
    const edits: ByteEdit[] = [];
    tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      edits.push({
        start: start.byteAt(doc, fromA),
        end: start.byteAt(doc, toA),
        text: inserted.sliceString(0, inserted.length, newline),
      });
    });
    if (edits.length === 0) return;
    // A big paste goes as consecutive edits of bounded size (the server caps a message).
    for (const piece of editMessages(edits)) {
      const baseVersion = this.expectedVersion;
      this.expectedVersion++;
      this.editsInFlight++;
      this.connection.request("edit", { baseVersion, edits: piece }).then(
        (result) => {
          this.info = { ...this.info, length: result.length, version: result.version };
          this.editSettled();
        },
        (error: unknown) => {
          this.resyncNeeded = this.describeRefusal(error);
          this.editSettled();
        },
      );
    }
  }

  private describeRefusal(error: unknown): string {
    if (error instanceof RequestError) {
      if (error.code === "ESTALE")
        return "The document changed in another window; your last edit was not applied.";
      if (error.code === "EDISCONNECTED")
        return "Edits typed while the connection was down were not applied.";
      return `Your last edit was not applied: ${error.message}`;
    }
    return `Your last edit was not applied: ${String(error)}`;
  }

  private editSettled(): void {
    this.editsInFlight--;
    if (this.editsInFlight > 0) return;
    if (this.resyncNeeded !== null) {
      const message = this.resyncNeeded;
      this.resyncNeeded = null;
      void this.resync(message);
      return;
    }
    for (const waiter of this.settledWaiters.splice(0)) waiter();
    this.slideIfNeeded();
  }

  /** After a refused edit: the window shows what the engine has. */
  private async resync(message: string | null): Promise<void> {
    try {
      const info = await this.connection.request("hello", { protocol: this.info.protocol });
      this.setInfo(info);
      this.expectedVersion = info.version;
    } catch (error) {
      this.failed(error);
    }
    for (const waiter of this.settledWaiters.splice(0)) waiter();
    if (this.connection.status === "open") {
      const top = this.safeTopByte();
      await this.show({ byte: top }, { align: "keep", keepByte: top, cursor: top });
    }
    if (message) this.callbacks.message(message, "error");
  }

  private safeTopByte(): number {
    try {
      return Math.min(this.topVisibleByte(), this.info.length);
    } catch {
      return 0;
    }
  }

  /**
   * Resolves when what was typed has reached the engine: no jump holding keys, none held, no edit
   * in flight (Save waits for this: Ctrl+End, typing, Ctrl+S saves the typing).
   */
  async whenInputSettled(): Promise<void> {
    while (this.held.jumping || this.held.holding || this.busy > 0) await this.held.whenLanded();
    await this.whenSettledEdits();
  }

  /** Resolves when no edit is in flight. */
  whenSettledEdits(): Promise<void> {
    if (this.editsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Runs `work` with editing paused (undo, jumps that must not race typing). */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    this.updateReadOnly();
    try {
      await this.whenSettledEdits();
      return await work();
    } finally {
      this.busy--;
      this.updateReadOnly();
      // Keys held behind an undo that moved nothing go on now.
      if (this.busy === 0 && !this.held.jumping && !this.loading) this.held.replay(this);
      this.held.landed();
    }
  }

  updateReadOnly(): void {
    this.view.dispatch({ effects: this.readOnlyCompartment.reconfigure(this.readOnlyExtension()) });
  }

  undoRedo(which: "undo" | "redo"): boolean {
    if (this.info.readOnly) return true;
    // Pressed while a jump travels: in order with the keys held for it.
    if (this.held.jumping) {
      this.held.hold({ kind: which });
      return true;
    }
    void this.exclusive(async () => {
      let result: UndoResult;
      try {
        result = await this.connection.request(which, {});
      } catch (error) {
        this.failed(error);
        return;
      }
      this.expectedVersion = result.version;
      this.info = { ...this.info, length: result.length, version: result.version };
      if (!result.done) {
        this.callbacks.message(which === "undo" ? "Nothing to undo" : "Nothing to redo", "info");
        return;
      }
      this.wide = null;
      const at = result.at ?? this.cursorByte();
      const inView = this.isByteVisible(at);
      await this.show(
        { byte: Math.min(at, result.length) },
        inView
          ? {
              align: "keep",
              keepByte: this.safeTopByte(),
              cursor: Math.min(at, result.length),
            }
          : { align: "center", cursor: Math.min(at, result.length) },
      );
    });
    return true;
  }

  private isByteVisible(byte: number): boolean {
    const pos = this.window.posAtByte(this.view.state.doc, byte);
    if (pos === null) return false;
    const { top, bottom } = this.visibleLines();
    const line = this.view.state.doc.lineAt(pos).number;
    return line >= top && line <= bottom;
  }

  /** Replaces bytes [from, to) (a wide selection) with text, in the engine, then reloads there. */
  private async replaceWide(from: number, to: number, text: string): Promise<void> {
    await this.exclusive(async () => {
      const insert = text.replace(/\n/g, this.newline);
      try {
        for (const edits of editMessages([{ start: from, end: to, text: insert }])) {
          const result = await this.connection.request("edit", { baseVersion: this.expectedVersion, edits });
          this.expectedVersion = result.version;
          this.info = { ...this.info, length: result.length, version: result.version };
        }
      } catch (error) {
        this.failed(error);
        return;
      }
      this.wide = null;
      const cursor = from + utf8ByteLength(insert);
      await this.show({ byte: cursor }, { align: "center", cursor });
    });
  }

  /**
   * Replaces the matches of `query` (all of them, or those within `range`: one match) in the
   * engine, as one undo step, then shows the window again where it was. Editing pauses meanwhile.
   * Resolves with how many were replaced, or null if it failed or was cancelled (said elsewhere).
   */
  replaceMatches(
    query: FindQuery,
    replacement: string,
    options: { range?: { start: number; end: number }; searchId?: number } = {},
  ): Promise<number | null> {
    if (this.info.readOnly) {
      this.callbacks.message(`Cannot replace: ${this.info.readOnlyReason ?? "read-only"}`, "error");
      return Promise.resolve(null);
    }
    return this.exclusive(async () => {
      const lengthBefore = this.info.length;
      let result: { count: number; version: number; length: number };
      try {
        result = await this.connection.request("replaceAll", {
          baseVersion: this.expectedVersion,
          query,
          replacement,
          ...(options.searchId === undefined ? {} : { searchId: options.searchId }),
          ...(options.range ?? {}),
        });
      } catch (error) {
        if (!(error instanceof RequestError && error.code === "EABORTED")) this.failed(error);
        return null;
      }
      this.expectedVersion = result.version;
      this.info = { ...this.info, length: result.length, version: result.version };
      if (result.count === 0) return 0;
      this.wide = null;
      const top = this.safeTopByte();
      // After one replacement the cursor goes after it (find next continues from there).
      const cursor = options.range
        ? options.range.end + (result.length - lengthBefore)
        : Math.min(this.cursorByte(), result.length);
      await this.show({ byte: Math.min(top, result.length) }, { align: "keep", keepByte: top, cursor });
      return result.count;
    });
  }

  // ----- selection -------------------------------------------------------------------------------

  selectAll(): boolean {
    const start = this.info.length > 0 && this.window.placement.atStart ? this.window.placement.start : 0;
    this.setWide({ anchor: start, head: this.info.length });
    return true;
  }

  private setWide(selection: WideSelection | null): void {
    this.wide = selection;
    if (selection) this.showWideSelection();
    this.callbacks.changed();
  }

  /** Shows the part of the wide selection that lies in the window. */
  private showWideSelection(): void {
    const wide = this.wide!;
    const window = this.window;
    const doc = this.view.state.doc;
    const clamp = (byte: number) =>
      window.posAtByte(doc, byte) ?? (byte < window.placement.start ? 0 : doc.length);
    this.view.dispatch({
      selection: EditorSelection.single(clamp(wide.anchor), clamp(wide.head)),
      annotations: [windowLoad.of(true)],
    });
  }

  /** The user moved the selection while a wide one was active: extend it or drop it. */
  private selectionMoved(tr: Transaction): void {
    const wide = this.wide!;
    const selection = tr.newSelection.main;
    const window = windowOf(tr.state);
    const anchorPos =
      window.posAtByte(tr.state.doc, wide.anchor) ??
      (wide.anchor < window.placement.start ? 0 : tr.state.doc.length);
    if (selection.anchor === anchorPos && tr.isUserEvent("select")) {
      this.wide = { anchor: wide.anchor, head: window.byteAt(tr.state.doc, selection.head) };
      return;
    }
    this.wide = null;
  }

  goToStart(extend: boolean): boolean {
    const anchor = this.selectionBytes().anchor;
    if (!extend && this.moveInWindow(0)) return true;
    // A plain jump ends a wide selection now: keys held for the jump must not replace it.
    if (!extend) this.wide = null;
    void this.show({ byte: 0 }, { align: "start", cursor: 0 }).then(() => {
      if (extend) this.setWide({ anchor, head: this.window.placement.start });
      else this.wide = null;
    });
    return true;
  }

  goToEnd(extend: boolean): boolean {
    // Ctrl+End takes up following again where scrolling up paused it.
    if (this.follow === "paused" && !extend) {
      this.follow = "on";
      this.callbacks.changed();
    }
    const anchor = this.selectionBytes().anchor;
    if (!extend && this.moveInWindow(this.info.length)) return true;
    if (!extend) this.wide = null;
    // The cursor goes to the end as it is when the jump lands (it may wait behind held keys).
    void this.show({ end: true }, { align: "end", cursor: Number.MAX_SAFE_INTEGER }).then(() => {
      if (extend) this.setWide({ anchor, head: this.info.length });
      else this.wide = null;
    });
    return true;
  }

  /**
   * Puts the cursor on `byte` at once when the window holds it and nothing is loading (Ctrl+Home
   * at the top of the file): no round trip, so the next key lands there. False if a load is needed.
   */
  private moveInWindow(byte: number): boolean {
    if (this.loading || this.sliding || this.busy > 0 || this.growPending !== null) return false;
    const pos = this.window.posAtByte(this.view.state.doc, byte);
    if (pos === null) return false;
    // A pending jump is superseded by this one, as a load would supersede it.
    this.loadToken++;
    this.wide = null;
    this.scrollDispatched();
    this.view.dispatch({
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
    this.wide = null;
    const window = this.window;
    const doc = this.view.state.doc;
    const fromPos = window.posAtByte(doc, from);
    const toPos = window.posAtByte(doc, to);
    const lines = doc.lines;
    if (fromPos !== null && toPos !== null && this.settled) {
      const line = doc.lineAt(fromPos).number;
      // Inside the window, away from its edges: no load.
      const margin = Math.floor(lines * SLIDE_MARGIN_SHARE);
      if ((window.placement.atStart || line > margin) && (window.placement.atEnd || line < lines - margin)) {
        this.scrollDispatched();
        this.view.dispatch({
          selection: EditorSelection.single(fromPos, toPos),
          effects: EditorView.scrollIntoView(fromPos, { y: "center" }),
        });
        return;
      }
    }
    await this.show({ byte: from }, { align: "center", select: { from, to } });
  }

  // ----- copy ------------------------------------------------------------------------------------

  private copyOrCut(event: ClipboardEvent, cut: boolean): boolean {
    if (!this.wide) return false;
    event.preventDefault();
    const { anchor, head } = this.wide;
    const from = Math.min(anchor, head);
    const to = Math.max(anchor, head);
    void this.copyBytes(from, to).then((copied) => {
      if (copied && cut) void this.replaceWide(from, to, "");
    });
    return true;
  }

  /** Copies bytes [from, to) of the document to the clipboard, refusing huge ranges. */
  async copyBytes(from: number, to: number): Promise<boolean> {
    const size = to - from;
    if (size > MAX_COPY_BYTES) {
      this.callbacks.message(
        `The selection is ${formatBytes(size)}: too large for the clipboard (at most ${formatBytes(MAX_COPY_BYTES)}). ` +
          "Select less, or save a copy with Save As.",
        "error",
      );
      return false;
    }
    try {
      const { text } = await this.connection.request("readText", { start: from, end: to });
      await navigator.clipboard.writeText(text);
      this.callbacks.message(`Copied ${formatBytes(size)}`, "info");
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  // ----- find highlights -------------------------------------------------------------------------

  setMatches(ranges: Match[], current: Match | null): void {
    // Nothing shown and nothing to show (find closed, every slide): no reconfiguration.
    if (ranges.length === 0 && current === null && this.matches.ranges.length === 0 && !this.matches.current)
      return;
    this.matches = { ranges, current };
    this.drawMatches();
  }

  private drawMatches(): void {
    const window = this.window;
    const doc = this.view.state.doc;
    const builder: ReturnType<typeof matchMark.range>[] = [];
    for (const match of this.matches.ranges) {
      const from = window.posAtByte(doc, match.start);
      const to = window.posAtByte(doc, match.end);
      if (from === null || to === null || to <= from) continue;
      const current = this.matches.current?.start === match.start && this.matches.current.end === match.end;
      builder.push((current ? currentMatchMark : matchMark).range(from, to));
    }
    const decorations: DecorationSet = Decoration.set(builder, true);
    this.view.dispatch({
      effects: setMatchesEffect.of(decorations),
    });
  }

  // ----- host events -----------------------------------------------------------------------------

  setInfo(info: DocumentInfo): void {
    const readOnlyChanged = info.readOnly !== this.info.readOnly;
    this.info = info;
    if (readOnlyChanged) this.updateReadOnly();
    this.callbacks.changed();
  }

  private hostEvent(event: HostEvent): void {
    switch (event.event) {
      case "changed":
        this.info = {
          ...this.info,
          length: event.length,
          lineCount: event.lineCount,
          modified: event.modified,
        };
        if (event.version > this.expectedVersion && this.settled && !this.loading) {
          // Another window changed the document: show what it is now.
          this.expectedVersion = event.version;
          const top = this.safeTopByte();
          const cursor = Math.min(this.cursorByte(), event.length);
          void this.show({ byte: Math.min(top, event.length) }, { align: "keep", keepByte: top, cursor });
        }
        this.callbacks.changed();
        break;
      case "indexed":
        this.info = {
          ...this.info,
          lineCount: event.lineCount,
          eol: event.eol,
          indexProgress: { bytesDone: this.info.length, bytesTotal: this.info.length },
        };
        if (this.window.placement.firstLine === null) void this.learnFirstLine();
        this.refreshGutter(); // sized for the counted lines now, not the estimate
        this.callbacks.changed();
        break;
      case "appended":
        this.info = { ...this.info, length: event.length, lineCount: event.lineCount, modified: false };
        if (event.version > this.expectedVersion && this.settled && !this.loading) {
          this.expectedVersion = event.version;
          this.info = { ...this.info, version: event.version };
          if (this.follow === "on") {
            void this.show({ end: true }, { align: "end", cursor: event.length });
          } else if (this.window.placement.atEnd) {
            // The window shows the old end: it grows, the view stays where it is.
            const top = this.safeTopByte();
            const cursor = Math.min(this.cursorByte(), event.length);
            void this.show({ byte: top }, { align: "keep", keepByte: top, cursor });
          }
        }
        this.onAppended?.(event.bytes);
        this.callbacks.changed();
        break;
      case "indexProgress":
        this.info = {
          ...this.info,
          indexProgress: { bytesDone: event.bytesDone, bytesTotal: event.bytesTotal },
        };
        this.callbacks.changed();
        break;
      case "saved":
        this.info = {
          ...this.info,
          path: event.path,
          name: event.name,
          length: event.length,
          modified: false,
        };
        this.callbacks.changed();
        break;
      case "safety":
        this.info = { ...this.info, safety: event.safety };
        if (event.safety === "commit failed") {
          this.info = { ...this.info, readOnly: true, readOnlyReason: event.message };
          this.updateReadOnly();
        }
        this.callbacks.changed();
        break;
      default:
        break;
    }
  }

  /** The index finished: ask where the window's first line is. */
  private async learnFirstLine(): Promise<void> {
    const start = this.window.placement.start;
    try {
      const { line } = await this.connection.request("lineAt", { offset: start });
      if (this.window.placement.start !== start || this.window.placement.firstLine !== null) return;
      this.view.dispatch({ effects: setFirstLineEffect.of(line) });
      this.refreshGutter();
      this.callbacks.changed();
    } catch {
      // A later window brings it.
    }
  }

  /** The connection came back (or dropped): editing follows it. */
  connectionChanged(): void {
    this.updateReadOnly();
  }

  failed(error: unknown): void {
    if (error instanceof RequestError && error.code === "EDISCONNECTED") return;
    const text = error instanceof Error ? error.message : String(error);
    this.callbacks.message(text, "error");
  }
}
