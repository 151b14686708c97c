/**
 * Ctrl+O (Cmd+O) in `gigapad serve`: the files of the served file's folder tree (the folder of
 * FILE, or its --root), with their sizes and times; typing filters them, ↑/↓ choose, Enter or a
 * click opens a file in a new tab (one document per tab, at `/?file=PATH`) or a folder in the
 * list, Backspace in an empty filter goes up, Escape closes. A file that cannot be opened says
 * why in the list. The desktop app has its own File › Open… and never loads this.
 *
 * Also the page's route to its document: the socket names the tab's file (`/ws?file=PATH`), and
 * when Save As moves the document the tab's URL follows it, so a reload or a reconnection finds
 * the document where it went.
 */
import { formatBytes } from "../presentation/format-bytes.js";
import type { HostMessage, Request } from "../protocol/messages.js";
import { type Transport, type TransportHandlers, WebSocketTransport } from "./connection.js";
import { isMac } from "./platform.js";

interface Entry {
  name: string;
  path: string;
  kind: "file" | "folder";
  size: number | null;
  modified: number | null;
  error: string | null;
}

interface Listing {
  root: string;
  dir: string;
  parent: string | null;
  entries: Entry[];
  omitted: number;
}

/** A row of the list: an entry, or the way up. */
type Row = Entry | { name: ".."; path: string; kind: "up"; size: null; modified: null; error: null };

/** The file this tab shows (`?file=`), or null for the served file itself. */
export function servedFile(): string | null {
  const file = new URLSearchParams(location.search).get("file");
  return file === null || file === "" ? null : file;
}

/** The WebSocket URL of this tab's document. */
export function socketUrl(): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const file = servedFile();
  return `${scheme}://${location.host}/ws${file === null ? "" : `?file=${encodeURIComponent(file)}`}`;
}

/** An error reply of /files: its sentence. */
async function failure(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/**
 * The WebSocket to this tab's document, connected afresh each time to the URL the tab has then:
 * after a Save As the tab's URL names the new file (the server still has the document there).
 */
export class RoutedTransport implements Transport {
  readonly canReconnect = true;
  private inner: WebSocketTransport | null = null;

  constructor(private early: WebSocket | null) {}

  connect(handlers: TransportHandlers): void {
    const inner = new WebSocketTransport(socketUrl(), this.early);
    this.early = null;
    this.inner = inner;
    inner.connect({
      ...handlers,
      message: (message: HostMessage) => {
        if ("event" in message && message.event === "saved") void this.moved(message.path);
        handlers.message(message);
      },
    });
  }

  send(request: Request): void {
    this.inner?.send(request);
  }

  /** The document was saved to `path`: the tab's URL names it there from now on. */
  private async moved(path: string): Promise<void> {
    if (servedFile() === null) return; // the served file's tab stays `/`, wherever it saves
    try {
      const response = await fetch(`/files/open?file=${encodeURIComponent(path)}`);
      if (!response.ok) return;
      const { url } = (await response.json()) as { url: string };
      if (`${location.pathname}${location.search}` !== url) history.replaceState(null, "", url);
    } catch {
      // unreachable now: the URL stays; the server keeps the document while it is open
    }
  }
}

/** Local date and time to the minute: 2026-12-04 07:35. */
function formatTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}`
  );
}

const STYLE = `
.gp-open { position: fixed; top: 48px; left: 50%; transform: translateX(-50%); z-index: 25;
  width: min(760px, 94vw); max-height: calc(100vh - 96px); display: flex; flex-direction: column;
  background: var(--panel-bg); color: var(--fg); border: 1px solid var(--border); border-radius: 8px;
  box-shadow: 0 6px 24px rgba(0, 0, 0, 0.25); font: 13px var(--ui); }
.gp-open[hidden] { display: none; }
.gp-open-head { display: flex; align-items: baseline; gap: 8px; padding: 10px 12px 6px; }
.gp-open-title { font-weight: 600; }
.gp-open-where { font: 12px var(--mono); color: var(--muted); overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; direction: rtl; text-align: left; flex: 1; }
.gp-open-filter { margin: 0 12px 8px; font: 14px var(--mono); padding: 5px 8px; color: var(--fg);
  background: var(--bg); border: 1px solid var(--cursor); border-radius: 4px; outline: none; }
