/**
 * One open document in the engine host, and the UIs connected to it: opens it (read-only, saying
 * why, when another Gigapad holds it), composes the parts that serve its UIs, describes it
 * (`info`), and closes it. Shared by `gigapad serve` and the desktop app's engine process; knows
 * nothing of transports (see Channel).
 *
 * The parts, one concept each, composed over the engine Document by document-parts.ts:
 * request-dispatch.ts routes a UI's messages; change-queue.ts holds
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
 *
 * Reopening: the file can be read anew in place — another program replaced it (a log rotated),
 * or it is to be read in an encoding that counts lines another way (UTF-16 and the byte-based
 * ones), or Save with Encoding wrote it in a new one. The parts over the old Document retire and
 * new ones are composed over the new; the UIs stay connected, the version goes on counting, and
 * they are told (`reopened`) to show the new text. Requests that arrive meanwhile wait for it.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { type Document, guessEncoding, open } from "../piece-table/index.js";
import { diskStateOf } from "../piece-table/internal.js";
import type { DocumentInfo, DocumentWindow, HostEvent, Reply } from "../protocol/index.js";
import type { AutosaveOptions } from "./autosave.js";
import { ChangeQueue } from "./change-queue.js";
import type { Channel } from "./channel.js";
import { DocumentParts, SAMPLE_BYTES } from "./document-parts.js";
import { HostError } from "./host-error.js";
import { type RequestTargets, receiveRequest } from "./request-dispatch.js";
import type { SaveResult, SaveTarget } from "./save-requests.js";
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

/** An engine Document as opened for UIs, and why it is read-only if another Gigapad holds it. */
interface OpenedDocument {
  doc: Document;
  readOnlyReason: string | null;
}

/**
 * Opens `path` in the engine for UIs. If another process is editing it, opens it read-only and
 * says why in a UI's words instead of failing. Other errors (ENOENT, EISDIR, EACCES...) are thrown.
 * `encoding`: a WHATWG label (a named one goes to the engine as it is: a BOM does not overrule it),
 * else UTF-16 as guessed from the file's first MiB, else none (bytes).
 */
async function openForUis(
  path: string,
  options: { readOnly?: boolean; stateDir?: string; encoding?: string },
): Promise<OpenedDocument> {
  // UTF-16 is the engine's to know (it counts lines in code units): guessed here, before it opens.
  const engineEncoding = options.encoding !== undefined ? encodingName(options.encoding) : guessedUtf16(path);
  if (options.encoding !== undefined && engineEncoding === null) {
    throw new HostError("EENCODING", `unknown or unsupported encoding: ${options.encoding}`);
  }
  const openOptions = {
    readOnly: options.readOnly ?? false,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    ...(options.encoding !== undefined || engineEncoding?.startsWith("utf-16")
      ? { encoding: engineEncoding! }
      : {}),
  };
  try {
    return { doc: await open(path, openOptions), readOnlyReason: null };
  } catch (error) {
    if ((error as { code?: string }).code !== "ESESSIONLOCKED") throw error;
    const doc = await open(path, { ...openOptions, readOnly: true });
    // In a UI's words (the engine's message names the scripting option).
    const pid = (error as { holderPid?: number | null }).holderPid;
    const readOnlyReason =
      `another Gigapad${pid ? ` (pid ${pid})` : ""} is editing this file; ` +
      "close it there and open it again to edit it here";
    return { doc, readOnlyReason };
  }
}

export class HostedDocument {
  private readonly channels = new Set<Channel>();
  /** The content versions and the queue changes run on; it outlives reopening. */
  private readonly changes: ChangeQueue;
  /** What serves the UIs over the engine Document open now. */
  private parts: DocumentParts;
  /** Where each UI's requests go (see request-dispatch.ts), for the parts open now. */
  private targets: RequestTargets;
  /** A reopen under way: requests wait for it. */
  private reopening: Promise<void> | null = null;
  /** A Save with Encoding's conversion under way (cancelSave stops it). */
  private conversion: AbortController | null = null;
  /** Where UIs' Save As is confined (confineSaveAs), or null. */
  private saveAsRoot: string | null;

