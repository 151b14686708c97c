/**
 * One open document in the engine host, and the UIs connected to it. Applies protocol requests to
 * the engine, numbers content versions, commits on its own (autosave), watches the file on disk,
 * and tells every connected UI what changed. Shared by `gigapad serve` and the desktop app's
 * engine process; knows nothing of transports (see Channel).
 *
 * Ordering: requests that change the content (edit, undo, redo, replaceAll, save) run one after
 * another, in arrival order, on one queue — so a save's edits wait for it instead of failing, and
 * pipelined edits from a UI apply in order. Reads (windows, lines, find) answer at once, between
 * them; long work (search, save) yields, so replies never wait for it.
 */
import { type FSWatcher, realpathSync, statSync, watch } from "node:fs";
import { basename } from "node:path";
import {
  type Document,
  detectEncoding,
  type FindOptions,
  open,
  type SaveProgress,
  type ScanProgress,
} from "../piece-table/index.js";
import {
  type ByteEdit,
  type DocumentInfo,
  type DocumentWindow,
  decodeEscaped,
  encodeEscaped,
  type FindQuery,
  type HostEvent,
  type LineEndings,
  PROTOCOL_VERSION,
  type ProtocolError,
  parseRequest,
  QUICK_WINDOW_LINES,
  type Reply,
  type ReplyResults,
  type Request,
  type Safety,
} from "../protocol/index.js";
import { Autosave, type AutosaveOptions } from "./autosave.js";
import type { Channel } from "./channel.js";
import { ChannelFilters } from "./channel-filters.js";
import { type DiskState, DiskWatch } from "./disk-watch.js";
import { cutWindow, type WindowRequest } from "./document-window.js";
import { findNext } from "./find-next.js";
import { confinedSaveTarget } from "./save-target.js";

export interface HostedDocumentOptions {
  /** Session folder root (default: GIGAPAD_STATE_DIR or the platform's). */
  stateDir?: string;
  /** Open without editing. */
  readOnly?: boolean;
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
  /** Longest a findInRange may scan (default FIND_IN_RANGE_MS). */
  findInRangeMs?: number;
}

/** An error with a protocol code, for refusals the host itself decides. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes at the start of the file used to guess its encoding and its line ending. */
const SAMPLE_BYTES = 1024 * 1024;
/** Line numbers are worked out on the spot, before the index is built, up to this offset. */
const CHEAP_LINE_BYTES = 16 * 1024 * 1024;
/** Most text one readText may return (a copy of a larger selection is refused). */
export const MAX_READ_TEXT_BYTES = 64 * 1024 * 1024;
/** A write the system reports is looked at after this long (writes coalesce meanwhile). */
const FOLLOW_CHECK_MS = 100;
/** Progress events are sent at most this often. */
const PROGRESS_EVENT_MS = 100;
/**
 * Longest a findInRange (the matches in view, asked for as the user types a pattern) may scan:
 * a pattern that backtracks for ever must not hold a regex worker for ever.
 */
const FIND_IN_RANGE_MS = 10_000;

/** A progress stream's throttle: true when the last event went out under PROGRESS_EVENT_MS ago. */
export function progressThrottle(): () => boolean {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < PROGRESS_EVENT_MS) return true;
    last = now;
    return false;
  };
}

/**
 * A signal that aborts with `parent`, or with a TimeoutError after `ms`; `done` lets go of both
 * (AbortSignal.any would tie every such signal to the long-lived parent).
 */
function timeLimited(parent: AbortSignal, ms: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException("the search took too long", "TimeoutError")),
    ms,
  );
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}

/** Turns any error into what a UI is told: a stable code and a sentence. */
export function toProtocolError(error: unknown): ProtocolError {
  const candidate = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const message = typeof candidate?.message === "string" ? candidate.message : String(error);
  // Node's own AbortError carries code ABORT_ERR: every cancellation is EABORTED to a UI.
  if (candidate?.name === "AbortError") return { code: "EABORTED", message };
  if (typeof candidate?.code === "string") return { code: candidate.code, message };
  if (error instanceof RangeError) return { code: "ERANGE", message };
  if (error instanceof SyntaxError) return { code: "EBADPATTERN", message };
  if (candidate?.name === "TimeoutError") {
    return {
      code: "ETIMEDOUT",
      message: "the search took too long (a pattern that backtracks?) and was stopped",
    };
  }
  return { code: "EINTERNAL", message };
}

