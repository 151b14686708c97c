/**
 * The editor: CodeMirror 6 showing a window of the document (a few MB around the viewport), kept
 * in step with the engine, which is the single source of truth. This class puts the parts
 * together and is their face to the page; each job is a module of its own:
 *
 * - loading a window around a jump's target (window-loading.ts);
 * - sliding it as the viewport nears an edge, keeping the scroll position (window-sliding.ts);
 * - sending what is typed as byte edits, undo and replace in the engine (edit-sync.ts);
 * - the selection kept as bytes when it leaves the window (wide-selection.ts);
 * - find matches highlighted in the window (match-highlights.ts);
 * - keys typed while a jump travels (held-keys.ts);
 * - what all of them share and change: one state object (window-activity.ts), and where the
 *   window sits, in CodeMirror's state (window-state.ts).
 *
 * Here: the CodeMirror set-up, which transaction goes where, and the engine's events.
 */
import { defaultKeymap } from "@codemirror/commands";
import { Compartment, EditorState, type Extension, Prec, type Transaction } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  type KeyBinding,
  keymap,
  type ViewUpdate,
} from "@codemirror/view";
import type {
  Anchor,
  DocumentInfo,
  DocumentWindow,
  FindQuery,
  HostEvent,
  Match,
} from "../protocol/messages.js";
import { type Connection, RequestError } from "./connection.js";
import { EditSync, type ReplaceOptions } from "./edit-sync.js";
import { lineNumberGutter, plainTextKeys, specialCharacters } from "./editor-look.js";
import { HeldKeys } from "./held-keys.js";
import { MatchHighlights, matchesField } from "./match-highlights.js";
import { safeTopByte, topVisibleByte, visibleLines } from "./viewport.js";
import { WideSelectionKeeper } from "./wide-selection.js";
import { type FollowMode, type WideSelection, WindowActivity } from "./window-activity.js";
import { docWindowOf, type EditorCallbacks, type WindowContext, windowLoad } from "./window-context.js";
import { type DocumentEdgeOptions, type Placement, WindowLoader } from "./window-loading.js";
import { WindowSlider } from "./window-sliding.js";
import { setFirstLineEffect, type WindowState, windowField } from "./window-state.js";

export type { EditorCallbacks } from "./window-context.js";
export { quickWindowRequest } from "./window-loading.js";

export class WindowEditor {
  readonly view: EditorView;
  private readonly context: WindowContext;
  private readonly activity: WindowActivity;
  private readonly readOnlyCompartment = new Compartment();
  private readonly gutterCompartment = new Compartment();
  private readonly wrapCompartment = new Compartment();

  /** Told how many bytes another program appended (the app says so when not following). */
  onAppended: ((bytes: number) => void) | null = null;
  /** Called after the window's text changed by a load or slide (find highlights hook in here). */
  onWindowChanged: (() => void) | null = null;

  constructor(
    parent: HTMLElement,
    private readonly connection: Connection,
    info: DocumentInfo,
    callbacks: EditorCallbacks,
    extraKeys: readonly KeyBinding[],
  ) {
    this.activity = new WindowActivity(info.version);
    // The parts are made with the room and find each other (and the view, made next) through it;
    // none of them runs before the room is complete.
    const context = {
      connection,
      callbacks,
      info,
      activity: this.activity,
      held: new HeldKeys(),
      windowChanged: () => this.onWindowChanged?.(),
      refreshGutter: () => this.refreshGutter(),
      updateReadOnly: () => this.updateReadOnly(),
      setInfo: (next: DocumentInfo) => this.setInfo(next),
      failed: (error: unknown) => this.failed(error),
    } as WindowContext;
    Object.assign(context, {
      loader: new WindowLoader(context),
      slider: new WindowSlider(context),
      edits: new EditSync(context),
      selection: new WideSelectionKeeper(context),
      highlights: new MatchHighlights(context),
    });
    this.context = context;
    this.view = new EditorView({
      parent,
      state: EditorState.create({ doc: "", extensions: this.extensions(extraKeys) }),
    });
    Object.assign(context, { view: this.view });
    connection.onEvent((event) => this.hostEvent(event));
  }

  /** What the engine said of the document last. */
  get info(): DocumentInfo {
    return this.context.info;
  }