  private constructor(
    opened: OpenedDocument,
    /** The options it was opened with (`gigapad serve` opens the folder's other files alike). */
    readonly options: HostedDocumentOptions,
  ) {
    this.saveAsRoot = options.saveAsRoot ?? null;
    this.changes = new ChangeQueue(() => this.doc.path);
    this.parts = this.compose(opened, { encoding: options.encoding });
    this.targets = this.targetsOf(this.parts);
  }

  /**
   * Opens a document for UIs. If another process is editing it, opens it read-only and says so
   * (the UI shows why) instead of failing. Other errors (ENOENT, EISDIR, EACCES...) are thrown.
   */
  static async open(path: string, options: HostedDocumentOptions = {}): Promise<HostedDocument> {
    return new HostedDocument(await openForUis(path, options), options);
  }

  /** The engine Document shown now (another one after a reopen). */
  get doc(): Document {
    return this.parts.doc;
  }

  /**
   * From now on a UI's Save As resolves its path against the document's folder and writes only
   * inside `root`'s tree (symlinks leading out refused), replacing an existing file other than
   * the document only when the request says `force` (see save-target.ts).
   */
  confineSaveAs(root: string): void {
    this.saveAsRoot = root;
    this.parts.saves.confine(root);
  }

  /** Connects a UI. It sends `hello` first; it is dropped when its channel closes. */
  attach(channel: Channel): void {
    this.channels.add(channel);
    channel.onMessage((message) => {
      void this.receive(channel, message);
    });
    channel.onClose(() => this.detach(channel));
  }

  /**
   * Handles one message from a UI; every outcome is exactly one reply (or none for a non-request).
   * While a reopen is queued or running, requests wait for it and then go to the new parts (a
   * cancelSave goes through at once: it may be what the reopen waits for).
   */
  async receive(channel: Channel, message: unknown): Promise<void> {
    const cancel = (message as { type?: unknown } | null)?.type === "cancelSave";
    while (this.reopening && !cancel) await this.reopening;
    return receiveRequest(this.targets, channel, message);
  }

  /**
   * Reads the same bytes in another encoding from now on: a new version (edits made against the
   * old text are refused), and every UI is told to reload what it shows. Nothing on disk changes.
   * Refused while there are unsaved edits (their text was typed in the old encoding).
   */
  reopenWithEncoding(label: string): Promise<DocumentInfo> {
    return this.reopenTurn(async () => {
      if (this.doc.modified) {
        throw new HostError(
          "EMODIFIED",
          "save or undo your edits first: they were typed in the encoding shown now",
        );
      }
      // Opened anew in the engine in it: the engine counts UTF-16 in code units, and a session
      // made from here on keeps the encoding (hot exit reads the edits back in it).
      await this.reopenInQueue({ encoding: codecOf(label).encoding });
      const info = this.info();
      this.broadcast({ event: "reopened", info });
      return info;
    });
  }

  /**
   * Reads the file at the document's path anew — another program replaced it (a log rotated) or
   * truncated it — and shows it to every UI. Refused with unsaved edits (EMODIFIED) unless
   * `discardEdits`: they were made to the text that was replaced.
   */
  reopenFile({
    discardEdits,
    baseVersion,
  }: {
    discardEdits: boolean;
    baseVersion?: number;
  }): Promise<DocumentInfo> {
    return this.reopenTurn(async () => {
      if (this.doc.modified && !discardEdits) {
        throw new HostError(
          "EMODIFIED",
          "you have unsaved edits to the text that was replaced: Save As to keep them, or discard them",
        );
      }
      // Only the edits the user saw when deciding are discarded: any made since (in this window
      // or another) make the decision stale.
      if (discardEdits && this.doc.modified && baseVersion !== this.changes.version) {
        throw new HostError(
          "ESTALE",
          "the text changed since you chose to discard your edits; nothing was discarded",
        );
      }
      const encoding = this.parts.encoding.codec.encoding;
      const named = this.doc.encoding !== null || this.options.encoding !== undefined;
      await this.reopenInQueue(named ? { encoding } : {}, { discard: discardEdits });
      const info = this.info();
      this.broadcast({ event: "reopened", info });
      return info;
    });
  }