export function findArguments(query: FindQuery): [string, FindOptions] {
  return [
    query.pattern,
    {
      regex: query.regex ?? false,
      caseSensitive: query.caseSensitive ?? true,
      wholeWord: query.wholeWord ?? false,
    },
  ];
}

export class HostedDocument {
  /** The content version UIs edit against (see protocol/messages.ts, "Versions"). */
  private version = 0;
  private readonly channels = new Set<Channel>();
  /** Each UI's filter view (see channel-filters.ts). */
  private readonly filters: ChannelFilters;
  /** Running counts per channel and search id, to cancel them. */
  private readonly counts = new Map<Channel, Map<number, AbortController>>();
  private mutations: Promise<unknown> = Promise.resolve();
  private saveAbort: AbortController | null = null;
  /** Aborts a running replaceAll (on close). */
  private replaceAbort: AbortController | null = null;
  /** Per UI: aborts its finds (findNext, findInRange) when it goes away or the document closes. */
  private readonly findAborts = new Map<Channel, AbortController>();
  /** Save As from UIs writes only under this folder (real path), or anywhere when null. */
  private saveAsRoot: string | null = null;
  private readonly findInRangeMs: number;
  private readonly autosave: Autosave | null;
  private readonly followOnOpen: boolean;
  /** The file's write notifications (null where the platform gives none). */
  private writes: FSWatcher | null = null;
  private writeCheck: NodeJS.Timeout | null = null;
  /** An append is being taken in. */
  private appending = false;
  private readonly disk: DiskWatch;
  private indexed = false;
  private readonly encoding: string;
  /** The line ending Enter inserts: the one most of the file's first MiB uses. */
  private readonly newline: "\n" | "\r\n";
  private closed = false;
  /** Why the document is read-only, or null. */
  private readOnlyReason: string | null;

  private constructor(
    readonly doc: Document,
    /** The options it was opened with (`gigapad serve` opens the folder's other files alike). */
    readonly options: HostedDocumentOptions,
    readOnlyReason: string | null,
  ) {
    this.readOnlyReason = readOnlyReason ?? (doc.readOnly ? "opened read-only" : null);
    if (options.saveAsRoot !== undefined) this.confineSaveAs(options.saveAsRoot);
    this.findInRangeMs = options.findInRangeMs ?? FIND_IN_RANGE_MS;
    const sample = doc.length > 0 ? doc.read(0, Math.min(doc.length, SAMPLE_BYTES)) : Buffer.alloc(0);
    this.encoding = detectEncoding(sample, doc.length > sample.length);
    this.newline = newlineOf(sample);
    this.autosave = doc.readOnly || options.autosave === false ? null : new Autosave(doc, options.autosave);
    this.autosave?.on("state", (_state, error) => {
      if (error && !this.readOnlyReason) {
        this.readOnlyReason = `edits can no longer be kept safe: ${error.message}`;
      }
      this.broadcast({ event: "safety", safety: this.safety, message: error ? error.message : null });
    });
    // Each progress stream at most every PROGRESS_EVENT_MS, each on its own clock.
    const indexTooSoon = progressThrottle();
    const saveTooSoon = progressThrottle();
    doc.on("indexProgress", (progress) => {
      if (indexTooSoon()) return;
      this.broadcast({ event: "indexProgress", ...progress });
    });
    doc.on("saveProgress", (progress: SaveProgress) => {
      if (saveTooSoon() && progress.bytesDone < progress.bytesTotal) return;
      this.broadcast({
        event: "saveProgress",
        bytesDone: progress.bytesDone,
        bytesTotal: progress.bytesTotal,
      });
    });
    this.watchIndex();
    this.disk = new DiskWatch(
      () => ({ path: doc.path, identity: doc.originalFile.identity }),
      (state) => this.diskChanged(state),
      options.diskCheckMs,
    );
    this.followOnOpen = options.follow ?? false;
    this.filters = new ChannelFilters({
      doc: this.doc,
      version: () => this.version,
      searches: (channel) => this.searchesOf(channel),
      send: (channel, event) => this.send(channel, event),
      saveAsRoot: () => this.saveAsRoot,
      newline: () => this.newline,
    });
    this.watchWrites();
  }

