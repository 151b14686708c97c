/**
 * The documents one `gigapad serve` shows: the file it was started on (the page at `/`, open for
 * the server's whole life, its owner closes it) and the files pages open from its folder tree
 * with Ctrl+O (`/?file=PATH`), one HostedDocument per file, keyed by real path as the desktop
 * app's EngineHost keys them. Those open on the first request that names them and close
 * (committing: hot exit) once no socket has used them for `idleMs`, so a reload or a dropped
 * connection finds the document as it was, and a tab closed for good lets go of its file.
 */
import { fileKey } from "../host/file-key.js";
import { HostedDocument, type HostedDocumentOptions } from "../host/hosted-document.js";

/** A document no socket has used for this long is closed (default of `idleMs`). */
export const IDLE_CLOSE_MS = 30_000;

interface Entry {
  /** The key of the file it was opened as. */
  key: string;
  opening: Promise<HostedDocument>;
  document?: HostedDocument;
  /** Sockets attached now. */
  sockets: number;
  idle?: NodeJS.Timeout;
}

export class ServedDocuments {
  private readonly entries = new Set<Entry>();
  /** Documents being closed, by the key of the file they were at: a reopen waits for them. */
  private readonly closing = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    /** The file `serve` was started on. */
    readonly main: HostedDocument,
    private readonly options: HostedDocumentOptions,
    private readonly idleMs = IDLE_CLOSE_MS,
  ) {}

  /**
   * The document showing the file at `realPath` (the main one if that is its file now), opened
   * if none is. Throws what HostedDocument.open throws.
   */
  async open(realPath: string): Promise<HostedDocument> {
    if (this.stopped) throw new Error("gigapad serve is stopping");
    const key = fileKey(realPath);
    if (fileKey(this.main.doc.path) === key) return this.main;
    let entry = this.entryAt(key);
    if (!entry) {
      const created: Entry = { key, opening: this.openAfterClose(key), sockets: 0 };
      entry = created;
      this.entries.add(created);
      created.opening.then(
        (document) => {
          created.document = document;
        },
        () => this.entries.delete(created),
      );
    }
    const document = await entry.opening;
    // Asked for but not (yet) used by a socket: it goes if none comes.
    if (entry.sockets === 0) this.scheduleIdle(entry);
    return document;
  }

  /** A socket now uses `document`; the returned function says it is gone. */
  use(document: HostedDocument): () => void {
    const entry = this.entryOf(document);
    if (!entry) return () => {};
    entry.sockets++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = undefined;
    let gone = false;
    return () => {
      if (gone) return;
      gone = true;
      entry.sockets--;
      if (entry.sockets === 0) this.scheduleIdle(entry);
    };
  }

  /** Documents open besides the main one, by their paths now. */
  get openPaths(): string[] {
    return [...this.entries].flatMap((entry) => (entry.document ? [entry.document.doc.path] : []));
  }

  /** Commits and closes every document but the main one (its owner closes it). */
  async closeAll(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries];
    this.entries.clear();
    for (const entry of entries) if (entry.idle) clearTimeout(entry.idle);
    await Promise.allSettled([
      ...entries.map(async (entry) => (await entry.opening).close()),
      ...this.closing.values(),
    ]);
  }

  private async openAfterClose(key: string): Promise<HostedDocument> {
    // The same file closing still holds its session: open once it has let go.
    await this.closing.get(key);
    return HostedDocument.open(key, this.options);
  }

  /** The entry whose document is at `key` now (a Save As moves it), or that is opening `key`. */
  private entryAt(key: string): Entry | undefined {
    for (const entry of this.entries) {
      if (entry.document ? fileKey(entry.document.doc.path) === key : entry.key === key) return entry;
    }
    return undefined;
  }

  private entryOf(document: HostedDocument): Entry | undefined {
    for (const entry of this.entries) if (entry.document === document) return entry;
    return undefined;
  }

  private scheduleIdle(entry: Entry): void {
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = setTimeout(() => {
      entry.idle = undefined;
      if (entry.sockets === 0 && entry.document) this.close(entry, entry.document);
    }, this.idleMs);
    entry.idle.unref();
  }

  private close(entry: Entry, document: HostedDocument): void {
    this.entries.delete(entry);
    const key = fileKey(document.doc.path);
    const closed: Promise<void> = document
      .close()
      .catch(() => {})
      .then(() => {
        if (this.closing.get(key) === closed) this.closing.delete(key);
      });
    this.closing.set(key, closed);
  }
}
