/**
 * The parts that serve UIs one opened engine Document: reads, searches, edits, saves, filter
 * views, the watch on the file, autosave, and how its bytes are read as text. A HostedDocument
 * has one set at a time; reopening the file (another program replaced it, or another encoding
 * that counts lines another way) retires them and composes new ones over the new Document, while
 * the UIs' connections and the queue of changes stay (see hosted-document.ts).
 */
import { basename } from "node:path";
import type { Document, SaveProgress } from "../piece-table/index.js";
import type { DocumentInfo, DocumentWindow, HostEvent, Reply, Safety } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { Autosave, type AutosaveOptions } from "./autosave.js";
import type { ChangeQueue } from "./change-queue.js";
import type { Channel } from "./channel.js";
import { ChannelFilters } from "./channel-filters.js";
import { DiskChanges } from "./disk-changes.js";
import { DocumentEncoding } from "./document-encoding.js";
import { EditRequests } from "./edit-requests.js";
import { progressThrottle } from "./progress-throttle.js";
import { ReadRequests } from "./read-requests.js";
import { SaveRequests } from "./save-requests.js";
import { FIND_IN_RANGE_MS, SearchRequests } from "./search-requests.js";
import { textCodec } from "./text-codec.js";

/** Bytes at the start of the file used to guess its encoding and its line ending. */
export const SAMPLE_BYTES = 1024 * 1024;

/** What the parts need of the hosted document around them. */
export interface PartsHost {
  /** The queue changes run on; it outlives a set of parts. */
  readonly changes: ChangeQueue;
  broadcast(event: HostEvent): void;
  send(channel: Channel, message: Reply | HostEvent): void;
}

export interface PartsOptions {
  /** An encoding to read the text in, chosen by the user; else the document's own or a guess. */
  encoding?: string;
  autosave?: AutosaveOptions | false;
  diskCheckMs?: number;
  findInRangeMs?: number;
  /** Confine UIs' Save As to this folder tree. */
  saveAsRoot?: string | null;
}

export class DocumentParts {
  readonly reads: ReadRequests;
  readonly searches: SearchRequests;
  readonly edits: EditRequests;
  readonly saves: SaveRequests;
  /** Each UI's filter view (see channel-filters.ts). */
  readonly filters: ChannelFilters;
  readonly disk: DiskChanges;
  readonly autosave: Autosave | null;
  /** How the document's bytes are read as text (guessed on open; Reopen with Encoding changes it). */
  readonly encoding: DocumentEncoding;
  /** The line ending Enter inserts: the one most of the file's first MiB uses. */
  readonly newline: "\n" | "\r\n";
  /** Why the document is read-only, or null. */
  private readOnlyReason: string | null;
  private retired = false;

  constructor(
    readonly doc: Document,
    private readonly host: PartsHost,
    options: PartsOptions,
    readOnlyReason: string | null,
  ) {
    this.readOnlyReason = readOnlyReason ?? (doc.readOnly ? "opened read-only" : null);
    const sample = doc.length > 0 ? doc.read(0, Math.min(doc.length, SAMPLE_BYTES)) : Buffer.alloc(0);
    this.encoding = new DocumentEncoding(sample, doc.length > sample.length, doc.encoding);
    if (options.encoding !== undefined) this.encoding.choose(options.encoding);
    else if (doc.encoding !== null) this.keepOpenedEncoding(doc.encoding);
    const encoding = this.encoding;
    const codec = () => encoding.codec;
    const decode = (bytes: Buffer) => encoding.decode(bytes);
    // In UTF-16 the line ends are code units: counted in the sample's text.
    this.newline = doc.encoding?.startsWith("utf-16")
      ? newlineOf(Buffer.from(this.encoding.decode(sample), "utf8"))
      : newlineOf(sample);
    const { changes } = host;
    const broadcast = (event: HostEvent) => host.broadcast(event);
    const send = (channel: Channel, message: Reply | HostEvent) => host.send(channel, message);
    const flushAutosave = async () => {
      await this.autosave?.flush();
    };
    const lineCount = () => this.reads.lineCount();

    this.saves = new SaveRequests({
      doc,
      changes,
      whileDiskWatchPaused: (work) => this.disk.whilePaused(work),
      afterSave: () => {
        // A save makes the file the document's original: the index and the safety state start over.
        this.reads.watchIndex();
        this.disk.reportAfterSave();
      },
      flushAutosave,
      broadcast,
    });
    if (options.saveAsRoot !== undefined && options.saveAsRoot !== null)
      this.saves.confine(options.saveAsRoot);

    this.autosave = doc.readOnly || options.autosave === false ? null : new Autosave(doc, options.autosave);
    this.autosave?.on("state", (_state, error) => {
      if (error && !this.readOnlyReason) {
        this.readOnlyReason = `edits can no longer be kept safe: ${error.message}`;
      }
      broadcast({ event: "safety", safety: this.safety, message: error ? error.message : null });
    });
    this.reportProgress();
    this.reads = new ReadRequests({
      doc,
      newline: this.newline,
      version: () => changes.version,
      closed: () => changes.closed || this.retired,
      broadcast,
      decoder: () => (encoding.codec.encoding === "utf-8" ? null : decode),
      encoding: () => encoding.codec.encoding,
    });
    this.reads.watchIndex();
    this.disk = new DiskChanges(
      { doc, changes, reindex: () => this.reads.watchIndex(), lineCount, broadcast },
      options.diskCheckMs,
    );
    this.searches = new SearchRequests({
      doc,
      send,
      commitSoon: () => void this.autosave?.flush(),
      findInRangeMs: options.findInRangeMs ?? FIND_IN_RANGE_MS,
      codec,
    });
    this.edits = new EditRequests({
      doc,
      changes,
      codec,
      searchesOf: (channel) => this.searches.searchesOf(channel),
      flushAutosave,
      lineCount,
      send,
      broadcast,
    });
    this.filters = new ChannelFilters({
      doc,
      version: () => changes.version,
      searches: (channel) => this.searches.searchesOf(channel),
      send,
      saveAsRoot: () => this.saves.saveAsRoot,
      newline: () => this.newline,
      codec,
      decode,
    });
  }