  /**
   * Opens a document for UIs. If another process is editing it, opens it read-only and says so
   * (the UI shows why) instead of failing. Other errors (ENOENT, EISDIR, EACCES...) are thrown.
   */
  static async open(path: string, options: HostedDocumentOptions = {}): Promise<HostedDocument> {
    const openOptions = {
      readOnly: options.readOnly ?? false,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
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
    this.saveAsRoot = realpathSync(root);
  }

  /** Connects a UI. It sends `hello` first; it is dropped when its channel closes. */
  attach(channel: Channel): void {
    this.channels.add(channel);
    channel.onMessage((message) => {
      void this.receive(channel, message);
    });
    channel.onClose(() => this.detach(channel));
  }

  /** What a UI shows about the document. */
  info(): DocumentInfo {
    const progress = this.doc.indexProgress;
    return {
      protocol: PROTOCOL_VERSION,
      path: this.doc.path,
      name: basename(this.doc.path),
      length: this.doc.length,
      version: this.version,
      lineCount: this.lineCount(),
      indexProgress: { bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal },
      eol: this.eol(),
      newline: this.newline === "\r\n" ? "crlf" : "lf",
      encoding: this.encoding,
      readOnly: this.doc.readOnly,
      readOnlyReason: this.readOnlyReason,
      canSave: this.doc.canSave,
      modified: this.doc.modified,
      safety: this.safety,
      recovered: this.doc.recovered
        ? `Restored ${this.doc.recovered.edits} unsaved edit${this.doc.recovered.edits === 1 ? "" : "s"} ` +
          `from ${this.doc.recovered.time.toLocaleString()}`
        : null,
      setAside: this.doc.setAside
        ? `A session of this file could not be applied (${this.doc.setAside.reason}); it was kept in ` +
          `${this.doc.setAside.folder} — see gigapad recover`
        : null,
      diskState: this.disk.lastState,
      follow: this.followOnOpen,
    };
  }

  /** Commits what is not yet committed (autosave would, soon); resolves when durable. */
  async flush(): Promise<void> {
    await this.mutations;
    if (this.autosave) await this.autosave.flush();
    else if (!this.doc.readOnly) await this.doc.commit();
  }

  /** Closes the document: edits are committed and kept in the session (hot exit). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disk.stop();
    this.writes?.close();
    if (this.writeCheck) clearTimeout(this.writeCheck);
    this.saveAbort?.abort();
    this.replaceAbort?.abort();
    for (const searches of this.counts.values()) for (const search of searches.values()) search.abort();
    for (const finds of this.findAborts.values()) finds.abort();
    await this.mutations.catch(() => {});
    try {
      await this.autosave?.stop();
    } finally {
      await this.doc.close();
    }
  }

  /** Closes the document and drops its session: unsaved edits are gone ("Don't save"). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disk.stop();
    this.writes?.close();
    if (this.writeCheck) clearTimeout(this.writeCheck);
    this.saveAbort?.abort();
    await this.mutations.catch(() => {});
    await this.doc.discard();
  }

  // ----- requests ------------------------------------------------------------------------------

  /** Handles one message from a UI; every outcome is exactly one reply (or none for a non-request). */
  async receive(channel: Channel, message: unknown): Promise<void> {
    const parsed = parseRequest(message);
    if (!parsed.ok) {
      if (parsed.id !== null) this.send(channel, { id: parsed.id, ok: false, error: parsed.error });
      else this.send(channel, { event: "error", code: parsed.error.code, message: parsed.error.message });
      return;
    }
    const request = parsed.request;
    try {
      if (this.closed) throw new HostError("ECLOSED", `${this.doc.path} was closed`);
      const result = await this.handle(channel, request);
      this.send(channel, { id: request.id, ok: true, result });
    } catch (error) {
      this.send(channel, { id: request.id, ok: false, error: toProtocolError(error) });
    }
  }

  private async handle(channel: Channel, request: Request): Promise<ReplyResults[Request["type"]]> {
    const doc = this.doc;
    switch (request.type) {
      case "hello":
        if (request.protocol !== PROTOCOL_VERSION) {
          throw new HostError(
            "EPROTOCOL",
            `this host speaks protocol ${PROTOCOL_VERSION}, the UI speaks ${request.protocol}: reload the page`,
          );
        }
        return this.info();
      case "window":
        if ("line" in request.anchor) await this.whenLineCheap(request.anchor.line);
        return this.window(request);
      case "lineStart":
        await this.whenLineCheap(request.line);
        return { offset: doc.lineStart(request.line) };
      case "lineAt":
        if (request.offset > doc.length) {
          throw new RangeError(`Invalid offset ${request.offset} in document of length ${doc.length}`);
        }
        if (!this.indexed && request.offset > CHEAP_LINE_BYTES) await doc.whenIndexed();
        return { line: doc.lineAt(request.offset) };
      case "readText": {
        if (request.end - request.start > MAX_READ_TEXT_BYTES) {
          throw new HostError(
            "ETOOLARGE",
            `${request.end - request.start} bytes are too many to copy at once (at most ` +
              `${MAX_READ_TEXT_BYTES}); save a copy with Save As, or use gigapad run`,
          );
        }
        return { text: decodeEscaped(doc.read(request.start, request.end)) };
      }
      case "count":
        return { count: await this.count(channel, request) };
      case "cancelCount":
        this.counts.get(channel)?.get(request.searchId)?.abort();
        return {};
      case "findNext": {
        const [pattern, options] = findArguments(request.query);
        return findNext(
          doc,
          pattern,
          { ...options, signal: this.findSignal(channel) },
          request.from,
          request.direction,
        );
      }
      case "findInRange": {
        const [pattern, options] = findArguments(request.query);
        const end = Math.min(request.end, doc.length);
        const matches = [];
        const { signal, done } = timeLimited(this.findSignal(channel), this.findInRangeMs);
        try {
          for await (const match of doc.find(pattern, {
            ...options,
            signal,
            start: Math.min(request.start, end),
            end,
            limit: request.limit + 1,
          })) {
            matches.push(match);
          }
        } finally {
          done();
        }
        const truncated = matches.length > request.limit;
        return { matches: truncated ? matches.slice(0, request.limit) : matches, truncated };
      }
      case "edit":
        return this.mutate(() => this.edit(request.baseVersion, request.edits));
      case "undo":
      case "redo":
        return this.mutate(() => this.undoOrRedo(request.type));
      case "replaceAll": {
        // Cancellable by its search id (cancelCount) from the moment it arrives — also while it
        // waits its turn behind other changes — with progress events under that id.
        const abort = new AbortController();
        const searchId = request.searchId;
        const searches = this.searchesOf(channel);
        if (searchId !== undefined) {
          searches.get(searchId)?.abort();
          searches.set(searchId, abort);
        }
        return this.mutate(async () => {
          this.checkVersion(request.baseVersion);
          const [pattern, options] = findArguments(request.query);
          // A long job: what was typed before it is committed first.
          await this.autosave?.flush();
          abort.signal.throwIfAborted();
          this.replaceAbort = abort;
          const tooSoon = progressThrottle();
          const start = Math.min(request.start ?? 0, doc.length);
          const end = Math.max(start, Math.min(request.end ?? doc.length, doc.length));
          let count: number;
          try {
            count = await doc.replaceAll(pattern, request.replacement, {
              ...options,
              start,
              end,
              signal: abort.signal,
              ...(searchId === undefined
                ? {}
                : {
                    onProgress: (progress: ScanProgress) => {
                      if (tooSoon()) return;
                      this.send(channel, {
                        event: "replaceProgress",
                        searchId,
                        count: progress.matches,
                        scanned: progress.bytesDone,
                        total: progress.bytesTotal,
                      });
                    },
                  }),
            });
          } finally {
            this.replaceAbort = null;
          }
          if (count > 0) this.changed(doc.lastChangeAt);
          return { count, version: this.version, length: doc.length };
        }).finally(() => {
          if (searchId !== undefined && searches.get(searchId) === abort) searches.delete(searchId);
        });
      }
      case "save":
        return this.saveNow(null, request.force ?? false);
      case "saveAs": {
        const force = request.force ?? false;
        const root = this.saveAsRoot;
        return this.mutate(() =>
          this.saveTo(
            root === null ? request.path : confinedSaveTarget(request.path, doc.path, root, force),
            force,
          ),
        );
      }
      case "cancelSave":
        this.saveAbort?.abort();
        return {};
      case "filter":
        return this.filters.run(channel, request.filterId, request.query);
      case "filterLines": {
        const filter = this.filters.get(channel, request.filterId);
        return {
          lines: filter.window(request.from, request.count),
          total: filter.count,
          done: filter.isFinished,
        };
      }
      case "filterIndex":
        return { index: this.filters.get(channel, request.filterId).indexOfLine(request.line) };
      case "saveFiltered": {
        // In the queue of changes: no edit may change the lines while they are written.
        return this.mutate(() =>
          this.filters.save(channel, request.filterId, request.path, request.force ?? false),
        );
      }
      case "commit":
        await this.flush();
        return {};
    }
  }

  /**
   * The window the editor opens on (the document's start, as the page's quick first request cuts
   * it): `gigapad serve` draws its first lines into the page.
   */
  firstWindow(): DocumentWindow {
    return this.window({
      anchor: { byte: 0 },
      linesBefore: QUICK_WINDOW_LINES,
      linesAfter: QUICK_WINDOW_LINES,
    });
  }

  private window(request: WindowRequest): DocumentWindow {
    const doc = this.doc;
    return cutWindow(doc, request, this.version, (offset) => this.indexed || offset <= CHEAP_LINE_BYTES);
  }

  /** Waits for the line index if line `line` may lie beyond what is cheap to count now. */
  private async whenLineCheap(line: number): Promise<void> {
    if (this.indexed) return;
    const cheapEnd = Math.min(this.doc.length, CHEAP_LINE_BYTES);
    if (line <= this.doc.lineAt(cheapEnd) - 1) return;
    await this.doc.whenIndexed();
  }

  private edit(baseVersion: number, edits: ByteEdit[]) {
    this.checkVersion(baseVersion);
    this.doc.applyEdits(
      edits.map((edit) => ({ start: edit.start, end: edit.end, text: encodeEscaped(edit.text) })),
    );
    this.changed(this.doc.lastChangeAt);
    return { version: this.version, length: this.doc.length };
  }

  private undoOrRedo(which: "undo" | "redo") {
    const done = which === "undo" ? this.doc.undo() : this.doc.redo();
    const at = done ? this.doc.lastChangeAt : null;
    if (done) this.changed(at);
    return { done, version: this.version, length: this.doc.length, at };
  }

  /**
   * Saves the document (to `path`, for save-as) after every edit already received, as a UI's
   * save request does; every UI hears the progress and the result. The desktop app's close
   * prompt uses it directly.
   */
  saveNow(path: string | null = null, force = false): Promise<{ length: number; path?: string }> {
    return this.mutate(() => this.saveTo(path, force));
  }

  private async saveTo(path: string | null, force: boolean) {
    const abort = new AbortController();
    this.saveAbort = abort;
    try {
      const options = { force, signal: abort.signal };
      await this.disk.whilePaused(() =>
        path === null ? this.doc.save(options) : this.doc.saveAs(path, options),
      );
    } finally {
      this.saveAbort = null;
    }
    // A save makes the file the document's original: the index and the safety state start over.
    this.watchIndex();
    // Another program may have written while the save ran (the watch was paused): say so now.
    if (this.disk.lastState !== "unchanged") this.diskChanged(this.disk.lastState);
    await this.autosave?.flush();
    this.broadcast({
      event: "saved",
      path: this.doc.path,
      name: basename(this.doc.path),
      length: this.doc.length,
      version: this.version,
    });
    return path === null ? { length: this.doc.length } : { length: this.doc.length, path: this.doc.path };
  }

  /** A UI's running searches (counts, replace-alls, filters) by id, to cancel them. */
  private searchesOf(channel: Channel): Map<number, AbortController> {
    let searches = this.counts.get(channel);
    if (!searches) {
      searches = new Map();
      this.counts.set(channel, searches);
    }
    return searches;
  }

  private async count(channel: Channel, request: Extract<Request, { type: "count" }>): Promise<number> {
    const searches = this.searchesOf(channel);
    searches.get(request.searchId)?.abort();
    const abort = new AbortController();
    searches.set(request.searchId, abort);
    const [pattern, options] = findArguments(request.query);
    const tooSoon = progressThrottle();
    const start = Math.min(request.start ?? 0, this.doc.length);
    const end = Math.min(request.end ?? this.doc.length, this.doc.length);
    // A long job: what was typed before it is committed now, not after it.
    void this.autosave?.flush();
    try {
      const count = await this.doc.countMatches(pattern, {
        ...options,
        start,
        end: Math.max(start, end),
        signal: abort.signal,
        onProgress: (progress) => {
          if (tooSoon()) return;
          this.send(channel, {
            event: "countProgress",
            searchId: request.searchId,
            count: progress.matches,
            scanned: progress.bytesDone,
            done: false,
          });
        },
      });
      this.send(channel, {
        event: "countProgress",
        searchId: request.searchId,
        count,
        scanned: end - start,
        done: true,
      });
      return count;
    } finally {
      if (searches.get(request.searchId) === abort) searches.delete(request.searchId);
    }
  }

  // ----- state and events ----------------------------------------------------------------------

  private get safety(): Safety {
    if (this.doc.readOnly) return "read-only";
    return this.autosave?.state ?? (this.doc.allEditsSafe ? "all edits safe" : "unsaved edits");
  }

  private lineCount(): number | null {
    return this.indexed ? this.doc.lineCount() : null;
  }

  private eol(): LineEndings {
    return this.doc.originalLineEndings ?? (this.newline === "\r\n" ? "crlf" : "lf");
  }

  /** Runs `work` after every earlier content change; edits wait for a running save this way. */
  private mutate<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.mutations.then(() => {
      if (this.closed) throw new HostError("ECLOSED", `${this.doc.path} was closed`);
      return work();
    });
    this.mutations = run.catch(() => {});
    return run;
  }

