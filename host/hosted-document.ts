/**
 * One open document in the engine host, and the UIs connected to it: opens it (read-only, saying
 * why, when another Gigapad holds it), composes the parts that serve its UIs, describes it
 * (`info`), and closes it. Shared by `gigapad serve` and the desktop app's engine process; knows
 * nothing of transports (see Channel).
 *
 * The parts, one concept each: request-dispatch.ts routes a UI's messages; change-queue.ts holds
 * the content versions and runs changes one at a time; read-requests.ts (windows, lines, text,
 * the line index), search-requests.ts (counts, finds, cancelling), edit-requests.ts (edits,
 * undo/redo, replaceAll), save-requests.ts (Save, Save As), channel-filters.ts (filter views),
 * disk-changes.ts (the file changed on disk: follow appends, warn about the rest), autosave.ts
 * (commits on its own).
 *
 * Ordering: requests that change the content (edit, undo, redo, replaceAll, save) run one after
 * another, in arrival order, on one queue — so a save's edits wait for it instead of failing, and
 * pipelined edits from a UI apply in order. Reads (windows, lines, find) answer at once, between
 * them; long work (search, save) yields, so replies never wait for it.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { type Document, guessEncoding, open, type SaveProgress } from "../piece-table/index.js";
import {
  type DocumentInfo,
  type DocumentWindow,
  type HostEvent,
  PROTOCOL_VERSION,
  type Reply,
  type Safety,
} from "../protocol/index.js";
import { Autosave, type AutosaveOptions } from "./autosave.js";
import { ChangeQueue } from "./change-queue.js";
import type { Channel } from "./channel.js";
import { ChannelFilters } from "./channel-filters.js";
import { DiskChanges } from "./disk-changes.js";
import { DocumentEncoding } from "./document-encoding.js";
import { EditRequests } from "./edit-requests.js";
import { HostError } from "./host-error.js";
import { progressThrottle } from "./progress-throttle.js";
import { ReadRequests } from "./read-requests.js";
import { type RequestTargets, receiveRequest } from "./request-dispatch.js";
import { SaveRequests, type SaveResult, type SaveTarget } from "./save-requests.js";
import { FIND_IN_RANGE_MS, SearchRequests } from "./search-requests.js";
import { encodingName, type TextCodec, textCodec } from "./text-codec.js";
import { transcoder } from "./transcode.js";

export interface HostedDocumentOptions {
  /** Session folder root (default: GIGAPAD_STATE_DIR or the platform's). */
  stateDir?: string;
  /** Open without editing. */
  readOnly?: boolean;
  /**
   * Read the file in this encoding (a WHATWG label) instead of the one guessed from its first MiB
   * (`gigapad serve --encoding`). UTF-16 decides how the engine counts lines, so it is chosen here.
   */
  encoding?: string;
  /** Autosave timing, or false to commit only when asked. */
  autosave?: AutosaveOptions | false;
  /** How often the file is checked for changes by other programs. */
  diskCheckMs?: number;
  /** Pages start in follow mode (`gigapad serve --follow`). */
  follow?: boolean;
  /**
   * Confine UIs' Save As to this folder tree (see confineSaveAs); default: not confined, as in
   * the desktop app, whose Save As path comes from the system's dialog.
   */
  saveAsRoot?: string;
  /** Longest a findInRange may scan (default FIND_IN_RANGE_MS, search-requests.ts). */
  findInRangeMs?: number;
}

