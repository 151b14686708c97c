/**
 * Autosave: the engine host's policy for committing a document's session on its own, so the
 * status bar can say "all edits safe" soon after typing stops. A commit runs once edits have
 * been quiet for `quietMs`, and at the latest `maxDelayMs` after the first unsaved edit, so
 * steady typing is still committed regularly.
 */
import { EventEmitter } from "node:events";
import type { Document } from "../piece-table/index.js";

export type SafetyState = "all edits safe" | "unsaved edits" | "committing" | "commit failed";

export interface AutosaveOptions {
  /** Quiet time after the last edit before committing. */
  quietMs?: number;
  /** Longest an edit waits for a commit while edits keep coming. */
  maxDelayMs?: number;
}

export interface AutosaveEvents {
  state: [SafetyState, Error | null];
}

export class Autosave extends EventEmitter<AutosaveEvents> {
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private quietTimer: NodeJS.Timeout | null = null;
  private firstUnsavedAt: number | null = null;
  private running: Promise<void> | null = null;
  private current: SafetyState = "all edits safe";
  private lastError: Error | null = null;
  private readonly onChanged = () => this.edited();

  constructor(
    private readonly doc: Document,
    options: AutosaveOptions = {},
  ) {
    super();
    this.quietMs = options.quietMs ?? 300;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    doc.on("changed", this.onChanged);
  }

  get state(): SafetyState {
    return this.current;
  }

  /** Commits now (also what a UI calls on blur or before quitting); resolves when done. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.running) await this.running;
    if (this.doc.allEditsSafe) {
      if (this.current !== "commit failed") this.setState("all edits safe");
      return;
    }
    this.setState("committing");
    this.running = this.doc
      .commit()
      .then(
        () => {
          this.firstUnsavedAt = null;
          this.setState(this.doc.allEditsSafe ? "all edits safe" : "unsaved edits");
          if (!this.doc.allEditsSafe) this.schedule();
        },
        (error: Error) => {
          // A version from before a save too large to keep in the session: not a failure of the
          // session; saving it (or an undo/redo back) makes it safe.
          if ((error as NodeJS.ErrnoException).code === "EVERSIONTOOLARGE") this.setState("unsaved edits");
          else this.setState("commit failed", error);
        },
      )
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  /** Stops watching the document (a pending commit is flushed first). */
  async stop(): Promise<void> {
    this.doc.off("changed", this.onChanged);
    await this.flush();
  }

  private edited(): void {
    if (this.current === "commit failed") return;
    this.firstUnsavedAt ??= Date.now();
    if (this.current !== "committing") this.setState("unsaved edits");
    this.schedule();
  }

  private schedule(): void {
    this.clearTimer();
    const waited = Date.now() - (this.firstUnsavedAt ?? Date.now());
    const delay = Math.max(0, Math.min(this.quietMs, this.maxDelayMs - waited));
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      void this.flush();
    }, delay);
  }

  private clearTimer(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
  }

  private setState(state: SafetyState, error: Error | null = null): void {
    if (state === this.current && error === this.lastError) return;
    this.current = state;
    this.lastError = error;
    this.emit("state", state, error);
  }
}
