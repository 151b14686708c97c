/**
 * Keeping the engine in step with what is typed: each transaction's changes go to the engine as
 * byte-range edits against the version they were typed on, several in flight at a time; a refused
 * one makes the window show what the engine has (a resync). Work that must not race typing —
 * undo and redo, replacing a wide selection, replacing matches — runs with editing paused, in the
 * engine, and reloads the window where it happened.
 */
import type { Transaction } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";
import { editMessages } from "../protocol/edit-pieces.js";
import type { ByteEdit, FindQuery, UndoResult } from "../protocol/messages.js";
import { RequestError } from "./connection.js";
import type { KeyTarget } from "./held-keys.js";
import { byteLength } from "./text-bytes.js";
import { isByteVisible, safeTopByte } from "./viewport.js";
import { newlineOf, type WindowContext } from "./window-context.js";
import { windowOf } from "./window-state.js";

/** What the user is told when the engine refused an edit typed in the window. */
export function describeRefusal(error: unknown): string {
  if (error instanceof RequestError) {
    if (error.code === "ESTALE")
      return "The document changed in another window; your last edit was not applied.";
    if (error.code === "EDISCONNECTED") return "Edits typed while the connection was down were not applied.";
    return `Your last edit was not applied: ${error.message}`;
  }
  return `Your last edit was not applied: ${String(error)}`;
}

/** Which matches replaceMatches replaces: every one, or the one in `range`; `searchId` reports progress. */
export interface ReplaceOptions {
  range?: { start: number; end: number };
  searchId?: number;
}

