/**
 * What the host does when another program changes the document's file. The file is watched two
 * ways: a stat every `diskCheckMs` (disk-watch.ts), and the system's write notifications
 * (inotify and the like), so a log's new lines show within a blink rather than at the next poll.
 * A file that grew is **followed**: the appended bytes are taken in at the end of the text (a new
 * content version, `appended`), also under unsaved edits — after text typed at the file's old end,
 * and after what is left when an edit deleted that end (the rule: piece-table/follow-tail.ts).
 * Any other change — or growth the document refused, with the reason — is told to the UIs as a
 * warning in words (`fileChanged`).
 */
import { type FSWatcher, watch } from "node:fs";
import { basename } from "node:path";
import type { Document } from "../piece-table/index.js";
import type { FollowRefusal } from "../piece-table/internal.js";
import type { HostEvent } from "../protocol/index.js";
import type { ChangeQueue } from "./change-queue.js";
import { type DiskState, DiskWatch } from "./disk-watch.js";

/** A write the system reports is looked at after this long (writes coalesce meanwhile). */
const FOLLOW_CHECK_MS = 100;

/** What the watch needs of its host. */
export interface DiskChangesHost {
  readonly doc: Document;
  readonly changes: ChangeQueue;
  /** Appended bytes are not indexed yet: the line index takes them in. */
  reindex(): void;
  /** The line count for the `appended` event (null while the index is being built). */
  lineCount(): number | null;
  broadcast(event: HostEvent): void;
}

export class DiskChanges {
  private readonly disk: DiskWatch;
  /** The file's write notifications (null where the platform gives none). */
  private writes: FSWatcher | null = null;
  private writeCheck: NodeJS.Timeout | null = null;
  /** An append is being taken in. */
  private appending = false;
  /** Why the document did not take in what was last appended (null: taken in, or no append). */
  private refused: FollowRefusal | null = null;
  /** Stopped (the document closes, or is read anew): nothing more is taken in or told. */
  private stopped = false;

  constructor(
    private readonly host: DiskChangesHost,
    /** How often the file is stat'ed (DiskWatch's default when absent). */
    checkEveryMs?: number,
  ) {
    const { doc } = host;
    this.disk = new DiskWatch(
      // The file as last taken in (an undo past a save reads the replaced one: no change on disk).
      () => ({ path: doc.path, identity: doc.fileOnDisk.identity }),
      (state) => this.changed(state),
      checkEveryMs,
    );
    this.watchWrites();
  }

  /** The file's state as of the last look. */
  get lastState(): DiskState {
    return this.disk.lastState;
  }

  /** Runs `work` (our own save) unwatched, then takes the file as it is then for unchanged. */
  whilePaused<T>(work: () => Promise<T>): Promise<T> {
    return this.disk.whilePaused(work);
  }

  /** Another program may have written while the save ran (the watch was paused): say so now. */
  reportAfterSave(): void {
    if (this.disk.lastState !== "unchanged") this.changed(this.disk.lastState);
  }

  /** Stops watching (the document closes). */
  stop(): void {
    this.stopped = true;
    this.disk.stop();
    this.writes?.close();
    if (this.writeCheck) clearTimeout(this.writeCheck);
  }

  /**
   * Checks the file as soon as the system says it was written; the poll stays as the fallback
   * (some filesystems never tell). Checks are at most one per FOLLOW_CHECK_MS.
   */
  private watchWrites(): void {
    const { changes } = this.host;
    try {
      this.writes = watch(this.host.doc.path, { persistent: false }, () => {
        if (this.writeCheck || changes.closed) return;
        this.writeCheck = setTimeout(() => {
          this.writeCheck = null;
          if (!changes.closed) this.disk.check();
        }, FOLLOW_CHECK_MS);
      });
      this.writes.on("error", () => this.writes?.close());
    } catch {
      this.writes = null; // polling alone
    }
  }

  private changed(state: DiskState): void {
    if (this.stopped) return;
    if (state === "modified" && !this.appending) {
      this.appending = true;
      void this.takeInAppended()
        .catch(() => false)
        .then((taken) => {
          this.appending = false;
          if (this.host.changes.closed || this.stopped) return;
          if (!taken) {
            if (this.disk.lastState === "modified") this.tell("modified");
            return;
          }
          // More may have come while this one was taken in (settle() saw it): take that in too.
          this.disk.check();
          if (this.disk.lastState === "modified") this.changed("modified");
        });
      return;
    }
    if (state === "modified") return; // the append being taken in will report
    this.tell(state);
  }

  /**
   * The file grew on disk. The document takes the appended bytes in after its text (a log being
   * written: no warning, the text grows; Document.adoptAppended says when it cannot under edits);
   * when it does not, or when the old bytes changed too, the UIs are told the file changed.
   */
  private async takeInAppended(): Promise<boolean> {
    const { doc, changes } = this.host;
    this.refused = null;
    let lengthBefore = doc.length;
    let version = changes.version;
    const grown = await changes.run(async () => {
      lengthBefore = doc.length;
      const { adopted, refused } = await doc.followAppended();
      this.refused = refused;
      // In the queue's turn: an edit queued behind it is checked against this version.
      if (adopted > 0) version = changes.nextAppendedVersion(lengthBefore);
      return adopted;
    });
    if (grown <= 0 || changes.closed || this.stopped) return false;
    this.disk.settle();
    const progress = doc.indexProgress;
    if (progress.bytesDone < progress.bytesTotal) this.host.reindex();
    this.host.broadcast({
      event: "appended",
      version,
      length: doc.length,
      lineCount: this.host.lineCount(),
      bytes: doc.length - lengthBefore,
      ...(doc.modified ? { modified: true } : {}),
    });
    return true;
  }

  /** Tells every UI how the file changed, in words. */
  private tell(state: DiskState): void {
    const { doc } = this.host;
    const name = basename(doc.path);
    const messages: Record<DiskState, [HostEvent & { event: "fileChanged" }, string]> = {
      unchanged: [
        { event: "fileChanged", reason: "restored", message: "" },
        `${name} on disk is again the version you are editing.`,
      ],
      modified: [
        { event: "fileChanged", reason: "modified", message: "" },
        this.refused
          ? refusedAppendMessage(name, this.refused)
          : `Another program changed ${name} on disk. What you see may mix its bytes with the old ones; ` +
            "Save will ask before overwriting.",
      ],
      replaced: [
        { event: "fileChanged", reason: "replaced", message: "" },
        `Another program replaced ${name} on disk (a log rotated?). You still see the version you opened; ` +
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
    this.host.broadcast({ ...event, message });
  }
}

/** Why the lines another program appended are not shown (Document.followAppended refused them). */
function refusedAppendMessage(name: string, refused: FollowRefusal): string {
  const why =
    refused === "before-save"
      ? "you undid past your last save, and this older text is not over the file that grows"
      : "after your edits they would begin inside a UTF-16 code unit (your text ends with an odd byte, or the file's did and you deleted it)";
  return `Another program appends to ${name}, but its new lines are not shown: ${why}. Save would replace them (it asks first).`;
}
