/**
 * What the window editor is doing, in one place: the mutable state its parts (loading, sliding,
 * edit sync, the wide selection) share. Where the window sits in the document is CodeMirror's
 * state (window-state.ts); this is the rest — loads and slides under way, edits in flight, work
 * that pauses editing, scrolls asked for and not yet carried out, the selection kept as bytes —
 * with the transitions between them named. Plain data and rules: no DOM, no CodeMirror.
 *
 * A load supersedes every load and slide before it (each takes a new token; an answer under an
 * old token is dropped). A window may be shown only if it was read at the version of everything
 * typed (no edit in flight). The window may slide only when nothing loads, slides or edits.
 */

/** A selection kept as bytes because it reaches outside the window. */
export interface WideSelection {
  anchor: number;
  head: number;
  /** Where the head was, as the status bar shows it, if known. */
  line?: number | null;
  column?: number | null;
}

/** Whether a selection spanning `bytes` leaves the window [start, end]. */
export function leavesWindow(bytes: { anchor: number; head: number }, start: number, end: number): boolean {
  return Math.min(bytes.anchor, bytes.head) < start || Math.max(bytes.anchor, bytes.head) > end;
}

/** Follow mode: "on" keeps the end of a growing file in view; scrolling up pauses it. */
export type FollowMode = "off" | "on" | "paused";

/** What an edit's answer leaves to do. */
export type EditAnswer =
  /** Other edits are still in flight. */
  | { next: "wait" }
  /** The last edit in flight is answered and none was refused. */
  | { next: "settled" }
  /** One was refused: show what the engine has, then this message. */
  | { next: "resync"; message: string };

export class WindowActivity {
  // ----- loads and slides ------------------------------------------------------------------------
  /** Loads started so far: a load or slide begun under an older count is superseded. */
  jumps = 0;
  /** A load (a jump, or a reload after undo) is on its way. */
  loading = false;
  /** A slide is on its way. */
  sliding = false;
  /** The load whose grow to the full window waits for the next frame, if any. */
  growPending: number | null = null;

  // ----- edits -----------------------------------------------------------------------------------
  /** The version after every edit sent so far. */
  expectedVersion: number;
  /** Edits sent and not yet answered. */
  editsInFlight = 0;
  /** Why an edit in flight was refused: shown once all are answered and the window resynced. */
  private refusal: string | null = null;
  /** Work running with editing paused (undo, replace, a wide replacement). */
  busy = 0;

  // ----- scrolling -------------------------------------------------------------------------------
  /** A scroll was dispatched and CodeMirror has not carried it out yet: slide decisions wait. */
  scrollPending = false;
  /** A slide check waits for CodeMirror's next measure. */
  slideCheckQueued = false;
  private scrollFrame = 0;

  // ----- the selection and the view's modes -------------------------------------------------------
  /** The selection, when it reaches outside the window. */
  wide: WideSelection | null = null;
  /** Soft wrap of long lines. */
  wrap = false;
  follow: FollowMode = "off";
  /** Lines in the document as estimated from the first window, while the index counts them. */
  lineEstimate: number | null = null;

  constructor(version: number) {
    this.expectedVersion = version;
  }

  /** No edit in flight and no exclusive work running. */
  get settled(): boolean {
    return this.editsInFlight === 0 && this.busy === 0;
  }

  /** A window is being loaded, grown or slid (benchmarks wait for it to settle). */
  get inMotion(): boolean {
    return this.loading || this.sliding || this.growPending !== null;
  }

  /** Whether a slide may start (or a slide check run): nothing loads, slides or edits. */
  get maySlide(): boolean {
    return !this.sliding && !this.loading && this.settled;
  }

  /** Whether the cursor may move inside the window without a load (nothing under way). */
  get mayMoveInWindow(): boolean {
    return !this.loading && !this.sliding && this.busy === 0 && this.growPending === null;
  }

  /** Whether `token` is the newest load's. */
  isCurrent(token: number): boolean {
    return token === this.jumps;
  }

  /** A load starts: it supersedes every earlier one. Returns its token. */
  startLoad(): number {
    this.loading = true;
    return ++this.jumps;
  }

  /** A move inside the window supersedes any load still travelling, as a load would. */
  supersedeLoads(): void {
    this.jumps++;
  }

  /** A load ended; true if it was the newest (then nothing loads any more). */
  endLoad(token: number): boolean {
    if (!this.isCurrent(token)) return false;
    this.loading = false;
    return true;
  }

  /** The newest load will grow to the full window in a frame. */
  scheduleGrow(token: number): void {
    this.growPending = token;
  }

  /** The grow's frame came: true if it is still wanted (its load is the newest, nothing moves). */
  growDue(token: number): boolean {
    if (this.growPending === token) this.growPending = null;
    return this.isCurrent(token) && !this.loading && !this.sliding;
  }

  /** Whether a window read at `version` shows what was typed (no edit since, none in flight). */
  fits(version: number): boolean {
    return version === this.expectedVersion && this.editsInFlight === 0;
  }

  /** An edit is sent: returns the version it was typed on. */
  editSent(): number {
    const baseVersion = this.expectedVersion;
    this.expectedVersion++;
    this.editsInFlight++;
    return baseVersion;
  }

  /** An edit was answered: accepted (refusal null) or refused for the reason given. */
  editAnswered(refusal: string | null): EditAnswer {
    if (refusal !== null) this.refusal = refusal;
    this.editsInFlight--;
    if (this.editsInFlight > 0) return { next: "wait" };
    if (this.refusal !== null) {
      const message = this.refusal;
      this.refusal = null;
      return { next: "resync", message };
    }
    return { next: "settled" };
  }

  /** A scroll is dispatched; returns its number, to tell when it has been carried out. */
  scrollAsked(): number {
    this.scrollPending = true;
    return ++this.scrollFrame;
  }

  /** Scroll `frame` has been carried out; false if a newer one was asked for since. */
  scrollDone(frame: number): boolean {
    if (frame !== this.scrollFrame) return false;
    this.scrollPending = false;
    return true;
  }
}