  /**
   * Save with Encoding: the whole text converted to `label` and saved the normal atomic way, then
   * the file opened anew in it (the undo history starts there: the old steps were bytes of the
   * old encoding). If some characters cannot be written in it, nothing is changed and EUNWRITABLE
   * says how many, unless `force` (they become `?`). From UTF-16, unsaved edits are saved first
   * (the engine reads a UTF-16 document in code units and converts bytes), then converted.
   * Cancellable (cancelSave) until the file is written: it is then left as it was. UIs' other
   * requests wait for it (the text is in neither encoding while it runs).
   */
  async saveWithEncoding(
    label: string,
    { force }: { force: boolean },
  ): Promise<{ length: number; info: DocumentInfo }> {
    const length = await this.reopenTurn(async () => {
      const target = codecOf(label);
      const source = this.parts.encoding.codec;
      if (target.encoding === source.encoding) return null;
      this.checkWritable(source, target, { force });
      return this.convertAndSave(source, target);
    });
    const info = this.info();
    if (length !== null) this.broadcast({ event: "reopened", info });
    return { length: length ?? this.doc.length, info };
  }

  /** Stops a running save, or a Save with Encoding's conversion. */
  cancelSave(): Record<string, never> {
    this.conversion?.abort();
    return this.parts.saves.cancel();
  }

  /** Throws EUNWRITABLE (unless `force`) if some characters of the text cannot be written in `target`: a dry run, changing nothing. */
  private checkWritable(source: TextCodec, target: TextCodec, { force }: { force: boolean }): void {
    const dryRun = transcoder(source, target);
    for (let at = 0; at < this.doc.length || at === 0; at += DRY_RUN_CHUNK_BYTES) {
      const end = Math.min(this.doc.length, at + DRY_RUN_CHUNK_BYTES);
      dryRun.transform(this.doc.read(at, end), end === this.doc.length);
      if (end === this.doc.length) break;
    }
    if (dryRun.unwritable > 0 && !force) {
      throw new HostError(
        "EUNWRITABLE",
        `${dryRun.unwritable} character${dryRun.unwritable === 1 ? "" : "s"} cannot be written in ` +
          `${target.encoding}; saving in it would write them as ?`,
      );
    }
  }

  /**
   * Save with Encoding's work, in the queue's turn: the edits saved first (in the old encoding), the
   * text converted (into the add buffer, piece by piece), saved, and the file opened anew in
   * `target`. The session names `target` before the save commits the converted text, so a crash
   * mid-save restores it in `target`. On failure or cancel before the file is written, the file is
   * read again as it was saved (the converted text dropped with its session) and the error thrown.
   * Returns the saved length.
   */
  private async convertAndSave(source: TextCodec, target: TextCodec): Promise<number> {
    const conversion = new AbortController();
    this.conversion = conversion;
    let editsSaved = false;
    let started = false;
    try {
      // The conversion then starts from the file as it is on disk: undoing it is reading the file.
      if (this.doc.modified) {
        await this.parts.saves.saveInQueue({});
        editsSaved = true;
      }
      conversion.signal.throwIfAborted();
      // A save would refuse a file another program changed: refused before anything is converted.
      if (diskStateOf(this.doc.path, this.doc.originalFile.identity) !== "unchanged") {
        throw new HostError(
          "EFILECHANGED",
          `${basename(this.doc.path)} changed on disk (another program wrote to it); nothing was converted`,
        );
      }
      started = true;
      // The engine counts a UTF-16 document in code units and converts bytes: opened as bytes.
      if (this.doc.encoding?.startsWith("utf-16")) await this.reopenInQueue({ encoding: "utf-8" });
      await this.doc.rewrite(transcoder(source, target).transform, {
        signal: conversion.signal,
        onProgress: (progress) => this.broadcast({ event: "saveProgress", ...progress }),
      });
      conversion.signal.throwIfAborted();
      this.doc.labelSessionEncoding(target.encoding);
      const { length } = await this.parts.saves.saveInQueue({});
      started = false;
      await this.reopenInQueue({ encoding: target.encoding });
      return length;
    } catch (error) {
      // The file is as the conversion found it: read it again, the converted text dropped.
      if (started) await this.reopenInQueue({ encoding: source.encoding }, { discard: true }).catch(() => {});
      if (conversion.signal.aborted) {
        throw new HostError(
          "EABORTED",
          editsSaved
            ? `Save with Encoding was cancelled: your edits were saved in ${source.encoding}, not converted`
            : "Save with Encoding was cancelled; the file is as it was",
        );
      }
      throw error;
    } finally {
      this.conversion = null;
    }
  }

