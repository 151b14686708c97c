/**
 * The changes UIs make to the hosted document: edits against a version, undo and redo, and
 * replaceAll (long, cancellable, with progress). Each runs in its turn on the change queue, makes
 * a new content version, and is told to every UI — the one that made it hears its reply first.
 */
import type { Document, ScanProgress } from "../piece-table/index.js";
import type { ByteEdit, EditResult, HostEvent, Request } from "../protocol/index.js";
import type { ChangeQueue } from "./change-queue.js";
import type { Channel } from "./channel.js";
import { replaceWholeCharacterMatches } from "./character-boundary.js";
import { findArguments, replacementFor } from "./find-arguments.js";
import { progressThrottle } from "./progress-throttle.js";
import type { TextCodec } from "./text-codec.js";

/** What the edits need of their host. */
export interface EditHost {
  readonly doc: Document;
  readonly changes: ChangeQueue;
  /** The document's encoding now: edits' text is written in it. */
  codec(): TextCodec;
  /** The UI's running searches by id (a replaceAll is cancelled with its search id). */
  searchesOf(channel: Channel): Map<number, AbortController>;
  /** Commits what is not yet committed; resolves when durable. */
  flushAutosave(): Promise<void>;
  /** The line count for the `changed` event (null while the index is being built). */
  lineCount(): number | null;
  send(channel: Channel, event: HostEvent): void;
  broadcast(event: HostEvent): void;
}

type ReplaceAllRequest = Extract<Request, { type: "replaceAll" }>;

export class EditRequests {
  /** Aborts a running replaceAll (on close). */
  private replaceAbort: AbortController | null = null;

  constructor(private readonly host: EditHost) {}

  /**
   * Applies a UI's edits made against `baseVersion` (ESTALE if another change came first; appends
   * taken in since do not count when the edits stay before the old end). `from`: the UI, whose
   * pipelined versions are read across appends (change-queue.ts).
   */
  edit(baseVersion: number, edits: ByteEdit[], from?: Channel): Promise<EditResult> {
    const { doc, changes } = this.host;
    return changes.run(() => {
      const base = from ? changes.baseOf(from, baseVersion) : baseVersion;
      changes.checkBase(base, { end: edits.reduce((end, edit) => Math.max(end, edit.end), 0) });
      const codec = this.host.codec();
      doc.applyEdits(
        edits.map((edit) => ({ start: edit.start, end: edit.end, text: codec.encode(edit.text) })),
      );
      // Characters the encoding cannot write went in as `?`: the UI says so.
      const unwritable = edits.reduce((sum, edit) => sum + codec.unwritable(edit.text), 0);
      this.changed(doc.lastChangeAt);
      if (from) changes.edited(from, baseVersion);
      if (unwritable > 0) return { version: changes.version, length: doc.length, unwritable };
      return { version: changes.version, length: doc.length };
    });
  }

  /** Undoes or redoes the last change; says whether there was one and where it happened. */
  undoOrRedo(which: "undo" | "redo") {
    const { doc, changes } = this.host;
    return changes.run(() => {
      const done = which === "undo" ? doc.undo() : doc.redo();
      const at = done ? doc.lastChangeAt : null;
      if (done) this.changed(at);
      return { done, version: changes.version, length: doc.length, at };
    });
  }

  /**
   * Replaces every match in a range. Cancellable by its search id (cancelCount) from the moment it
   * arrives — also while it waits its turn behind other changes — with progress events under that id.
   */
  replaceAll(channel: Channel, request: ReplaceAllRequest) {
    const { doc, changes } = this.host;
    const abort = new AbortController();
    const searchId = request.searchId;
    const searches = this.host.searchesOf(channel);
    if (searchId !== undefined) {
      searches.get(searchId)?.abort();
      searches.set(searchId, abort);
    }
    return changes
      .run(async () => {
        // One match's range (Replace) may be older than appends, as an edit may.
        const base = changes.baseOf(channel, request.baseVersion);
        changes.checkBase(base, request.end === undefined ? undefined : { end: request.end });
        const codec = this.host.codec();
        const [pattern, options] = findArguments(request.query, codec);
        const replacement = replacementFor(request.query, request.replacement, codec);
        // A long job: what was typed before it is committed first.
        await this.host.flushAutosave();
        abort.signal.throwIfAborted();
        this.replaceAbort = abort;
        const tooSoon = progressThrottle();
        const start = Math.min(request.start ?? 0, doc.length);
        const end = Math.max(start, Math.min(request.end ?? doc.length, doc.length));
        let count: number;
        try {
          count = await replaceWholeCharacterMatches(
            doc,
            pattern,
            replacement,
            {
              ...options,
              start,
              end,
              signal: abort.signal,
              ...(searchId === undefined
                ? {}
                : {
                    onProgress: (progress: ScanProgress) => {
                      if (tooSoon()) return;
                      this.host.send(channel, {
                        event: "replaceProgress",
                        searchId,
                        count: progress.matches,
                        scanned: progress.bytesDone,
                        total: progress.bytesTotal,
                      });
                    },
                  }),
            },
            codec.encoding,
          );
        } finally {
          this.replaceAbort = null;
        }
        if (count > 0) this.changed(doc.lastChangeAt);
        return { count, version: changes.version, length: doc.length };
      })
      .finally(() => {
        if (searchId !== undefined && searches.get(searchId) === abort) searches.delete(searchId);
      });
  }

  /** The document closes: a running replaceAll stops. */
  abort(): void {
    this.replaceAbort?.abort();
  }

  /** A content change: a new version, told to every UI (the one that made it gets its reply first). */
  private changed(at: number | null): void {
    const { doc } = this.host;
    const version = this.host.changes.nextVersion();
    // After the reply: the event goes out once the request's reply has been sent.
    queueMicrotask(() =>
      this.host.broadcast({
        event: "changed",
        version,
        length: doc.length,
        lineCount: this.host.lineCount(),
        modified: doc.modified,
        at,
      }),
    );
  }
}
