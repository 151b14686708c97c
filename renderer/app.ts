/**
 * The editor page, put together: the window editor, the virtual scrollbar, find, the filter view,
 * go to, following, help and the context menu, messages, and the connection to the engine; the
 * status bar (status-bar.ts) and saving (save-flow.ts) are modules of their own. The same page
 * runs in a browser (`gigapad serve`) and in the desktop app; `Platform` is what differs
 * (dialogs, menus).
 */

import type { KeyBinding } from "@codemirror/view";
import { formatBytes } from "../presentation/format-bytes.js";
import { EDITOR_COMMANDS, type EditorCommand } from "../protocol/desktop-bridge.js";
import type { DocumentInfo, DocumentWindow, HostEvent } from "../protocol/messages.js";
import { PROTOCOL_VERSION } from "../protocol/messages.js";
import { Connection, type Transport } from "./connection.js";
import { ContextMenu } from "./context-menu.js";
import { showEncodingMenu } from "./encoding-menu.js";
import { FilterView } from "./filter-view.js";
import { FindPanel } from "./find-panel.js";
import { formatCount } from "./format.js";
import { parseGoTo } from "./go-to.js";
import { keyHelpFor } from "./key-help.js";
import { isMac } from "./platform.js";
import { ReadAnew } from "./read-anew.js";
import { SaveFlow } from "./save-flow.js";
import { pageShortcut } from "./shortcuts.js";
import { StatusBar } from "./status-bar.js";
import type { StatusFacts } from "./status-cells.js";
import { useByteCounting } from "./text-bytes.js";
import { VirtualScrollbar } from "./virtual-scrollbar.js";
import { quickWindowRequest, WindowEditor } from "./window-editor.js";
import { recallWrap, rememberWrap } from "./wrap-preference.js";

/** What differs between the browser and the desktop app. */
export interface Platform {
  /** Asks where to save a copy; null if cancelled. */
  chooseSavePath(currentPath: string): Promise<string | null>;
  /** Menu commands from the desktop shell (command ids, see EDITOR_COMMANDS). */
  onCommand?(handler: (command: string) => void): void;
  /** Tells the shell about the document (title, unsaved changes). */
  documentState?(state: { title: string; modified: boolean; path: string }): void;
}

const RECONNECT_MS = 1500;
const INFO_MESSAGE_MS = 4000;
/** Filter ids start here, apart from the find panel's search ids (the host keys both alike). */
const FILTER_IDS = 1_000_000_000;

interface Elements {
  editor: HTMLElement;
  scrollbar: HTMLElement;
  find: HTMLElement;
  status: HTMLElement;
  messages: HTMLElement;
  dialog: HTMLElement;
  /** The file's first lines as the server wrote them into the page, until the editor shows them. */
  firstScreen: HTMLElement | null;
}

function elements(root: Document): Elements {
  const get = (id: string) => {
    const element = root.getElementById(id);
    if (!element) throw new Error(`the page lacks #${id}`);
    return element;
  };
  return {
    editor: get("editor"),
    scrollbar: get("scrollbar"),
    find: get("find"),
    status: get("status-cells"),
    messages: get("messages"),
    dialog: get("dialog"),
    firstScreen: root.querySelector<HTMLElement>("#editor > .gp-first-screen"),
  };
}

export class App {
  private readonly connection: Connection;
  private readonly ui: Elements;
  private editor: WindowEditor | null = null;
  private scrollbar: VirtualScrollbar | null = null;
  private find: FindPanel | null = null;
  private filterView: FilterView | null = null;
  private menu: ContextMenu | null = null;
  private readonly status: StatusBar;
  private readonly saves: SaveFlow;
  /** A running replace-all's progress for the status bar, or null. */
  private replaceProgress: string | null = null;
  private hadConnection = false;
  private connectionBanner: HTMLElement | null = null;
  /** Reopen/Save with Encoding, a replaced file read anew, and the banner about the file on disk. */
  private readonly anew: ReadAnew;