export class EditSync implements KeyTarget {
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly context: WindowContext) {}

  /** The view held keys are typed into. */
  get view(): EditorView {
    return this.context.view;
  }

  /** Sends one transaction's changes to the engine, in bytes of the version it was typed on. */
  sendEdits(tr: Transaction): void {
    const { activity, connection } = this.context;
    const start = windowOf(tr.startState);
    const doc = tr.startState.doc;
    const newline = newlineOf(this.context.info);
    const edits: ByteEdit[] = [];
    tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      edits.push({
        start: start.byteAt(doc, fromA),
        end: start.byteAt(doc, toA),
        text: inserted.sliceString(0, inserted.length, newline),
      });
    });
    if (edits.length === 0) return;
    // A big paste goes as consecutive edits of bounded size (the server caps a message).
    for (const piece of editMessages(edits, { byteLength })) {
      const baseVersion = activity.editSent();
      connection.request("edit", { baseVersion, edits: piece }).then(
        (result) => {
          this.context.info = { ...this.context.info, length: result.length, version: result.version };
          this.toldUnwritable(result.unwritable);
          this.answered(null);
        },
        (error: unknown) => this.answered(describeRefusal(error)),
      );
    }
  }

  /** Says that characters the document's encoding lacks went in as `?`. */
  private toldUnwritable(count: number | undefined): void {
    if (!count) return;
    this.context.callbacks.message(
      `${count} character${count === 1 ? "" : "s"} cannot be written in ${this.context.info.encoding.toUpperCase()} ` +
        "and went in as ?. Undo, or save a copy in UTF-8 to keep them.",
      "error",
    );
  }

  private answered(refusal: string | null): void {
    const answer = this.context.activity.editAnswered(refusal);
    if (answer.next === "wait") return;
    if (answer.next === "resync") {
      void this.resync(answer.message);
      return;
    }
    for (const waiter of this.settledWaiters.splice(0)) waiter();
    this.context.slider.slideIfNeeded();
  }

  /** After a refused edit: the window shows what the engine has. */
  private async resync(message: string | null): Promise<void> {
    const { connection, activity, view } = this.context;
    try {
      const info = await connection.request("hello", { protocol: this.context.info.protocol });
      this.context.setInfo(info);
      activity.expectedVersion = info.version;
    } catch (error) {
      this.context.failed(error);
    }
    for (const waiter of this.settledWaiters.splice(0)) waiter();
    if (connection.status === "open") {
      const top = safeTopByte(view, this.context.info.length);
      await this.context.loader.show({ byte: top }, { align: "keep", keepByte: top, cursor: top });
    }
    if (message) this.context.callbacks.message(message, "error");
  }

  /**
   * Resolves when what was typed has reached the engine: no jump holding keys, none held, no edit
   * in flight (Save waits for this: Ctrl+End, typing, Ctrl+S saves the typing).
   */
  async whenInputSettled(): Promise<void> {
    const { held, activity } = this.context;
    while (held.jumping || held.holding || activity.busy > 0) await held.whenLanded();
    await this.whenSettledEdits();
  }

  /** Resolves when no edit is in flight. */
  whenSettledEdits(): Promise<void> {
    if (this.context.activity.editsInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Runs `work` with editing paused (undo, jumps that must not race typing). */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const { activity, held } = this.context;
    activity.busy++;
    this.context.updateReadOnly();
    try {
      await this.whenSettledEdits();
      return await work();
    } finally {
      activity.busy--;
      this.context.updateReadOnly();
      // Keys held behind an undo that moved nothing go on now.
      if (activity.busy === 0 && !held.jumping && !activity.loading) held.replay(this);
      held.landed();
    }
  }

  /** The engine answered a change made there: the next edit is typed on its version. */
  private changedInEngine(result: { version: number; length: number }): void {
    this.context.activity.expectedVersion = result.version;
    this.context.info = { ...this.context.info, length: result.length, version: result.version };
  }

  undoRedo(which: "undo" | "redo"): boolean {
    const { info, held, activity, view } = this.context;
    if (info.readOnly) return true;
    // Pressed while a jump travels: in order with the keys held for it.
    if (held.jumping) {
      held.hold({ kind: which });
      return true;
    }
    void this.exclusive(async () => {
      let result: UndoResult;
      try {
        result = await this.context.connection.request(which, {});
      } catch (error) {
        this.context.failed(error);
        return;
      }
      this.changedInEngine(result);
      if (!result.done) {
        this.context.callbacks.message(which === "undo" ? "Nothing to undo" : "Nothing to redo", "info");
        return;
      }
      activity.wide = null;
      const at = result.at ?? this.context.selection.cursorByte();
      const inView = isByteVisible(view, at);
      const cursor = Math.min(at, result.length);
      await this.context.loader.show(
        { byte: cursor },
        inView
          ? { align: "keep", keepByte: safeTopByte(view, this.context.info.length), cursor }
          : { align: "center", cursor },
      );
    });
    return true;
  }

  /** Replaces bytes [from, to) (a wide selection) with text, in the engine, then reloads there. */
  async replaceWide(from: number, to: number, text: string): Promise<void> {
    await this.exclusive(async () => {
      const insert = text.replace(/\n/g, newlineOf(this.context.info));
      try {
        for (const edits of editMessages([{ start: from, end: to, text: insert }], { byteLength })) {
          const baseVersion = this.context.activity.expectedVersion;
          const result = await this.context.connection.request("edit", { baseVersion, edits });
          this.toldUnwritable(result.unwritable);
          this.changedInEngine(result);
        }
      } catch (error) {
        this.context.failed(error);
        return;
      }
      this.context.activity.wide = null;
      const cursor = from + byteLength(insert);
      await this.context.loader.show({ byte: cursor }, { align: "center", cursor });
    });
  }

  /**
   * Replaces the matches of `query` (all of them, or those within `range`: one match) in the
   * engine, as one undo step, then shows the window again where it was. Editing pauses meanwhile.
   * Resolves with how many were replaced, or null if it failed or was cancelled (said elsewhere).
   */
  replaceMatches(
    query: FindQuery,
    replacement: string,
    options: ReplaceOptions = {},
  ): Promise<number | null> {
    const info = this.context.info;
    if (info.readOnly) {
      this.context.callbacks.message(`Cannot replace: ${info.readOnlyReason ?? "read-only"}`, "error");
      return Promise.resolve(null);
    }
    return this.exclusive(async () => {
      const lengthBefore = this.context.info.length;
      let result: { count: number; version: number; length: number };
      try {
        result = await this.context.connection.request("replaceAll", {
          baseVersion: this.context.activity.expectedVersion,
          query,
          replacement,
          ...(options.searchId === undefined ? {} : { searchId: options.searchId }),
          ...(options.range ?? {}),
        });
      } catch (error) {
        if (!(error instanceof RequestError && error.code === "EABORTED")) this.context.failed(error);
        return null;
      }
      this.changedInEngine(result);
      if (result.count === 0) return 0;
      this.context.activity.wide = null;
      const top = safeTopByte(this.context.view, this.context.info.length);
      // After one replacement the cursor goes after it (find next continues from there).
      const cursor = options.range
        ? options.range.end + (result.length - lengthBefore)
        : Math.min(this.context.selection.cursorByte(), result.length);
      await this.context.loader.show(
        { byte: Math.min(top, result.length) },
        { align: "keep", keepByte: top, cursor },
      );
      return result.count;
    });
  }
}
