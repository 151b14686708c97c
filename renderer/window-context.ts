/**
 * The room the window editor's parts share: the view, the connection, the one state object
 * (window-activity.ts), and each other. The editor (window-editor.ts) builds it and hands it to
 * loading, sliding, edit sync, the wide selection and the match highlights, which reach one
 * another only through it.
 */
import { Annotation } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";
import type { DocumentInfo } from "../protocol/messages.js";
import type { Connection } from "./connection.js";
import type { EditSync } from "./edit-sync.js";
import type { HeldKeys } from "./held-keys.js";
import type { MatchHighlights } from "./match-highlights.js";
import type { WideSelectionKeeper } from "./wide-selection.js";
import type { WindowActivity } from "./window-activity.js";
import type { WindowLoader } from "./window-loading.js";
import type { WindowSlider } from "./window-sliding.js";
import { type WindowState, windowOf } from "./window-state.js";

export interface EditorCallbacks {
  /** Something the status bar or title shows changed. */
  changed(): void;
  /** A message for the user: "error" stays until dismissed, "info" fades. */
  message(text: string, kind: "info" | "error", actions?: { label: string; run(): void }[]): void;
}

export interface WindowContext {
  readonly view: EditorView;
  readonly connection: Connection;
  readonly callbacks: EditorCallbacks;
  /** What the engine said of the document last. */
  info: DocumentInfo;
  /** Everything mutable about what the editor is doing. */
  readonly activity: WindowActivity;
  /** Keys typed while a jump travels (held-keys.ts). */
  readonly held: HeldKeys;
  readonly loader: WindowLoader;
  readonly slider: WindowSlider;
  readonly edits: EditSync;
  readonly selection: WideSelectionKeeper;
  readonly highlights: MatchHighlights;
  /** The window's text changed by a load or a slide (find highlights hook in here). */
  windowChanged(): void;
  /** The line-number gutter is sized anew (line count known or estimated). */
  refreshGutter(): void;
  /** The engine's info replaces what was known (after a resync). */
  setInfo(info: DocumentInfo): void;
  /** Editing is allowed or not, anew (busy, connection, read-only). */
  updateReadOnly(): void;
  /** Says a failed request to the user (not a dropped connection: that has its own banner). */
  failed(error: unknown): void;
}

/** Marks transactions that load or slide the window (or show a wide selection): not edits to send. */
export const windowLoad = Annotation.define<boolean>();

/** Where the window sits in the document now, and how its line breaks map to bytes. */
export function docWindowOf(context: WindowContext): WindowState {
  return windowOf(context.view.state);
}

/** What Enter inserts in this document: its own line ending. */
export function newlineOf(info: DocumentInfo): "\n" | "\r\n" {
  return info.newline === "crlf" ? "\r\n" : "\n";
}
