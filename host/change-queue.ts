/**
 * The hosted document's content versions and its queue of changes. UIs edit against a version
 * number (see protocol/messages.ts, "Versions"); every content change — an edit, an undo, a
 * replaceAll, an append taken in — makes a new one. Changes (and saves, which must not interleave
 * with them) run one after another in arrival order, so a save's edits wait for it instead of
 * failing and a UI's pipelined edits apply in order. Once closed, queued work is refused (ECLOSED).
 */
import { HostError } from "./host-error.js";

export class ChangeQueue {
  private current = 0;
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
    return ++this.current;
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

  /** Throws ESTALE unless a change made against `baseVersion` may apply now. */
  checkBase(baseVersion: number): void {
    if (baseVersion !== this.current) {
      throw new HostError(
        "ESTALE",
        `the edit was made against version ${baseVersion}, but the document is at version ${this.current} ` +
          "(changed in another window); showing the current text",
      );
    }
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