/** UTF-16 (by BOM or by the NULs of its ASCII text) as guessed from a file's first MiB, or null. */
function guessedUtf16(path: string): string | null {
  let sample: Buffer;
  try {
    const fd = openSync(path, "r");
    try {
      sample = Buffer.alloc(SAMPLE_BYTES);
      sample = sample.subarray(0, readSync(fd, sample, 0, SAMPLE_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null; // open() says what is wrong with the path
  }
  const { encoding } = guessEncoding(sample, sample.length === SAMPLE_BYTES);
  return encoding.startsWith("utf-16") ? encoding : null;
}

/** Bytes a Save with Encoding's dry run reads at a time. */
const DRY_RUN_CHUNK_BYTES = 4 * 1024 * 1024;

/** Bytes at the start of the file used to guess its encoding and its line ending. */
const SAMPLE_BYTES = 1024 * 1024;

export class HostedDocument {
  private readonly channels = new Set<Channel>();
  /** The content versions and the queue changes run on (closed when the document closes). */
  private readonly changes: ChangeQueue;
  private readonly reads: ReadRequests;
  private readonly searches: SearchRequests;
  private readonly edits: EditRequests;
  private readonly saves: SaveRequests;
  /** Each UI's filter view (see channel-filters.ts). */
  private readonly filters: ChannelFilters;
  private readonly disk: DiskChanges;
  private readonly autosave: Autosave | null;
  /** Where each UI's requests go (see request-dispatch.ts). */
  private readonly targets: RequestTargets;
  private readonly followOnOpen: boolean;
  /** How the document's bytes are read as text (guessed on open; Reopen with Encoding changes it). */
  private readonly encoding: DocumentEncoding;
  /** The line ending Enter inserts: the one most of the file's first MiB uses. */
  private readonly newline: "\n" | "\r\n";
  /** Why the document is read-only, or null. */
  private readOnlyReason: string | null;

  private constructor(
    readonly doc: Document,
    /** The options it was opened with (`gigapad serve` opens the folder's other files alike). */
    readonly options: HostedDocumentOptions,
    readOnlyReason: string | null,
  ) {
    this.readOnlyReason = readOnlyReason ?? (doc.readOnly ? "opened read-only" : null);
    const sample = doc.length > 0 ? doc.read(0, Math.min(doc.length, SAMPLE_BYTES)) : Buffer.alloc(0);
    this.encoding = new DocumentEncoding(sample, doc.length > sample.length, doc.encoding);
    if (options.encoding !== undefined) this.encoding.choose(options.encoding);
    const encoding = this.encoding;
    const codec = () => encoding.codec;
    const decode = (bytes: Buffer) => encoding.decode(bytes);
    // In UTF-16 the line ends are code units: counted in the sample's text.
    this.newline = doc.encoding?.startsWith("utf-16")
      ? newlineOf(Buffer.from(this.encoding.decode(sample), "utf8"))
      : newlineOf(sample);
    this.followOnOpen = options.follow ?? false;
    this.changes = new ChangeQueue(() => doc.path);
    const changes = this.changes;
    const broadcast = (event: HostEvent) => this.broadcast(event);
    const send = (channel: Channel, message: Reply | HostEvent) => this.send(channel, message);
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
    if (options.saveAsRoot !== undefined) this.saves.confine(options.saveAsRoot);

    this.autosave = doc.readOnly || options.autosave === false ? null : new Autosave(doc, options.autosave);
    this.autosave?.on("state", (_state, error) => {
      if (error && !this.readOnlyReason) {
        this.readOnlyReason = `edits can no longer be kept safe: ${error.message}`;
      }
      this.broadcast({ event: "safety", safety: this.safety, message: error ? error.message : null });
    });
    this.reportProgress();
    this.reads = new ReadRequests({
      doc,
      newline: this.newline,
      version: () => changes.version,
      closed: () => changes.closed,
      broadcast,
      decoder: () => (encoding.codec.encoding === "utf-8" ? null : decode),
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
    this.targets = {
      changes,
      reads: this.reads,
      searches: this.searches,
      edits: this.edits,
      saves: this.saves,
      filters: this.filters,
      info: () => this.info(),
      flush: () => this.flush(),
      reopenWithEncoding: (label) => this.reopenWithEncoding(label),
      saveWithEncoding: (label, options) => this.saveWithEncoding(label, options),
      send,
    };
  }

  /**
   * Opens a document for UIs. If another process is editing it, opens it read-only and says so
   * (the UI shows why) instead of failing. Other errors (ENOENT, EISDIR, EACCES...) are thrown.
   */
  static async open(path: string, options: HostedDocumentOptions = {}): Promise<HostedDocument> {
    // UTF-16 is the engine's to know (it counts lines in code units): guessed here, before it opens.
    const engineEncoding =
      options.encoding !== undefined ? encodingName(options.encoding) : guessedUtf16(path);
    if (options.encoding !== undefined && engineEncoding === null) {
      throw new HostError("EENCODING", `unknown or unsupported encoding: ${options.encoding}`);
    }
    const openOptions = {
      readOnly: options.readOnly ?? false,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      // A named encoding goes to the engine as it is (a BOM does not overrule it); a guess only if UTF-16.
      ...(options.encoding !== undefined || engineEncoding?.startsWith("utf-16")
        ? { encoding: engineEncoding! }
        : {}),
    };
    try {
      return new HostedDocument(await open(path, openOptions), options, null);
    } catch (error) {
      if ((error as { code?: string }).code !== "ESESSIONLOCKED") throw error;
      const doc = await open(path, { ...openOptions, readOnly: true });
      // In a UI's words (the engine's message names the scripting option).
      const pid = (error as { holderPid?: number | null }).holderPid;
      const reason =
        `another Gigapad${pid ? ` (pid ${pid})` : ""} is editing this file; ` +
        "close it there and open it again to edit it here";
      return new HostedDocument(doc, options, reason);
    }
  }

  /**
   * From now on a UI's Save As resolves its path against the document's folder and writes only
   * inside `root`'s tree (symlinks leading out refused), replacing an existing file other than
   * the document only when the request says `force` (see save-target.ts).
   */
  confineSaveAs(root: string): void {
    this.saves.confine(root);
  }

  /** Connects a UI. It sends `hello` first; it is dropped when its channel closes. */
  attach(channel: Channel): void {
    this.channels.add(channel);
    channel.onMessage((message) => {
      void this.receive(channel, message);
    });
    channel.onClose(() => this.detach(channel));
  }

  /** Handles one message from a UI; every outcome is exactly one reply (or none for a non-request). */
  receive(channel: Channel, message: unknown): Promise<void> {
    return receiveRequest(this.targets, channel, message);
  }

  /**
   * Reads the same bytes in another encoding from now on: a new version (edits made against the
   * old text are refused), and every UI is told to reload what it shows. Nothing on disk changes.
   * Refused while there are unsaved edits (their text was typed in the old encoding) and for an
   * encoding the document cannot be read in here (UTF-16 ↔ byte-based: the engine counts lines
   * differently, so the file must be opened anew).
   */
  reopenWithEncoding(label: string): Promise<DocumentInfo> {
    return this.changes.run(() => {
      if (this.doc.modified) {
        throw new HostError(
          "EMODIFIED",
          "save or undo your edits first: they were typed in the encoding shown now",
        );
      }
      try {
        this.encoding.choose(label);
      } catch (error) {
        if (error instanceof RangeError) throw new HostError("EENCODING", error.message);
        throw error;
      }
      this.changes.nextVersion();
      const info = this.info();
      this.broadcast({ event: "reopened", info });
      return info;
    });
  }

  /**
   * Save with Encoding: the whole text converted to `label` (one undo step, piece by piece, memory
   * bounded), then saved the normal atomic way; from then on the document is read in it. If some
   * characters cannot be written in it, nothing is changed and EUNWRITABLE says how many, unless
   * `force` (they become `?`). UTF-16 is not offered (the engine counts its lines in bytes).
   */
  async saveWithEncoding(
    label: string,
    { force }: { force: boolean },
  ): Promise<{ length: number; info: DocumentInfo }> {
    await this.changes.run(async () => {
      let target: TextCodec;
      try {
        target = textCodec(label);
      } catch (error) {
        if (error instanceof RangeError) throw new HostError("EENCODING", error.message);
        throw error;
      }
      const source = this.encoding.codec;
      if ([source, target].some((codec) => codec.encoding.startsWith("utf-16"))) {
        throw new HostError("EENCODING", "converting to or from UTF-16 is not built yet");
      }
      if (target.encoding === source.encoding) return;
      // What cannot be written is counted first, changing nothing (a refusal leaves no redo step).
      const dryRun = transcoder(source, target);
      for (let at = 0; at < this.doc.length || at === 0; at += DRY_RUN_CHUNK_BYTES) {
        const end = Math.min(this.doc.length, at + DRY_RUN_CHUNK_BYTES);
        dryRun.transform(this.doc.read(at, end), end === this.doc.length);
        if (end === this.doc.length) break;
      }
      if (dryRun.unwritable > 0 && !force) {
        const conversion = dryRun;
        throw new HostError(
          "EUNWRITABLE",
          `${conversion.unwritable} character${conversion.unwritable === 1 ? "" : "s"} cannot be written in ` +
            `${target.encoding}; saving in it would write them as ?`,
        );
      }
      await this.doc.rewrite(transcoder(source, target).transform);
      this.encoding.choose(target.encoding);
      // The text reads the same and every byte moved: UIs reread it in the new encoding.
      this.changes.nextVersion();
      this.broadcast({ event: "reopened", info: this.info() });
    });
    const { length } = await this.saves.save({});
    return { length, info: this.info() };
  }

  /** What a UI shows about the document. */
  info(): DocumentInfo {
    const doc = this.doc;
    const progress = doc.indexProgress;
    return {
      protocol: PROTOCOL_VERSION,
      path: doc.path,
      name: basename(doc.path),
      length: doc.length,
      version: this.changes.version,
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
      follow: this.followOnOpen,
    };
  }

  /**
   * The window the editor opens on (the document's start, as the page's quick first request cuts
   * it): `gigapad serve` draws its first lines into the page.
   */
  firstWindow(): DocumentWindow {
    return this.reads.firstWindow();
  }

  /**
   * Saves the document (to `path`, for save-as) after every edit already received, as a UI's
   * save request does; every UI hears the progress and the result. The desktop app's close
   * prompt uses it directly.
   */
  saveNow(target: SaveTarget = {}): Promise<SaveResult> {
    return this.saves.save(target);
  }

  /** Commits what is not yet committed (autosave would, soon); resolves when durable. */
  async flush(): Promise<void> {
    await this.changes.idle();
    if (this.autosave) await this.autosave.flush();
    else if (!this.doc.readOnly) await this.doc.commit();
  }

  /** Closes the document: edits are committed and kept in the session (hot exit). */
  async close(): Promise<void> {
    if (!this.beginClosing()) return;
    this.edits.abort();
    this.searches.abortAll();
    await this.changes.idle();
    try {
      await this.autosave?.stop();
    } finally {
      await this.doc.close();
    }
  }

  /** Closes the document and drops its session: unsaved edits are gone ("Don't save"). */
  async discard(): Promise<void> {
    if (!this.beginClosing()) return;
    await this.changes.idle();
    await this.doc.discard();
  }

  /**
   * What close and discard both do first: refuse further changes, stop watching the file, stop
   * a running save. False if the document is closed (or closing) already.
   */
  private beginClosing(): boolean {
    if (this.changes.closed) return false;
    this.changes.close();
    this.disk.stop();
    this.saves.cancel();
    return true;
  }

  /** Progress of the index build and of saves, to every UI, each at most every PROGRESS_EVENT_MS. */
  private reportProgress(): void {
    const indexTooSoon = progressThrottle();
    const saveTooSoon = progressThrottle();
    this.doc.on("indexProgress", (progress) => {
      if (indexTooSoon()) return;
      this.broadcast({ event: "indexProgress", ...progress });
    });
    this.doc.on("saveProgress", (progress: SaveProgress) => {
      if (saveTooSoon() && progress.bytesDone < progress.bytesTotal) return;
      this.broadcast({
        event: "saveProgress",
        bytesDone: progress.bytesDone,
        bytesTotal: progress.bytesTotal,
      });
    });
  }

  private get safety(): Safety {
    if (this.doc.readOnly) return "read-only";
    return this.autosave?.state ?? (this.doc.allEditsSafe ? "all edits safe" : "unsaved edits");
  }

  private detach(channel: Channel): void {
    this.channels.delete(channel);
    this.filters.drop(channel);
    this.searches.drop(channel);
  }

  private send(channel: Channel, message: Reply | HostEvent): void {
    try {
      channel.send(message);
    } catch {
      // The UI went away mid-send; its close handler detaches it.
    }
  }

  private broadcast(event: HostEvent): void {
    for (const channel of this.channels) this.send(channel, event);
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