  private extensions(extraKeys: readonly KeyBinding[]): Extension[] {
    const nonce = document.querySelector<HTMLMetaElement>('meta[name="gigapad-style-nonce"]')?.content;
    const { edits, selection, slider } = this.context;
    return [
      ...(nonce && !nonce.startsWith("__") ? [EditorView.cspNonce.of(nonce)] : []),
      // Lone CRs are text, shown as a visible character; only "\n" breaks lines.
      EditorState.lineSeparator.of("\n"),
      windowField,
      this.gutterCompartment.of(this.gutter()),
      highlightActiveLineGutter(),
      specialCharacters(),
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
        copy: (event) => selection.clipboard(event, "copy"),
        cut: (event) => selection.clipboard(event, "cut"),
        scroll: () => slider.slideIfNeeded(),
      }),
      // Shift+Mod+Z is redo whether the key reports "Z" or (some keyboards, test drivers) "z" —
      // CodeMirror would read the latter as Mod-z.
      Prec.highest(
        EditorView.domEventHandlers({
          keydown: (event) => {
            const mod = event.ctrlKey || event.metaKey;
            if (!mod || !event.shiftKey || event.altKey || event.key.toLowerCase() !== "z") return false;
            event.preventDefault();
            return edits.undoRedo("redo");
          },
        }),
      ),
      keymap.of([...extraKeys, ...this.keys(), ...plainTextKeys, ...defaultKeymap]),
    ];
  }

  private gutter(): Extension {
    return lineNumberGutter(() => this.info.lineCount ?? this.activity.lineEstimate);
  }

  private readOnlyExtension(): Extension {
    const readOnly = this.info.readOnly || this.activity.busy > 0 || this.connection.status !== "open";
    return [EditorState.readOnly.of(readOnly), EditorView.editable.of(true)];
  }

  private keys(): KeyBinding[] {
    const held = this.context.held;
    return [
      {
        key: "Mod-Home",
        run: () => this.goToStart(),
        shift: () => this.goToStart({ extend: true }),
      },
      { key: "Mod-End", run: () => this.goToEnd(), shift: () => this.goToEnd({ extend: true }) },
      { key: "Mod-a", run: () => this.selectAll() },
      { key: "Mod-z", run: () => this.undoRedo("undo"), preventDefault: true },
      { key: "Mod-y", run: () => this.undoRedo("redo"), preventDefault: true },
      // Where nothing is to delete (the cursor at the top before a jump lands) no transaction
      // comes to be filtered: these keys are held for the jump here.
      {
        key: "Backspace",
        run: () => held.holdKey("backspace"),
        shift: () => held.holdKey("backspace"),
      },
      { key: "Delete", run: () => held.holdKey("delete") },
    ];
  }

  // ----- modes -----------------------------------------------------------------------------------

  /** Soft wrap: long lines (and the 8 KiB segments of very long ones) wrap at the window's edge. */
  get wrap(): boolean {
    return this.activity.wrap;
  }

  setWrap(on: boolean): void {
    if (on === this.activity.wrap) return;
    this.activity.wrap = on;
    // The cursor's line stays in view: wrapping changes every line's height above it.
    const head = this.view.state.selection.main.head;
    this.view.dispatch({
      effects: [
        this.wrapCompartment.reconfigure(on ? EditorView.lineWrapping : []),
        EditorView.scrollIntoView(head, { y: "center" }),
      ],
    });
    this.context.slider.scrollDispatched();
    this.context.callbacks.changed();
  }

  /**
   * Follow mode: "on" keeps the end of a growing file in view; scrolling up makes it "paused"
   * (the app does that), Ctrl+End turns it on again.
   */
  get follow(): FollowMode {
    return this.activity.follow;
  }

  set follow(mode: FollowMode) {
    this.activity.follow = mode;
  }

  // ----- what is shown ---------------------------------------------------------------------------

  /** Where the window sits in the document, and how its text maps to bytes. */
  get docWindow(): WindowState {
    return docWindowOf(this.context);
  }

  /** The selection as bytes: the wide one, or the editor's. */
  selectionBytes(): { anchor: number; head: number } {
    return this.context.selection.selectionBytes();
  }

  /** Byte offset of the cursor (the selection's head). */
  cursorByte(): number {
    return this.context.selection.cursorByte();
  }

  /** Absolute 0-based line and 1-based column of the cursor; line null while unknown. */
  cursorLine(): { line: number | null; column: number | null } {
    return this.context.selection.cursorLine();
  }

  /** The wide selection, if one is active. */
  get wideSelection(): WideSelection | null {
    return this.activity.wide;
  }

  /** Whether edits are in flight or a load/undo is running. */
  get settled(): boolean {
    return this.activity.settled;
  }

  /** Lines the viewport shows: first and last editor line numbers. */
  visibleLines(): { top: number; bottom: number } {
    return visibleLines(this.view);
  }

  /** Counts the jumps (window loads) started: a late answer can tell whether the user moved on. */
  get jumps(): number {
    return this.activity.jumps;
  }

  /** Whether a window is being loaded, grown or slid (benchmarks wait for it to settle). */
  get windowInMotion(): boolean {
    return this.activity.inMotion;
  }

  /** Byte offset of the first visible line's start. */
  topVisibleByte(): number {
    return topVisibleByte(this.view);
  }

  // ----- what the page asks ----------------------------------------------------------------------

  /**
   * Loads a window around `anchor` and places the cursor and view. Superseded loads are dropped.
   * What is typed while a jump travels is typed where the jump lands (see held-keys.ts).
   */
  show(anchor: Anchor, placement: Placement, prefetched?: Promise<DocumentWindow>): Promise<boolean> {
    return this.context.loader.show(anchor, placement, prefetched);
  }

  /** Ctrl+Home; with `extend`, Shift+Ctrl+Home. */
  goToStart(options: DocumentEdgeOptions = {}): boolean {
    return this.context.loader.goToStart(options);
  }

  /** Ctrl+End; with `extend`, Shift+Ctrl+End. */
  goToEnd(options: DocumentEdgeOptions = {}): boolean {
    return this.context.loader.goToEnd(options);
  }

  /** Jumps to a byte range (a find match), selecting it and bringing it to the middle. */
  reveal(from: number, to: number): Promise<void> {
    return this.context.loader.reveal(from, to);
  }

  selectAll(): boolean {
    return this.context.selection.selectAll();
  }

  /** Copies bytes [from, to) of the document to the clipboard, refusing huge ranges. */
  copyBytes(from: number, to: number): Promise<boolean> {
    return this.context.selection.copyBytes(from, to);
  }

  undoRedo(which: "undo" | "redo"): boolean {
    return this.context.edits.undoRedo(which);
  }

  /**
   * Replaces the matches of `query` (all of them, or those within `range`: one match) in the
   * engine, as one undo step. Resolves with how many were replaced, or null if it failed or was
   * cancelled.
   */
  replaceMatches(
    query: FindQuery,
    replacement: string,
    options: ReplaceOptions = {},
  ): Promise<number | null> {
    return this.context.edits.replaceMatches(query, replacement, options);
  }

  /** Resolves when what was typed has reached the engine (Save waits for this). */
  whenInputSettled(): Promise<void> {
    return this.context.edits.whenInputSettled();
  }

  /** Resolves when no edit is in flight. */
  whenSettledEdits(): Promise<void> {
    return this.context.edits.whenSettledEdits();
  }

  /** Highlights find matches (byte ranges) that lie in the window. */
  setMatches(ranges: Match[], current: Match | null): void {
    this.context.highlights.setMatches(ranges, current);
  }

  updateReadOnly(): void {
    this.view.dispatch({ effects: this.readOnlyCompartment.reconfigure(this.readOnlyExtension()) });
  }

  private refreshGutter(): void {
    this.view.dispatch({ effects: this.gutterCompartment.reconfigure(this.gutter()) });
  }

  // ----- transactions ----------------------------------------------------------------------------

  private filterTransaction(tr: Transaction): Transaction | readonly [] {
    if (!tr.docChanged || tr.annotation(windowLoad)) return tr;
    // Ctrl+Home then typing: the keys belong where the jump lands, not where the cursor was.
    if (this.context.held.holdTransaction(tr, this.view)) return [];
    if (this.activity.wide) {
      this.context.selection.replaceWith(tr);
      return [];
    }
    return tr;
  }

  private updated(update: ViewUpdate): void {
    for (const tr of update.transactions) {
      if (tr.docChanged && !tr.annotation(windowLoad)) this.context.edits.sendEdits(tr);
      else if (tr.selection && !tr.annotation(windowLoad) && this.activity.wide)
        this.context.selection.selectionMoved(tr);
    }
    if (update.docChanged || update.selectionSet) this.context.callbacks.changed();
    if (update.viewportChanged || update.geometryChanged) this.context.slider.slideIfNeeded();
  }

  // ----- the engine's events ---------------------------------------------------------------------

  setInfo(info: DocumentInfo): void {
    const readOnlyChanged = info.readOnly !== this.info.readOnly;
    this.context.info = info;
    if (readOnlyChanged) this.updateReadOnly();
    this.context.callbacks.changed();
  }

  /** The same text read anew (another encoding, or converted): a new version, shown at the cursor's line. */
  reread(info: DocumentInfo, { atEnd = false }: { atEnd?: boolean } = {}): void {
    // Bytes move when the text is converted; lines do not: come back to the cursor's line.
    const { line } = this.cursorLine();
    this.setInfo(info);
    this.activity.expectedVersion = info.version;
    if (atEnd) void this.show({ end: true }, { align: "end", cursor: Number.MAX_SAFE_INTEGER });
    else if (line === null) this.reloadInPlace(info.length);
    else void this.show({ line }, { align: "center" });
  }

  /** Merges what an event says into the document's info. */
  private learn(update: Partial<DocumentInfo>): void {
    this.context.info = { ...this.context.info, ...update };
  }

  /**
   * Another window (or program) made `version`: taken (the next edit is typed on it) when it is
   * newer and nothing here is under way. False if not taken.
   */
  private takeNewerVersion(version: number): boolean {
    const activity = this.activity;
    if (!(version > activity.expectedVersion && activity.settled && !activity.loading)) return false;
    activity.expectedVersion = version;
    return true;
  }

  /** Shows the document as it is now where the view was (the window reloaded in place). */
  private reloadInPlace(length: number): void {
    const top = safeTopByte(this.view, this.info.length);
    const cursor = Math.min(this.cursorByte(), length);
    void this.show({ byte: Math.min(top, length) }, { align: "keep", keepByte: top, cursor });
  }

  private hostEvent(event: HostEvent): void {
    switch (event.event) {
      case "changed":
        this.learn({ length: event.length, lineCount: event.lineCount, modified: event.modified });
        // Another window changed the document: show what it is now.
        if (this.takeNewerVersion(event.version)) this.reloadInPlace(event.length);
        this.context.callbacks.changed();
        break;
      case "indexed":
        this.learn({
          lineCount: event.lineCount,
          eol: event.eol,
          indexProgress: { bytesDone: this.info.length, bytesTotal: this.info.length },
        });
        if (this.docWindow.placement.firstLine === null) void this.learnFirstLine();
        this.refreshGutter(); // sized for the counted lines now, not the estimate
        this.context.callbacks.changed();
        break;
      case "appended":
        this.learn({ length: event.length, lineCount: event.lineCount, modified: event.modified ?? false });
        if (this.takeNewerVersion(event.version)) {
          this.learn({ version: event.version });
          if (this.activity.follow === "on") {
            void this.show({ end: true }, { align: "end", cursor: event.length });
          } else if (this.docWindow.placement.atEnd) {
            // The window shows the old end: it grows, the view stays where it is.
            const top = safeTopByte(this.view, this.info.length);
            const cursor = Math.min(this.cursorByte(), event.length);
            void this.show({ byte: top }, { align: "keep", keepByte: top, cursor });
          }
        }
        this.onAppended?.(event.bytes);
        this.context.callbacks.changed();
        break;
      case "indexProgress":
        this.learn({ indexProgress: { bytesDone: event.bytesDone, bytesTotal: event.bytesTotal } });
        this.context.callbacks.changed();
        break;
      case "saved":
        this.learn({ path: event.path, name: event.name, length: event.length, modified: false });
        this.context.callbacks.changed();
        break;
      case "safety":
        this.learn({ safety: event.safety });
        if (event.safety === "commit failed") {
          this.learn({ readOnly: true, readOnlyReason: event.message });
          this.updateReadOnly();
        }
        this.context.callbacks.changed();
        break;
      default:
        break;
    }
  }

  /** The index finished: ask where the window's first line is. */
  private async learnFirstLine(): Promise<void> {
    const start = this.docWindow.placement.start;
    try {
      const { line } = await this.connection.request("lineAt", { offset: start });
      const placement = this.docWindow.placement;
      if (placement.start !== start || placement.firstLine !== null) return;
      this.view.dispatch({ effects: setFirstLineEffect.of(line) });
      this.refreshGutter();
      this.context.callbacks.changed();
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
    this.context.callbacks.message(text, "error");
  }
}