  /** What a UI shows about the document. */
  info(): DocumentInfo {
    return this.parts.info(this.changes.version, this.options.follow ?? false);
  }

  /**
   * The window the editor opens on (the document's start, as the page's quick first request cuts
   * it): `gigapad serve` draws its first lines into the page.
   */
  firstWindow(): DocumentWindow {
    return this.parts.firstWindow();
  }

  /**
   * Saves the document (to `path`, for save-as) after every edit already received, as a UI's
   * save request does; every UI hears the progress and the result. The desktop app's close
   * prompt uses it directly.
   */
  async saveNow(target: SaveTarget = {}): Promise<SaveResult> {
    while (this.reopening) await this.reopening;
    return this.parts.saves.save(target);
  }

  /** Commits what is not yet committed (autosave would, soon); resolves when durable. */
  async flush(): Promise<void> {
    await this.changes.idle();
    while (this.reopening) await this.reopening;
    await this.parts.flush();
  }

  /** Closes the document: edits are committed and kept in the session (hot exit). */
  async close(): Promise<void> {
    if (!this.beginClosing()) return;
    await this.changes.idle();
    await this.parts.retire({ discard: false });
  }

  /** Closes the document and drops its session: unsaved edits are gone ("Don't save"). */
  async discard(): Promise<void> {
    if (!this.beginClosing()) return;
    await this.changes.idle();
    await this.parts.retire({ discard: true });
  }

  /**
   * What close and discard both do first: refuse further changes, stop watching the file, stop
   * a running save. False if the document is closed (or closing) already.
   */
  private beginClosing(): boolean {
    if (this.changes.closed) return false;
    this.changes.close();
    this.parts.disk.stop();
    this.parts.saves.cancel();
    this.conversion?.abort();
    this.parts.edits.abort();
    this.parts.searches.abortAll();
    return true;
  }

  /**
   * The file opened anew in the engine (in `encoding`, a WHATWG label, if given), in the queue's
   * turn, UIs' requests held meanwhile: the parts over the old Document retire (its edits
   * committed, or dropped with `discard`), new ones are composed, and the version moves on. If the
   * file cannot be opened so, it is opened again as it was and the error is thrown. UIs are not
   * told: the caller says `reopened` when done.
   */
  private async reopenInQueue(
    { encoding }: { encoding?: string },
    { discard = false }: { discard?: boolean } = {},
  ): Promise<void> {
    const old = this.parts;
    const path = old.doc.path;
    const before = old.doc.encoding ?? undefined;
    // Only a file that can be opened is worth letting go of the one open now.
    checkOpenable(path);
    try {
      // With no unsaved edits the session has nothing to keep, and it would hold the document to
      // the encoding it was made in (the engine replays edits only under their line-feed rule).
      await old.retire({ discard: discard || (!old.doc.modified && !old.doc.readOnly) });
    } catch {
      // Closed, if not cleanly: what matters now is opening it again.
    }
    // Read-only as the user asked, not because another Gigapad held it then (open() says so again).
    const openOptions = {
      readOnly: this.options.readOnly ?? false,
      ...(this.options.stateDir ? { stateDir: this.options.stateDir } : {}),
    };
    const attempts: { encoding?: string; readOnly?: boolean }[] = [
      encoding !== undefined ? { encoding } : {},
      before !== undefined ? { encoding: before } : {},
      { ...(before !== undefined ? { encoding: before } : {}), readOnly: true },
    ];
    let failure: unknown = null;
    for (const [index, attempt] of attempts.entries()) {
      try {
        const opened = await openForUis(path, { ...openOptions, ...attempt });
        // Read in the encoding asked for (a user's choice: no "guess"), else as the open found it.
        this.parts = this.compose(opened, index === 0 && encoding !== undefined ? { encoding } : {});
        this.targets = this.targetsOf(this.parts);
        this.changes.nextVersion();
        if (index > 0) throw failure;
        return;
      } catch (error) {
        if (this.parts !== old) throw error; // opened, as it was: the first attempt's error
        failure ??= error;
      }
    }
    // Not even read-only: nothing is left to show. UIs hear why; requests get ECLOSED from now on.
    this.changes.close();
    const message = failure instanceof Error ? failure.message : String(failure);
    this.broadcast({
      event: "error",
      code: "ECLOSED",
      message: `${path} could not be opened again: ${message}`,
    });
    throw failure;
  }

