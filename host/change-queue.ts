/**
 * The hosted document's content versions and its queue of changes. UIs edit against a version
 * number (see protocol/messages.ts, "Versions"); every content change — an edit, an undo, a
 * replaceAll, an append taken in — makes a new one. Changes (and saves, which must not interleave
 * with them) run one after another in arrival order, so a save's edits wait for it instead of
 * failing and a UI's pipelined edits apply in order. Once closed, queued work is refused (ECLOSED).
 *
 * An append taken in (follow) only adds bytes at the end, so an edit made before it that stays
 * clear of the old end is still right as it is: a change whose base differs from the current
 * version only by appends is accepted when it reaches no further than the old end. A UI that
 * pipelines edits numbers them as if no append came between (v + 1 after its edit against v):
 * each UI's last accepted edit is remembered so its next base is read in the host's numbering.
 */
import { HostError } from "./host-error.js";

/** What a change reaches: the largest offset it touches (an insert at its offset touches it). */
export interface ChangeReach {
  end: number;
}

export class ChangeQueue {
  private current = 0;
  /** The versions made by appends since the last other change: version → length before it. */
  private readonly appendedAt = new Map<number, number>();
  /** Per UI, its last edit accepted across appends: its base, and the version it made. */
  private readonly lastEdits = new WeakMap<object, { base: number; made: number }>();
  private tail: Promise<unknown> = Promise.resolve();
  private isClosed = false;

  /** `path`: the document's path now, for the ECLOSED message. */
  constructor(private readonly path: () => string) {}

  /** The content version UIs edit against. */
  get version(): number {
    return this.current;
  }

  /** Closing has begun: nothing more runs. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** A content change happened: the next version number (returned). */
  nextVersion(): number {
    this.appendedAt.clear();
    return ++this.current;
  }

  /** Bytes were appended after `lengthBefore` (nothing else changed): the next version number. */
  nextAppendedVersion(lengthBefore: number): number {
    this.current++;
    this.appendedAt.set(this.current, lengthBefore);
    return this.current;
  }

  /** Runs `work` after every earlier change; its outcome does not affect the next one's turn. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      this.throwIfClosed();
      return work();
    });
    this.tail = run.catch(() => {});
    return run;
  }

  /** Throws ECLOSED once closing has begun. */
  throwIfClosed(): void {
    if (this.isClosed) throw new HostError("ECLOSED", `${this.path()} was closed`);
  }

  /**
   * `baseVersion` as `ui` sent it, in the host's numbering: the version after its last edit when
   * it names the one after that edit's base (it pipelined, not knowing of the appends between).
   */
  baseOf(ui: object, baseVersion: number): number {
    const last = this.lastEdits.get(ui);
    return last !== undefined && baseVersion === last.base + 1 ? last.made : baseVersion;
  }

  /** `ui`'s edit against `baseVersion` (as it sent it) made the current version. */
  edited(ui: object, baseVersion: number): void {
    if (this.current === baseVersion + 1) this.lastEdits.delete(ui);
    else this.lastEdits.set(ui, { base: baseVersion, made: this.current });
  }

  /**
   * Throws ESTALE unless a change made against `baseVersion` may apply now: it is the current
   * version, or — for a change reaching no further than `reach.end` — every version since was an
   * append and the change stays before the end the document had then.
   */
  checkBase(baseVersion: number, reach?: ChangeReach): void {
    if (baseVersion !== this.current && !(reach && this.onlyAppendedSince(baseVersion, reach))) {
      throw new HostError(
        "ESTALE",
        `the edit was made against version ${baseVersion}, but the document is at version ${this.current} ` +
          "(changed in another window); showing the current text",
      );
    }
  }

  /** Whether every version after `baseVersion` was an append, all past `reach.end`. */
  private onlyAppendedSince(baseVersion: number, reach: ChangeReach): boolean {
    if (baseVersion >= this.current) return false;
    for (let version = baseVersion + 1; version <= this.current; version++) {
      if (!this.appendedAt.has(version)) return false;
    }
    return reach.end < this.appendedAt.get(baseVersion + 1)!;
  }

  /** Refuses every change from now on (those queued already fail with ECLOSED). */
  close(): void {
    this.isClosed = true;
  }

  /** Resolves (never rejects) once the changes queued so far have run. */
  idle(): Promise<void> {
    return this.tail.then(() => {});
  }
}