  constructor(transport: Transport, platform: Platform, root: Document = document) {
    this.ui = elements(root);
    this.connection = new Connection(transport);
    this.status = new StatusBar(
      this.ui.status,
      () => this.statusFacts(),
      platform.documentState?.bind(platform),
      () => this.scrollbar?.update(),
    );
    this.saves = new SaveFlow({
      connection: this.connection,
      editor: () => this.editor,
      filterView: () => this.filterView,
      chooseSavePath: (path) => platform.chooseSavePath(path),
      prompt: (title, hint, value) => this.prompt(title, hint, value),
      say: (text, kind, actions) => this.message(text, kind, actions),
      progressed: () => this.scheduleStatus(),
      fileWritten: () => this.anew.fileWritten(),
    });
    this.anew = new ReadAnew({
      connection: this.connection,
      editor: () => this.editor,
      find: () => this.find,
      filterView: () => this.filterView,
      say: (text, kind, actions) => this.message(text, kind, actions),
      saveAs: () => this.run("saveAs"),
      changed: () => this.scheduleStatus(),
    });
    this.connection.onStatus((status, reason) => this.connectionStatus(status, reason));
    this.connection.onEvent((event) => this.hostEvent(event));
    platform.onCommand?.((command) => {
      if ((EDITOR_COMMANDS as readonly string[]).includes(command)) this.run(command as EditorCommand);
    });
    root.defaultView?.addEventListener("keydown", (event) => this.pageKey(event), true);
  }

  start(): void {
    this.connection.connect();
  }

  /** Runs a command by id (keys and menus). */
  run(command: EditorCommand): boolean {
    const editor = this.editor;
    if (!editor) return false;
    switch (command) {
      case "find":
        this.find?.open();
        return true;
      case "replace":
        this.find?.openReplace();
        return true;
      case "filter":
        this.toggleFilter();
        return true;
      case "help":
        this.showHelp();
        return true;
      case "findNext":
        void this.find?.next("forward");
        return true;
      case "findPrevious":
        void this.find?.next("backward");
        return true;
      case "goToLine":
        void this.goToLine();
        return true;
      case "goToStart":
        return editor.goToStart();
      case "goToEnd":
        return editor.goToEnd();
      case "follow":
        this.setFollow(editor.follow === "on" ? "off" : "on");
        return true;
      case "save":
        void this.saves.save();
        return true;
      case "saveAs":
        void this.saves.saveAs();
        return true;
      case "undo":
        return editor.undoRedo("undo");
      case "redo":
        return editor.undoRedo("redo");
      case "selectAll":
        return editor.selectAll();
      case "toggleWrap":
        editor.setWrap(!editor.wrap);
        rememberWrap(editor.info.path, editor.wrap);
        return true;
    }
  }

  /** Keys of the editor itself (while it has focus). */
  private keys(): KeyBinding[] {
    return [
      {
        key: "Escape",
        run: () => {
          if (!this.find?.isOpen) return false;
          this.find.escape();
          return true;
        },
      },
    ];
  }

  /**
   * Keys of the page, wherever the focus is (the editor, the find box): find, go to, save. The
   * desktop app's menus show the same shortcuts and leave the keys to the page.
   */
  private pageKey(event: KeyboardEvent): void {
    const command = pageShortcut(event, isMac());
    if (!command || !this.editor) return;
    event.preventDefault();
    event.stopPropagation();
    this.run(command);
  }

  // ----- connection ------------------------------------------------------------------------------

  private async connectionStatus(status: string, reason: string): Promise<void> {
    if (status === "open") {
      performance.mark("gigapad-connected");
      let info: DocumentInfo;
      // The first window is asked for with the hello, not after it: one round trip, not two.
      const firstWindow = this.editor
        ? null
        : this.connection.request("window", quickWindowRequest({ byte: 0 }));
      firstWindow?.catch(() => {});
      try {
        info = await this.connection.request("hello", { protocol: PROTOCOL_VERSION });
        performance.mark("gigapad-hello");
      } catch (error) {
        this.message(error instanceof Error ? error.message : String(error), "error");
        return;
      }
      this.connectionBanner?.remove();
      this.connectionBanner = null;
      if (!this.editor) {
        this.opened(info, firstWindow!);
      } else {
        // Back after a drop: the engine is the truth; show what it has where we were.
        useByteCounting(info.counting);
        this.editor.setInfo(info);
        this.editor.connectionChanged();
        const editor = this.editor;
        const cursor = Math.min(editor.cursorByte(), info.length);
        void editor.show({ byte: cursor }, { align: "center", cursor });
        this.message("Reconnected to the Gigapad engine", "info");
      }
      this.hadConnection = true;
      return;
    }
    if (status === "closed") {
      this.editor?.connectionChanged();
      if (!this.connectionBanner) {
        const sentence = reason.replace(/\.$/, "");
        this.connectionBanner = this.message(
          !this.connection.canReconnect
            ? reason
            : this.hadConnection
              ? `Lost the connection: ${sentence}. Your committed edits are safe in the session; reconnecting…`
              : `Cannot connect: ${sentence}. Retrying…`,
          "error",
        );
      }
      this.scheduleStatus();
      if (this.connection.canReconnect) setTimeout(() => this.connection.connect(), RECONNECT_MS);
    }
  }

