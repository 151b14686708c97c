/**
 * Keys typed while a jump travels (Ctrl+End, go to, a find) are held and typed, in order, where
 * the jump lands — a user who presses Ctrl+End and types expects the text at the end, as in any
 * editor, though the window is a round trip away. Undo, redo and further jumps asked for
 * meanwhile wait in the same line. Save waits until nothing is held (whenLanded).
 */
import { deleteCharBackwardStrict, deleteCharForward } from "@codemirror/commands";
import type { Transaction } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";

type HeldKey =
  | { kind: "insert"; text: string }
  | { kind: "backspace" | "delete" | "undo" | "redo" }
  | { kind: "jump"; run: () => void };

/** What the held keys are typed into. */
export interface KeyTarget {
  readonly view: EditorView;
  undoRedo(which: "undo" | "redo"): boolean;
}

export class HeldKeys {
  /** A jump (a load that moves the cursor) is on its way: keys wait for it. */
  jumping = false;
  private readonly keys: HeldKey[] = [];
  private waiters: (() => void)[] = [];

  /** Whether any key waits. */
  get holding(): boolean {
    return this.keys.length > 0;
  }

  /** Undo/redo, or a further jump, while a jump travels: in line with the keys. */
  hold(key: HeldKey): void {
    this.keys.push(key);
  }

  /**
   * Backspace and Delete where nothing is to delete (the cursor at the top before a jump lands):
   * no transaction comes to be filtered, so the keymap holds them here. False when not jumping.
   */
  holdKey(kind: "backspace" | "delete"): boolean {
    if (!this.jumping) return false;
    this.keys.push({ kind });
    return true;
  }

  /**
   * Holds what a transaction typed while a jump travels; false if it goes through (no jump, or an
   * IME composition, which goes on where it started: its steps are not keys to replay).
   */
  holdTransaction(tr: Transaction, view: EditorView): boolean {
    if (!this.jumping || view.composing || tr.isUserEvent("input.type.compose")) return false;
    let inserted = "";
    tr.changes.iterChanges((_fromA, _toA, _fromB, _toB, text) => {
      inserted += text.toString();
    });
    if (tr.isUserEvent("delete.backward")) this.keys.push({ kind: "backspace" });
    else if (tr.isUserEvent("delete.forward")) this.keys.push({ kind: "delete" });
    else this.keys.push({ kind: "insert", text: inserted });
    return true;
  }

  /** The jump landed: the keys are typed at its cursor, up to an undo or a jump, which go next. */
  replay(target: KeyTarget): void {
    while (this.keys.length > 0 && !this.jumping) {
      const key = this.keys.shift()!;
      if (key.kind === "jump") {
        key.run(); // the rest waits for this jump to land
        return;
      }
      if (key.kind === "undo" || key.kind === "redo") {
        target.undoRedo(key.kind); // the rest waits for the undo (it reloads where it happened)
        return;
      }
      const view = target.view;
      if (key.kind === "insert") {
        view.dispatch(view.state.replaceSelection(key.text), {
          userEvent: "input.type",
          scrollIntoView: true,
        });
      } else if (key.kind === "backspace") {
        deleteCharBackwardStrict(view);
      } else {
        deleteCharForward(view);
      }
    }
  }

  /** A jump or an undo ended: whoever waits looks again. */
  landed(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves at the next landing. */
  whenLanded(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