  private checkVersion(baseVersion: number): void {
    if (baseVersion !== this.version) {
      throw new HostError(
        "ESTALE",
        `the edit was made against version ${baseVersion}, but the document is at version ${this.version} ` +
          "(changed in another window); showing the current text",
      );
    }
  }

  /** A content change: a new version, told to every UI (the one that made it gets its reply first). */
  private changed(at: number | null): void {
    this.version++;
    const version = this.version;
    // After the reply: the event goes out once the request's reply has been sent.
    queueMicrotask(() =>
      this.broadcast({
        event: "changed",
        version,
        length: this.doc.length,
        lineCount: this.lineCount(),
        modified: this.doc.modified,
        at,
      }),
    );
  }

  private watchIndex(): void {
    this.indexed = false;
    const doc = this.doc;
    doc.whenIndexed().then(
      () => {
        if (this.closed) return;
        this.indexed = true;
        this.broadcast({ event: "indexed", lineCount: doc.lineCount(), eol: this.eol() });
      },
      (error: Error) => {
        if (this.closed) return;
        this.broadcast({ event: "error", ...toProtocolError(error) });
      },
    );
  }

  /**
   * Checks the file as soon as the system says it was written (inotify and the like), so a log's
   * new lines show within a blink rather than at the next poll; the poll stays as the fallback
   * (some filesystems never tell). Checks are at most one per FOLLOW_CHECK_MS.
   */
  private watchWrites(): void {
    try {
      this.writes = watch(this.doc.path, { persistent: false }, () => {
        if (this.writeCheck || this.closed) return;
        this.writeCheck = setTimeout(() => {
          this.writeCheck = null;
          if (!this.closed) this.disk.check();
        }, FOLLOW_CHECK_MS);
      });
      this.writes.on("error", () => this.writes?.close());
    } catch {
      this.writes = null; // polling alone
    }
  }

