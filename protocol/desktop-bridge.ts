/**
 * What the desktop app's preload script exposes to the page as `window.gigapadDesktop`: the one
 * narrow door between the sandboxed renderer and the rest of the app. Messages to the engine go
 * through `send` unchanged (the preload holds the MessagePort); the rest are the few things only
 * the shell can do (native dialogs, menus, dropped files).
 */
import type { HostMessage, Request } from "./messages.js";

export interface DocumentState {
  title: string;
  modified: boolean;
  path: string;
}

export interface DesktopBridge {
  /** Sends a protocol request to the engine. */
  send(request: Request): void;
  /** Receives the engine's replies and events. */
  onMessage(handler: (message: HostMessage) => void): void;
  /** The engine went away (it crashed or was closed). */
  onDisconnect(handler: (reason: string) => void): void;
  /** Called once the page listens: the shell connects it to the engine. */
  ready(): void;
  /** The native Save As dialog; null if cancelled. */
  chooseSavePath(currentPath: string): Promise<string | null>;
  /** Menu commands (ids of the renderer's COMMANDS). */
  onCommand(handler: (command: string) => void): void;
  /** The title and unsaved state, for the window title and the close prompt. */
  documentState(state: DocumentState): void;
  /** Opens files dropped onto the window (each in a window of its own). */
  openFiles(files: readonly File[]): void;
}

/** The name the bridge is exposed under (window.gigapadDesktop). */
export const DESKTOP_BRIDGE_NAME = "gigapadDesktop";

/** The IPC channels between the preload and the main process (the only ones there are). */
export const DESKTOP_CHANNELS = {
  /** main → preload: the MessagePort to the engine (after `ready`). */
  port: "gigapad:port",
  /** main → preload: the engine went away; the payload says why. */
  engineGone: "gigapad:engine-gone",
  /** main → preload: run an editor command (a menu item was chosen). */
  command: "gigapad:command",
  /** preload → main: the page listens; connect it to the engine. */
  ready: "gigapad:ready",
  /** preload → main (invoke): the Save As dialog. */
  chooseSavePath: "gigapad:choose-save-path",
  /** preload → main: title and unsaved state. */
  documentState: "gigapad:document-state",
  /** preload → main: files dropped on the window. */
  openPaths: "gigapad:open-paths",
} as const;

/** Editor commands, by id: what the page's keys do and what the desktop menus send. */
export const EDITOR_COMMANDS = [
  "find",
  "replace",
  "filter",
  "findNext",
  "findPrevious",
  "goToLine",
  "goToStart",
  "goToEnd",
  "save",
  "saveAs",
  "undo",
  "redo",
  "selectAll",
  "toggleWrap",
  "follow",
  "help",
] as const;
export type EditorCommand = (typeof EDITOR_COMMANDS)[number];