  private opened(info: DocumentInfo, firstWindow: Promise<DocumentWindow>): void {
    performance.mark("gigapad-opening");
    useByteCounting(info.counting);
    const editor = new WindowEditor(
      this.ui.editor,
      this.connection,
      info,
      {
        changed: () => this.scheduleStatus(),
        message: (text, kind, actions) => this.message(text, kind, actions),
      },
      this.keys(),
    );
    performance.mark("gigapad-editor-created");
    this.editor = editor;
    if (recallWrap(info.path)) editor.setWrap(true);
    editor.onAppended = (bytes) => this.appended(bytes);
    // The follow cell of the status bar is its toggle.
    this.ui.status.addEventListener("click", (event) => {
      const cell = event.target as HTMLElement;
      if (cell.dataset?.cell === "follow") this.run("follow");
      if (cell.dataset?.cell === "encoding" && this.menu) {
        showEncodingMenu(this.menu, cell, editor.info, {
          reopen: (encoding) => void this.anew.reopenWithEncoding(encoding),
          save: (encoding) => void this.anew.saveWithEncoding(encoding, { force: false }),
        });
      }
    });
    this.pauseFollowOnScrollUp(editor);
    // For tests and the curious: the page's editor, from the devtools console.
    (window as unknown as { gigapad: unknown }).gigapad = { app: this, editor };
    this.scrollbar = new VirtualScrollbar(this.ui.scrollbar, editor);
    this.find = new FindPanel(
      this.ui.find,
      editor,
      this.connection,
      (text) => this.message(text, "info"),
      (text) => {
        this.replaceProgress = text;
        this.scheduleStatus();
      },
    );
    editor.onWindowChanged = () => this.find?.highlight();
    this.filterView = new FilterView(
      this.ui.editor.parentElement!,
      this.connection,
      {
        open: (line) => void this.leaveFilter(line),
        leave: () => void this.leaveFilter(null),
        changed: () => {
          this.filterButtons();
          this.scheduleStatus();
        },
        message: (text, kind) => this.message(text, kind),
      },
      FILTER_IDS,
    );
    this.find.onQueryChanged = (query) => {
      if (this.filterView?.active && query) void this.filterView.refilter(query);
    };
    this.ui.find.querySelector(".gp-find-filter")!.addEventListener("click", () => this.toggleFilter());
    this.menu = new ContextMenu(document.body);
    editor.view.contentDOM.addEventListener("contextmenu", (event) => this.contextMenu(event));
    document.querySelector("#status .gp-help-button")?.addEventListener("click", () => this.showHelp());
    this.ui.find
      .querySelector(".gp-filter-save")!
      .addEventListener("click", () => void this.saves.saveMatchingLines());
    editor.view.scrollDOM.addEventListener("scroll", () => this.scrollbar?.update(), { passive: true });
    new ResizeObserver(() => this.scrollbar?.update()).observe(this.ui.scrollbar);
    if (info.recovered)
      this.message(`${info.recovered}. They are not in the file yet: Save writes them.`, "info");
    if (info.setAside) this.message(info.setAside, "error");
    if (info.readOnlyReason) this.message(`Read-only: ${info.readOnlyReason}`, "error");
    else if (info.canSave === false)
      this.message(
        "Read-only file: you may not write it. Edits stay in the session; Save As writes a copy.",
        "info",
      );
    if (info.diskState !== "unchanged")
      this.anew.fileChangedBanner(info.diskState === "deleted" ? "deleted" : "modified", "");
    void editor.show({ byte: 0 }, { align: "start", cursor: 0 }, firstWindow).then(() => {
      performance.mark("gigapad-first-window");
      // The editor draws the same lines in this frame (or says why it cannot): the page's first
      // screen has done its job.
      this.ui.firstScreen?.remove();
      document.body.dataset.ready = "true";
      editor.view.focus();
      if (info.follow) this.setFollow("on");
      // When the editor's lines reach the screen: after the next frame is drawn. The first lines
      // were there before, at the page's first contentful paint, if it came with its first
      // screen. (Benchmarks read both marks.)
      const cameWithFirstScreen = this.ui.firstScreen !== null;
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark("gigapad-editor-painted");
          if (!cameWithFirstScreen) {
            performance.mark("gigapad-first-line-painted");
            return;
          }
          // The paint entry may reach the timeline late on a busy machine: wait for it.
          new PerformanceObserver((list, observer) => {
            const contentful = list.getEntriesByName("first-contentful-paint")[0];
            if (!contentful) return;
            observer.disconnect();
            performance.mark("gigapad-first-line-painted", { startTime: contentful.startTime });
          }).observe({ type: "paint", buffered: true });
        }),
      );
    });
    this.scheduleStatus();
  }

  private hostEvent(event: HostEvent): void {
    switch (event.event) {
      case "saveProgress":
        this.saves.saveProgress(event.bytesDone, event.bytesTotal);
        break;
      case "changed":
        this.find?.documentChanged();
        break;
      case "fileChanged":
        this.anew.fileChangedBanner(event.reason, event.message);
        break;
      case "safety":
        if (event.safety === "commit failed") {
          this.message(
            `Edits can no longer be kept safe (${event.message ?? "the disk refused"}). The document is now ` +
              "read-only; everything up to the last commit is kept. Free some space, then reopen the file.",
            "error",
          );
        }
        break;
      case "error":
        this.message(event.message, "error");
        break;
      case "reopened":
        this.anew.reopened(event.info);
        break;
      default:
        break;
    }
    this.scheduleStatus();
  }

  // ----- go to -------------------------------------------------------------------------------------

  private async goToLine(): Promise<void> {
    const editor = this.editor!;
    const info = editor.info;
    const lines =
      info.lineCount !== null ? `1–${formatCount(info.lineCount)}` : "line numbers come with the index";
    const input = await this.prompt(
      "Go to",
      `A line (${lines}), +bytes (e.g. +1.5G) or a percentage (50%)`,
      "",
    );
    if (input === null) return;
    const target = parseGoTo(input, info.length, info.lineCount);
    if ("error" in target) {
      this.message(target.error, "error");
      return;
    }
    // A line far into a file whose line index is still being built waits for the index: say so
    // if it takes a moment.
    const waiting = setTimeout(() => {
      if (!("line" in target.anchor) || editor.info.lineCount !== null) return;
      const { bytesDone, bytesTotal } = editor.info.indexProgress;
      const percent = Math.floor((100 * bytesDone) / Math.max(1, bytesTotal));
      this.message(
        `Going to ${target.description} once the line index is built (${percent}% so far)…`,
        "info",
      );
    }, 300);
    const shown = await editor.show(target.anchor, { align: "center" });
    clearTimeout(waiting);
    if (shown && "byte" in target.anchor) {
      const byte = target.anchor.byte;
      await editor.show({ byte }, { align: "center", cursor: byte });
    }
    editor.view.focus();
  }

  // ----- following a growing file --------------------------------------------------------------------

  /** Follow mode on (the end stays in view as the file grows), paused, or off. */
  private setFollow(state: "off" | "on" | "paused"): void {
    const editor = this.editor!;
    editor.follow = state;
    if (state === "on") editor.goToEnd();
    this.scheduleStatus();
  }

  /** Scrolling up (wheel, keys, the scrollbar) pauses following; Ctrl+End takes it up again. */
  private pauseFollowOnScrollUp(editor: WindowEditor): void {
    const pause = () => {
      if (editor.follow === "on") this.setFollow("paused");
    };
    editor.view.scrollDOM.addEventListener("wheel", (event) => event.deltaY < 0 && pause(), {
      passive: true,
    });
    this.ui.scrollbar.addEventListener("pointerdown", pause);
    editor.view.contentDOM.addEventListener("keydown", (event) => {
      const mod = event.ctrlKey || event.metaKey;
      if (["ArrowUp", "PageUp"].includes(event.key) || (mod && event.key === "Home")) pause();
    });
  }

  private appendedNote: { bytes: number; timer: number } | null = null;

  /** Another program appended: said quietly (once a couple of seconds), unless following. */
  private appended(bytes: number): void {
    this.scheduleStatus();
    if (this.editor?.follow === "on") return;
    if (this.appendedNote) {
      this.appendedNote.bytes += bytes;
      return;
    }
    this.appendedNote = {
      bytes,
      timer: window.setTimeout(() => {
        const total = this.appendedNote?.bytes ?? bytes;
        this.appendedNote = null;
        this.message(
          `${formatBytes(total)} appended to ${this.editor?.info.name ?? "the file"} by another program` +
            ` — ${isMac() ? "Cmd" : "Ctrl"}+Shift+F follows it`,
          "info",
        );
      }, 1500),
    };
  }

  // ----- help and the context menu -------------------------------------------------------------------

  /** F1: the keys, in a sheet that any key or click closes. */
  private showHelp(): void {
    const dialog = this.ui.dialog;
    if (!dialog.hidden && dialog.dataset.kind === "help") {
      this.closeDialog();
      return;
    }
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    const title = document.createElement("th");
    title.colSpan = 2;
    title.textContent = "Keys";
    head.append(title);
    const body = table.createTBody();
    for (const row of keyHelpFor(isMac())) {
      const tr = body.insertRow();
      tr.insertCell().textContent = row.keys;
      tr.insertCell().textContent = row.does;
    }
    dialog.replaceChildren(table);
    dialog.dataset.kind = "help";
    dialog.hidden = false;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent && event.key === "F1") return; // F1 toggles it
      this.closeDialog();
    };
    // At once (a click right after the sheet appears closes it); the F1 that opened it is let
    // through by close() above.
    document.addEventListener("keydown", close, { capture: true });
    document.addEventListener("pointerdown", close, { capture: true });
    this.dialogCleanup = () => {
      document.removeEventListener("keydown", close, { capture: true });
      document.removeEventListener("pointerdown", close, { capture: true });
    };
  }

  private dialogCleanup: (() => void) | null = null;

  private closeDialog(): void {
    this.dialogCleanup?.();
    this.dialogCleanup = null;
    this.ui.dialog.hidden = true;
    this.ui.dialog.replaceChildren();
    delete this.ui.dialog.dataset.kind;
    this.editor?.view.focus();
  }

  /** Right-click in the text: the editor's own menu. */
  private contextMenu(event: MouseEvent): void {
    const editor = this.editor;
    if (!editor || !this.menu) return;
    event.preventDefault();
    const mod = isMac() ? "Cmd" : "Ctrl";
    const selection = editor.view.state.selection.main;
    const hasSelection = !selection.empty || editor.wideSelection !== null;
    const writable = !editor.info.readOnly;
    this.menu.show(event.clientX, event.clientY, [
      {
        label: "Cut",
        keys: `${mod}+X`,
        enabled: hasSelection && writable,
        run: () => {
          editor.view.focus();
          document.execCommand("cut");
        },
      },
      {
        label: "Copy",
        keys: `${mod}+C`,
        enabled: hasSelection,
        run: () => {
          editor.view.focus();
          document.execCommand("copy");
        },
      },
      {
        label: "Paste",
        keys: `${mod}+V`,
        enabled: writable,
        run: () => void this.paste(),
      },
      {
        label: "Find the selection",
        keys: `${mod}+F`,
        enabled: hasSelection && editor.wideSelection === null,
        run: () => {
          this.find?.open();
          void this.find?.next("forward");
        },
      },
      { label: "Go to line…", keys: `${mod}+G`, run: () => void this.goToLine() },
      { label: "Keyboard shortcuts", keys: "F1", run: () => this.showHelp() },
    ]);
  }

  /** Paste from the menu: the clipboard's text, typed over the selection (as Ctrl+V would). */
  private async paste(): Promise<void> {
    const editor = this.editor!;
    editor.view.focus();
    try {
      const text = await navigator.clipboard.readText();
      editor.view.dispatch(editor.view.state.replaceSelection(text.replace(/\r\n/g, "\n")), {
        userEvent: "input.paste",
        scrollIntoView: true,
      });
    } catch (error) {
      this.message(
        `The browser did not let the page read the clipboard (${error instanceof Error ? error.message : String(error)}): use ${isMac() ? "Cmd" : "Ctrl"}+V`,
        "error",
      );
    }
  }

  // ----- the filter view ---------------------------------------------------------------------------

  /** Ctrl+Shift+L: only the lines matching the find box, or back to the full view where it was. */
  private toggleFilter(): void {
    const editor = this.editor;
    const filter = this.filterView;
    if (!editor || !filter) return;
    if (filter.active) {
      void this.leaveFilter(null);
      return;
    }
    const query = this.find?.query() ?? null;
    if (!this.find?.isOpen || !query) {
      this.find?.open();
      this.message("Type what the lines must contain, then press Ctrl+Shift+L (or Lines)", "info");
      return;
    }
    const near = editor.cursorLine().line ?? 0;
    const lines = editor.info.lineCount ?? near + 1;
    void filter.show(query, near, lines, editor.view.defaultLineHeight);
    this.filterButtons();
    this.scheduleStatus();
  }

  /** Back to the full view: at document line `line` (Enter on a row), or where it was. */
  private async leaveFilter(line: number | null): Promise<void> {
    const editor = this.editor!;
    this.filterView?.hide();
    this.filterButtons();
    editor.view.focus();
    if (line !== null) await editor.show({ line }, { align: "center" });
    editor.view.focus();
  }

  private filterButtons(): void {
    const active = this.filterView?.active ?? false;
    this.ui.find.querySelector(".gp-find-filter")?.setAttribute("aria-pressed", String(active));
    (this.ui.find.querySelector(".gp-filter-save") as HTMLElement).hidden = !active;
  }

  // ----- status and messages ----------------------------------------------------------------------

  private scheduleStatus(): void {
    this.status.schedule();
  }

  /** What the status bar shows, once there is an editor. */
  private statusFacts(): StatusFacts | null {
    const editor = this.editor;
    if (!editor) return null;
    const { line, column } = editor.cursorLine();
    return {
      info: editor.info,
      line,
      column,
      selection: editor.selectionBytes(),
      filter: this.filterView?.active ? this.filterView.summary : null,
      wrap: editor.wrap,
      follow: editor.follow,
      saving: this.saves.progress,
      replacing: this.replaceProgress,
      connected: this.connection.status === "open",
    };
  }

  /** Shows a message; "info" fades after a while, "error" stays until dismissed. Returns it. */
  message(text: string, kind: "info" | "error", actions: { label: string; run(): void }[] = []): HTMLElement {
    const item = document.createElement("div");
    item.className = `gp-message gp-${kind}`;
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    const span = document.createElement("span");
    span.textContent = text;
    item.append(span);
    for (const action of actions) {
      const button = document.createElement("button");
      button.textContent = action.label;
      button.addEventListener("click", () => {
        item.remove();
        action.run();
      });
      item.append(button);
    }
    const close = document.createElement("button");
    close.className = "gp-dismiss";
    close.textContent = "×";
    close.title = "Dismiss";
    close.addEventListener("click", () => item.remove());
    item.append(close);
    this.ui.messages.append(item);
    if (kind === "info") setTimeout(() => item.remove(), INFO_MESSAGE_MS);
    return item;
  }

  /** A small modal asking for one line of text; null if cancelled. */
  prompt(title: string, hint: string, value: string): Promise<string | null> {
    const dialog = this.ui.dialog;
    return new Promise((resolve) => {
      const form = document.createElement("form");
      const label = document.createElement("label");
      label.textContent = title;
      const input = document.createElement("input");
      input.value = value;
      input.setAttribute("aria-label", title);
      input.spellcheck = false;
      const small = document.createElement("small");
      small.textContent = hint;
      label.append(input);
      form.append(label, small);
      dialog.replaceChildren(form);
      dialog.hidden = false;
      input.focus();
      input.select();
      const finish = (result: string | null) => {
        dialog.hidden = true;
        dialog.replaceChildren();
        resolve(result);
        if (result === null) this.editor?.view.focus();
      };
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        finish(input.value);
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          finish(null);
        }
      });
      input.addEventListener("blur", () => setTimeout(() => !dialog.hidden && finish(null), 150));
    });
  }
}