  /**
   * The file grew on disk. A document without edits takes the appended bytes in (a log being
   * written: no warning, the text grows); with edits, or when the old bytes changed too, the UIs
   * are told the file changed, as for any other change.
   */
  private async takeInAppended(): Promise<boolean> {
    const doc = this.doc;
    if (doc.modified) return false;
    const lengthBefore = doc.length;
    const grown = await this.mutate(() => doc.adoptAppended());
    if (grown <= 0 || this.closed) return false;
    this.disk.settle();
    this.version++;
    const progress = doc.indexProgress;
    if (progress.bytesDone < progress.bytesTotal) this.watchIndex();
    this.broadcast({
      event: "appended",
      version: this.version,
      length: doc.length,
      lineCount: this.lineCount(),
      bytes: doc.length - lengthBefore,
    });
    return true;
  }

  private diskChanged(state: DiskState): void {
    if (state === "modified" && !this.appending) {
      this.appending = true;
      void this.takeInAppended()
        .catch(() => false)
        .then((taken) => {
          this.appending = false;
          if (this.closed) return;
          if (!taken) {
            if (this.disk.lastState === "modified") this.tellDiskState("modified");
            return;
          }
          // More may have come while this one was taken in (settle() saw it): take that in too.
          this.disk.check();
          if (this.disk.lastState === "modified") this.diskChanged("modified");
        });
      return;
    }
    if (state === "modified") return; // the append being taken in will report
    this.tellDiskState(state);
  }