  /** What a UI shows about the document; `follow`: pages start following its end. */
  info(version: number, follow: boolean): DocumentInfo {
    const doc = this.doc;
    const progress = doc.indexProgress;
    return {
      protocol: PROTOCOL_VERSION,
      path: doc.path,
      name: basename(doc.path),
      length: doc.length,
      version,
      lineCount: this.reads.lineCount(),
      indexProgress: { bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal },
      eol: this.reads.eol(),
      newline: this.newline === "\r\n" ? "crlf" : "lf",
      ...this.encoding.info(),
      readOnly: doc.readOnly,
      readOnlyReason: this.readOnlyReason,
      canSave: doc.canSave,
      modified: doc.modified,
      safety: this.safety,
      recovered: doc.recovered
        ? `Restored ${doc.recovered.edits} unsaved edit${doc.recovered.edits === 1 ? "" : "s"} ` +
          `from ${doc.recovered.time.toLocaleString()}`
        : null,
      setAside: doc.setAside
        ? `A session of this file could not be applied (${doc.setAside.reason}); it was kept in ` +
          `${doc.setAside.folder} — see gigapad recover`
        : null,
      diskState: this.disk.lastState,
      follow,
    };
  }

  /** The window the editor opens on (the document's start, as the page's quick first request cuts it). */
  firstWindow(): DocumentWindow {
    return this.reads.firstWindow();
  }

  /** Commits what is not yet committed (autosave would, soon); resolves when durable. */
  async flush(): Promise<void> {
    if (this.autosave) await this.autosave.flush();
    else if (!this.doc.readOnly) await this.doc.commit();
  }

  /**
   * Stops serving: the file is no longer watched, long work stops, and the document closes —
   * its edits committed and kept in the session (hot exit), or with `discard` dropped with it.
   * The queue of changes is the caller's to drain first.
   */
  async retire({ discard }: { discard: boolean }): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    this.disk.stop();
    this.saves.cancel();
    this.edits.abort();
    this.searches.abortAll();
    if (discard) {
      await this.autosave?.stop().catch(() => {});
      await this.doc.discard();
      return;
    }
    try {
      await this.autosave?.stop();
    } finally {
      await this.doc.close();
    }
  }

  /**
   * The encoding the engine opened the document in (asked for by a reopen, or kept in its session
   * across hot exit): read in it unless the guess already is it, or it is one the host cannot read.
   */
  private keepOpenedEncoding(label: string): void {
    try {
      if (textCodec(label).encoding !== this.encoding.codec.encoding) this.encoding.choose(label);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }

  /** A UI went away: its filter view and searches go with it. */
  drop(channel: Channel): void {
    this.filters.drop(channel);
    this.searches.drop(channel);
  }

  private get safety(): Safety {
    if (this.doc.readOnly) return "read-only";
    return this.autosave?.state ?? (this.doc.allEditsSafe ? "all edits safe" : "unsaved edits");
  }

  /** Progress of the index build and of saves, to every UI, each at most every PROGRESS_EVENT_MS. */
  private reportProgress(): void {
    const indexTooSoon = progressThrottle();
    const saveTooSoon = progressThrottle();
    this.doc.on("indexProgress", (progress) => {
      if (indexTooSoon() || this.retired) return;
      this.host.broadcast({ event: "indexProgress", ...progress });
    });
    this.doc.on("saveProgress", (progress: SaveProgress) => {
      if ((saveTooSoon() && progress.bytesDone < progress.bytesTotal) || this.retired) return;
      this.host.broadcast({
        event: "saveProgress",
        bytesDone: progress.bytesDone,
        bytesTotal: progress.bytesTotal,
      });
    });
  }
}

/** CRLF if most line feeds in the sample follow a CR, else LF. */
function newlineOf(sample: Buffer): "\n" | "\r\n" {
  let lineFeeds = 0;
  let crlf = 0;
  for (let at = sample.indexOf(10); at >= 0; at = sample.indexOf(10, at + 1)) {
    lineFeeds++;
    if (at > 0 && sample[at - 1] === 13) crlf++;
  }
  return lineFeeds > 0 && crlf * 2 > lineFeeds ? "\r\n" : "\n";
}