.gp-open-list { overflow-y: auto; border-top: 1px solid var(--border); }
.gp-open-row { display: grid; grid-template-columns: minmax(0, 1fr) 90px 130px; gap: 12px;
  padding: 3px 12px; cursor: pointer; align-items: baseline; }
.gp-open-row[aria-selected="true"] { background: var(--selection); }
.gp-open-name { font-family: var(--mono); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.gp-open-row[data-kind="folder"] .gp-open-name, .gp-open-row[data-kind="up"] .gp-open-name { font-weight: 600; }
.gp-open-size, .gp-open-time { color: var(--muted); text-align: right; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.gp-open-row[data-error] { cursor: default; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); }
.gp-open-row[data-error] .gp-open-name { color: var(--muted); }
.gp-open-why { color: var(--special-fg); text-align: right; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.gp-open-note { padding: 6px 12px 8px; color: var(--muted); border-top: 1px solid var(--border); }
.gp-open-note[data-kind="error"] { color: var(--error-fg); background: var(--error-bg); }
.gp-open-note a { color: var(--cursor); }
`;

/**
 * The list Ctrl+O shows, and the Save As of `gigapad serve`: the same list of a folder of the tree,
 * its filter field then being the name to save as (a click on a file takes its name; a folder
 * opens; Enter saves; an existing file is replaced only after the page asked).
 */
export class OpenDialog {
  private mode: "open" | "save" = "open";
  /** Save As waiting for a name: resolves with the absolute path chosen, or null. */
  private saving: ((path: string | null) => void) | null = null;
  private readonly title: HTMLElement;
  private readonly element: HTMLElement;
  private readonly where: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly note: HTMLElement;
  private listing: Listing | null = null;
  private rows: Row[] = [];
  private selected = 0;
  private returnFocus: Element | null = null;
  /** Loads in flight: only the newest one shows. */
  private loads = 0;

  constructor(private readonly root: Document = document) {
    const style = root.createElement("style");
    const nonce = root.querySelector<HTMLMetaElement>('meta[name="gigapad-style-nonce"]')?.content;
    if (nonce) style.nonce = nonce;
    style.textContent = STYLE;
    root.head.append(style);
    const element = root.createElement("div");
    element.className = "gp-open";
    element.hidden = true;
    element.setAttribute("role", "dialog");
    element.setAttribute("aria-label", "Open a file");
    const head = root.createElement("div");
    head.className = "gp-open-head";
    const title = root.createElement("span");
    title.className = "gp-open-title";
    title.textContent = "Open";
    this.title = title;
    this.where = root.createElement("span");
    this.where.className = "gp-open-where";
    head.append(title, this.where);
    this.filter = root.createElement("input");
    this.filter.className = "gp-open-filter";
    this.filter.type = "text";
    this.filter.spellcheck = false;
    this.filter.placeholder = "Type to filter · Enter opens in a new tab · Backspace goes up";
    this.filter.setAttribute("aria-label", "Filter the files");
    this.list = root.createElement("div");
    this.list.className = "gp-open-list";
    this.list.setAttribute("role", "listbox");
    this.note = root.createElement("div");
    this.note.className = "gp-open-note";
    element.append(head, this.filter, this.list, this.note);
    root.body.append(element);
    this.element = element;
    this.filter.addEventListener("input", () => {
      if (this.mode === "save") return; // the name being typed does not filter the folder
      this.selected = 0;
      this.render();
    });
    this.filter.addEventListener("keydown", (event) => this.key(event));
    // The filter keeps the focus (and its keys: Backspace goes up, Escape closes) through clicks.
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>(".gp-open-row");
      if (!row) return;
      this.selected = Number(row.dataset.index);
      this.render();
      void this.activate("click");
    });
    root.addEventListener("pointerdown", (event) => {
      if (!this.element.hidden && !this.element.contains(event.target as Node)) this.close();
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /**
   * Save As: the list of the document's folder and its name to change. Resolves with the absolute
   * path to save to (inside the served tree), or null if cancelled.
   */
  chooseSavePath(currentPath: string): Promise<string | null> {
    this.close();
    this.mode = "save";
    this.title.textContent = "Save as";
    this.element.setAttribute("aria-label", "Save as");
    this.filter.placeholder = "Name to save as · a click on a file takes its name · Enter saves";
    this.filter.setAttribute("aria-label", "Name to save as");
    const name = currentPath.slice(currentPath.lastIndexOf("/") + 1);
    const chosen = new Promise<string | null>((resolve) => {
      this.saving = resolve;
    });
    this.returnFocus = this.root.activeElement;
    this.element.hidden = false;
    this.filter.value = name;
    this.filter.focus();
    // The name without its extension is what one changes: select it.
    const dot = name.lastIndexOf(".");
    this.filter.setSelectionRange(0, dot > 0 ? dot : name.length);
    const near = servedFile() ?? "";
    void this.load(
      this.listing ? `dir=${encodeURIComponent(this.listing.dir)}` : `near=${encodeURIComponent(near)}`,
    );
    return chosen;
  }

  /** Shows the list of the tab's file's folder (or the folder shown last). */
  async open(): Promise<void> {
    if (this.isOpen && this.mode === "open") {
      this.filter.focus();
      return;
    }
    this.close();
    this.mode = "open";
    this.title.textContent = "Open";
    this.element.setAttribute("aria-label", "Open a file");
    this.filter.placeholder = "Type to filter · Enter opens in a new tab · Backspace goes up";
    this.filter.setAttribute("aria-label", "Filter the files");
    this.returnFocus = this.root.activeElement;
    this.element.hidden = false;
    this.filter.value = "";
    this.filter.focus();
    const near = servedFile() ?? "";
    await this.load(
      this.listing ? `dir=${encodeURIComponent(this.listing.dir)}` : `near=${encodeURIComponent(near)}`,
    );
  }

  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    this.saving?.(null);
    this.saving = null;
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }

  private async load(query: string): Promise<void> {
    const load = ++this.loads;
    this.say("Listing…");
    let listing: Listing;
    try {
      const response = await fetch(`/files?${query}`);
      if (!response.ok) {
        if (load === this.loads) this.say(`Cannot list the folder: ${await failure(response)}`, "error");
        return;
      }
      listing = (await response.json()) as Listing;
    } catch (error) {
      if (load === this.loads) this.say(`Cannot reach gigapad serve: ${(error as Error).message}`, "error");
      return;
    }
    if (load !== this.loads) return;
    this.listing = listing;
    this.selected = 0;
    this.where.textContent = listing.dir === "" ? `${listing.root}/` : `${listing.root}/${listing.dir}/`;
    this.where.title = this.where.textContent;
    this.render();
  }

  /** The rows the filter lets through: every word typed, in the name, in any case. */
  private visible(): Row[] {
    const listing = this.listing;
    if (!listing) return [];
    const words = this.mode === "save" ? [] : this.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const entries = listing.entries.filter((entry) =>
      words.every((word) => entry.name.toLowerCase().includes(word)),
    );
    const up: Row[] =
      listing.parent !== null && words.length === 0
        ? [{ name: "..", path: listing.parent, kind: "up", size: null, modified: null, error: null }]
        : [];
    return [...up, ...entries];
  }

  private render(): void {
    const rows = this.visible();
    this.rows = rows;
    this.selected = Math.max(0, Math.min(this.selected, rows.length - 1));
    const items = rows.map((row, index) => {
      const item = this.root.createElement("div");
      item.className = "gp-open-row";
      item.setAttribute("role", "option");
      item.dataset.index = String(index);
      item.dataset.kind = row.kind;
      item.dataset.path = row.path;
      item.setAttribute("aria-selected", String(index === this.selected));
      const name = this.root.createElement("span");
      name.className = "gp-open-name";
      name.textContent = row.kind === "file" ? row.name : `${row.name}/`;
      name.title = row.name;
      item.append(name);
      if (row.error !== null) {
        item.dataset.error = row.error;
        const why = this.root.createElement("span");
        why.className = "gp-open-why";
        why.textContent = row.error;
        why.title = row.error;
        item.append(why);
      } else {
        const size = this.root.createElement("span");
        size.className = "gp-open-size";
        size.textContent = row.size === null ? "" : formatBytes(row.size);
        const time = this.root.createElement("span");
        time.className = "gp-open-time";
        time.textContent = row.modified === null ? "" : formatTime(row.modified);
        item.append(size, time);
      }
      return item;
    });
    this.list.replaceChildren(...items);
    items[this.selected]?.scrollIntoView({ block: "nearest" });
    const listing = this.listing;
    if (!listing) return;
    const files = rows.filter((row) => row.kind !== "up").length;
    const shown =
      this.mode === "save"
        ? `${files} entr${files === 1 ? "y" : "ies"} · Enter saves here under the name above`
        : this.filter.value.trim() === ""
          ? `${files} entr${files === 1 ? "y" : "ies"}`
          : `${files} of ${listing.entries.length} match “${this.filter.value.trim()}”`;
    this.say(listing.omitted > 0 ? `${shown} (${listing.omitted} more not listed)` : shown);
  }

  private key(event: KeyboardEvent): void {
    const move = (by: number) => {
      event.preventDefault();
      this.selected = Math.max(0, Math.min(this.rows.length - 1, this.selected + by));
      this.render();
    };
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    const by = moves[event.key];
    if (by !== undefined) {
      move(by);
      // Save As: moving onto a file takes its name (to save over it, after the page asks).
      const row = this.rows[this.selected];
      if (this.mode === "save" && row?.kind === "file" && row.error === null) this.filter.value = row.name;
      return;
    }
    switch (event.key) {
      case "Enter":
        event.preventDefault();
        void this.activate("enter");
        return;
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        this.close();
        return;
      case "Backspace":
        if (this.filter.value === "" && this.listing?.parent != null && this.mode === "open") {
          event.preventDefault();
          void this.load(`dir=${encodeURIComponent(this.listing.parent)}`);
        }
        return;
    }
  }

  /** Save As: the name typed, in the folder shown, as an absolute path. */
  private finishSave(): void {
    const listing = this.listing;
    const name = this.filter.value.trim();
    if (!listing || name === "") {
      this.say("Type a name to save as", "error");
      return;
    }
    const folder = listing.dir === "" ? listing.root : `${listing.root}/${listing.dir}`;
    const resolve = this.saving;
    this.saving = null;
    this.close();
    resolve?.(name.startsWith("/") ? name : `${folder}/${name}`);
  }

  /**
   * Enter or a click: a folder opens in the list, a file in a new tab (Save As: a click takes
   * its name, Enter saves under the name in the box).
   */
  private async activate(by: "click" | "enter"): Promise<void> {
    if (this.mode === "save" && by === "enter") {
      this.finishSave();
      return;
    }
    const row = this.rows[this.selected];
    if (!row) return;
    if (this.mode === "save" && row.kind === "file") {
      if (row.error === null) this.filter.value = row.name;
      this.filter.focus();
      return;
    }
    if (row.error !== null) {
      this.say(`${row.name} cannot be opened: ${row.error}`, "error");
      return;
    }
    if (row.kind !== "file") {
      this.filter.value = "";
      await this.load(`dir=${encodeURIComponent(row.path)}`);
      return;
    }
    this.say(`Opening ${row.name}…`);
    let url: string;
    try {
      const response = await fetch(`/files/open?file=${encodeURIComponent(row.path)}`);
      if (!response.ok) {
        this.say(`${row.name} cannot be opened: ${await failure(response)}`, "error");
        return;
      }
      url = ((await response.json()) as { url: string }).url;
    } catch (error) {
      this.say(`Cannot reach gigapad serve: ${(error as Error).message}`, "error");
      return;
    }
    const tab = window.open(url, "_blank");
    if (!tab) {
      // A browser that allows new tabs only in the click itself: a link is a click away.
      const link = this.root.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = `open ${row.name} in a new tab`;
      link.addEventListener("click", () => this.close());
      this.say("The browser kept the page from opening a tab: ", "error");
      this.note.append(link);
      return;
    }
    tab.opener = null;
    this.close();
  }

  private say(text: string, kind: "info" | "error" = "info"): void {
    this.note.textContent = text;
    this.note.dataset.kind = kind;
  }
}

/** Ctrl+O (Cmd+O on macOS) shows the list, wherever the focus is. */
export function installOpenDialog(root: Document = document): OpenDialog {
  const dialog = new OpenDialog(root);
  root.defaultView?.addEventListener(
    "keydown",
    (event) => {
      const mac = isMac();
      const mod = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
      if (!mod || event.shiftKey || event.altKey || event.key.toLowerCase() !== "o") return;
      event.preventDefault();
      event.stopPropagation();
      void dialog.open();
    },
    true,
  );
  return dialog;
}