  /** The file on disk is longer than the document's original (same file). */
  private grewOnDisk(): boolean {
    try {
      return statSync(this.doc.path).size > this.doc.originalFile.size;
    } catch {
      return false;
    }
  }

  private tellDiskState(state: DiskState): void {
    const name = basename(this.doc.path);
    const messages: Record<DiskState, [HostEvent & { event: "fileChanged" }, string]> = {
      unchanged: [
        { event: "fileChanged", reason: "restored", message: "" },
        `${name} on disk is again the version you are editing.`,
      ],
      modified: [
        { event: "fileChanged", reason: "modified", message: "" },
        this.doc.modified && this.grewOnDisk()
          ? `Another program appends to ${name}. Your edits are over the file as it was when you ` +
            "started editing, so its new lines are not shown; Save would replace them (it asks first)."
          : `Another program changed ${name} on disk. What you see may mix its bytes with the old ones; ` +
            "Save will ask before overwriting.",
      ],
      replaced: [
        { event: "fileChanged", reason: "modified", message: "" },
        `Another program replaced ${name} on disk. You are still editing the version you opened; ` +
          "Save will ask before overwriting the new one.",
      ],
      deleted: [
        { event: "fileChanged", reason: "deleted", message: "" },
        `${name} was deleted or moved on disk. Your edits are safe; Save writes the file again.`,
      ],
      truncated: [
        { event: "fileChanged", reason: "truncated", message: "" },
        `Another program truncated ${name} on disk: the bytes past its new end are gone and cannot be ` +
          "shown or saved. Your typed edits are kept in the session (gigapad recover --export).",
      ],
    };
    const [event, message] = messages[state];
    this.broadcast({ ...event, message });
  }

  /** The signal that stops `channel`'s finds (when it goes away, or the document closes). */
  private findSignal(channel: Channel): AbortSignal {
    let abort = this.findAborts.get(channel);
    if (!abort) {
      abort = new AbortController();
      this.findAborts.set(channel, abort);
    }
    return abort.signal;
  }

  private detach(channel: Channel): void {
    this.channels.delete(channel);
    this.filters.drop(channel);
    this.findAborts.get(channel)?.abort();
    this.findAborts.delete(channel);
    for (const search of this.counts.get(channel)?.values() ?? []) search.abort();
    this.counts.delete(channel);
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
