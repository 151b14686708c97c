/**
 * Saving the hosted document for its UIs: Save and Save As (a browser's Save As confined to a
 * folder tree, see save-target.ts), in the change queue's order — after every edit already
 * received, before any that comes later — with progress and the result told to every UI, and
 * cancellable. A save makes the file the document's original: the line index and the watch on
 * the file start over.
 */
import { realpathSync } from "node:fs";
import { basename } from "node:path";
import type { Document } from "../piece-table/index.js";
import type { HostEvent, Request } from "../protocol/index.js";
import type { ChangeQueue } from "./change-queue.js";
import { confinedSaveTarget } from "./save-target.js";

/** What the saves need of their host. */
export interface SaveHost {
  readonly doc: Document;
  readonly changes: ChangeQueue;
  /** Runs the save with the disk watch paused (our own rename is not "changed by another program"). */
  whileDiskWatchPaused<T>(work: () => Promise<T>): Promise<T>;
  /** After a save: the line index starts over, and a change made meanwhile on disk is reported. */
  afterSave(): void;
  /** Commits what is not yet committed; resolves when durable. */
  flushAutosave(): Promise<void>;
  broadcast(event: HostEvent): void;
}

/** A save's target: the document's own file (`path` absent), or a new path (Save As). */
export interface SaveTarget {
  path?: string | null;
  /** Overwrite what another program changed on disk (the UI has asked the user). */
  force?: boolean;
}

export type SaveResult = { length: number; path?: string };

export class SaveRequests {
  private saveAbort: AbortController | null = null;
  /** Save As from UIs writes only under this folder (real path), or anywhere when null. */
  private root: string | null = null;

  constructor(private readonly host: SaveHost) {}

  /** The folder tree a UI's Save As may write in (real path), or null: anywhere. */
  get saveAsRoot(): string | null {
    return this.root;
  }

  /**
   * From now on a UI's Save As resolves its path against the document's folder and writes only
   * inside `root`'s tree (symlinks leading out refused), replacing an existing file other than
   * the document only when the request says `force` (see save-target.ts).
   */
  confine(root: string): void {
    this.root = realpathSync(root);
  }

  /** Saves (to `path`, for save-as) in the change queue's order; every UI hears the outcome. */
  save({ path = null, force = false }: SaveTarget = {}): Promise<SaveResult> {
    return this.host.changes.run(() => this.write(path, { force }));
  }

  /** Saves as `save` does, for a caller already in the change queue's turn (it would wait for itself). */
  saveInQueue({ path = null, force = false }: SaveTarget = {}): Promise<SaveResult> {
    this.host.changes.throwIfClosed();
    return this.write(path, { force });
  }

  /** A UI's Save As: confined to the root, if there is one, at the moment it comes to run. */
  saveAs(request: Extract<Request, { type: "saveAs" }>): Promise<SaveResult> {
    const force = request.force ?? false;
    const root = this.root;
    const { doc } = this.host;
    return this.host.changes.run(() =>
      this.write(root === null ? request.path : confinedSaveTarget(request.path, doc.path, root, { force }), {
        force,
      }),
    );
  }

  /** Stops the running save (the file stays as it was). */
  cancel(): Record<string, never> {
    this.saveAbort?.abort();
    return {};
  }

  private async write(path: string | null, { force }: { force: boolean }): Promise<SaveResult> {
    const { doc } = this.host;
    const abort = new AbortController();
    this.saveAbort = abort;
    try {
      const options = { force, signal: abort.signal };
      await this.host.whileDiskWatchPaused(() =>
        path === null ? doc.save(options) : doc.saveAs(path, options),
      );
    } finally {
      this.saveAbort = null;
    }
    this.host.afterSave();
    await this.host.flushAutosave();
    this.host.broadcast({
      event: "saved",
      path: doc.path,
      name: basename(doc.path),
      length: doc.length,
      version: this.host.changes.version,
    });
    return path === null ? { length: doc.length } : { length: doc.length, path: doc.path };
  }
}