  /**
   * Runs `work` — a reopen, or a change that reopens — in the change queue's turn, with UIs'
   * requests held from now until it is done: queued behind it they would reach the parts it retires.
   */
  private reopenTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.holdingRequests(() => this.changes.run(work));
  }

  /** Runs `work` with UIs' requests waiting until it is done (but a cancelSave); turns nest. */
  private async holdingRequests<T>(work: () => Promise<T>): Promise<T> {
    const held = this.reopening;
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    // Requests wait for this turn and every one queued before it.
    this.reopening = held ? Promise.all([held, done]).then(() => {}) : done;
    const mine = this.reopening;
    try {
      return await work();
    } finally {
      settle();
      if (this.reopening === mine) this.reopening = null;
    }
  }

  /** The parts serving UIs over `opened`. */
  private compose(opened: OpenedDocument, { encoding }: { encoding?: string | undefined }): DocumentParts {
    const { options } = this;
    return new DocumentParts(
      opened.doc,
      {
        changes: this.changes,
        broadcast: (event) => this.broadcast(event),
        send: (channel, message) => this.send(channel, message),
      },
      {
        ...(encoding !== undefined ? { encoding } : {}),
        ...(options.autosave !== undefined ? { autosave: options.autosave } : {}),
        ...(options.diskCheckMs !== undefined ? { diskCheckMs: options.diskCheckMs } : {}),
        ...(options.findInRangeMs !== undefined ? { findInRangeMs: options.findInRangeMs } : {}),
        saveAsRoot: this.saveAsRoot,
      },
      opened.readOnlyReason,
    );
  }

  private targetsOf(parts: DocumentParts): RequestTargets {
    return {
      changes: this.changes,
      reads: parts.reads,
      searches: parts.searches,
      edits: parts.edits,
      saves: parts.saves,
      filters: parts.filters,
      info: () => this.info(),
      flush: () => this.flush(),
      reopenWithEncoding: (label) => this.reopenWithEncoding(label),
      reopenFile: (options) => this.reopenFile(options),
      saveWithEncoding: (label, options) => this.saveWithEncoding(label, options),
      cancelSave: () => this.cancelSave(),
      send: (channel, message) => this.send(channel, message),
    };
  }

  private detach(channel: Channel): void {
    this.channels.delete(channel);
    this.parts.drop(channel);
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

/** The codec for a WHATWG label; EENCODING for one we do not read. */
function codecOf(label: string): TextCodec {
  try {
    return textCodec(label);
  } catch (error) {
    if (error instanceof RangeError) throw new HostError("EENCODING", error.message);
    throw error;
  }
}

/** Throws what opening `path` would (missing, a directory, unreadable) before anything is let go. */
function checkOpenable(path: string): void {
  const stat = statSync(path);
  if (stat.isDirectory()) throw new HostError("EISDIR", `${path} is a folder now, not a file`);
  closeSync(openSync(path, "r"));
}
