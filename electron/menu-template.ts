/**
 * The desktop app's menus, as data: labels, platform shortcuts and what each item does. main.ts
 * turns this into Electron menus; tests read it directly.
 *
 * Editor commands (find, go to, save, undo, ...) are carried out by the page, which binds the same
 * keys itself: on Linux and Windows their accelerators are shown but not registered, so a key press
 * runs once, in the page. On macOS the page sees the key first and the menu only gets keys the page
 * left alone.
 */
import type { EditorCommand } from "../protocol/desktop-bridge.js";

export type MenuAction =
  | { kind: "command"; command: EditorCommand }
  | { kind: "open" }
  | { kind: "openRecent"; path: string }
  | { kind: "clearRecent" }
  | { kind: "close" }
  | { kind: "quit" };

/** Native behaviour Electron provides (clipboard, window, app menu items). */
export type MenuRole =
  | "cut"
  | "copy"
  | "paste"
  | "about"
  | "services"
  | "hide"
  | "hideOthers"
  | "unhide"
  | "minimize"
  | "zoom"
  | "front"
  | "togglefullscreen"
  | "toggleDevTools"
  | "resetZoom"
  | "zoomIn"
  | "zoomOut";

export interface MenuItemSpec {
  id: string;
  label?: string;
  type?: "separator" | "submenu";
  accelerator?: string;
  /** False: shown, but the key is left to the page. */
  registerAccelerator?: boolean;
  enabled?: boolean;
  action?: MenuAction;
  role?: MenuRole;
  submenu?: MenuItemSpec[];
}

export interface MenuState {
  /** Recently opened files, newest first. */
  recent: readonly string[];
  /** Whether a document window has focus (Save, Find, ... need one). */
  hasDocument: boolean;
}

const separator = (id: string): MenuItemSpec => ({ id, type: "separator" });

export function menuTemplate(platform: NodeJS.Platform, state: MenuState): MenuItemSpec[] {
  const mac = platform === "darwin";
  const editor = (id: EditorCommand, label: string, accelerator: string): MenuItemSpec => ({
    id,
    label,
    accelerator,
    registerAccelerator: mac,
    enabled: state.hasDocument,
    action: { kind: "command", command: id },
  });
  const recent: MenuItemSpec[] = state.recent.map((path, i) => ({
    id: `recent-${i}`,
    label: path,
    action: { kind: "openRecent", path },
  }));
  const file: MenuItemSpec = {
    id: "file",
    label: "&File",
    type: "submenu",
    submenu: [
      { id: "open", label: "&Open…", accelerator: "CmdOrCtrl+O", action: { kind: "open" } },
      {
        id: "open-recent",
        label: "Open &Recent",
        type: "submenu",
        enabled: recent.length > 0,
        submenu: [
          ...recent,
          separator("recent-separator"),
          {
            id: "clear-recent",
            label: "Clear Menu",
            enabled: recent.length > 0,
            action: { kind: "clearRecent" },
          },
        ],
      },
      separator("file-separator-1"),
      editor("save", "&Save", "CmdOrCtrl+S"),
      editor("saveAs", "Save &As…", "CmdOrCtrl+Shift+S"),
      separator("file-separator-2"),
      { id: "close", label: "&Close", accelerator: "CmdOrCtrl+W", action: { kind: "close" } },
      ...(mac
        ? []
        : [
            separator("file-separator-3"),
            { id: "quit", label: "&Quit", accelerator: "Ctrl+Q", action: { kind: "quit" as const } },
          ]),
    ],
  };
  const edit: MenuItemSpec = {
    id: "edit",
    label: "&Edit",
    type: "submenu",
    submenu: [
      editor("undo", "&Undo", "CmdOrCtrl+Z"),
      editor("redo", "&Redo", mac ? "Cmd+Shift+Z" : "Ctrl+Y"),
      separator("edit-separator-1"),
      { id: "cut", label: "Cu&t", accelerator: "CmdOrCtrl+X", role: "cut" },
      { id: "copy", label: "&Copy", accelerator: "CmdOrCtrl+C", role: "copy" },
      { id: "paste", label: "&Paste", accelerator: "CmdOrCtrl+V", role: "paste" },
      separator("edit-separator-2"),
      editor("selectAll", "Select &All", "CmdOrCtrl+A"),
    ],
  };
  const find: MenuItemSpec = {
    id: "find-menu",
    label: "F&ind",
    type: "submenu",
    submenu: [
      editor("find", "&Find…", "CmdOrCtrl+F"),
      // Cmd+H hides the app on macOS: VS Code's Cmd+Alt+F there.
      editor("replace", "&Replace…", mac ? "Cmd+Alt+F" : "Ctrl+H"),
      editor("filter", "Matching &Lines Only", "CmdOrCtrl+Shift+L"),
      editor("findNext", "Find &Next", "F3"),
      editor("findPrevious", "Find &Previous", "Shift+F3"),
    ],
  };
  const go: MenuItemSpec = {
    id: "go",
    label: "&Go",
    type: "submenu",
    submenu: [
      editor("goToLine", "&Go to Line…", "CmdOrCtrl+G"),
      separator("go-separator"),
      editor("goToStart", "&Start of File", "CmdOrCtrl+Home"),
      editor("goToEnd", "&End of File", "CmdOrCtrl+End"),
    ],
  };
  const view: MenuItemSpec = {
    id: "view",
    label: "&View",
    type: "submenu",
    submenu: [
      editor("toggleWrap", "Word &Wrap", "Alt+Z"),
      editor("follow", "&Follow the End of the File", "CmdOrCtrl+Shift+F"),
      separator("view-separator-wrap"),
      { id: "zoom-in", label: "Zoom In", accelerator: "CmdOrCtrl+=", role: "zoomIn" },
      { id: "zoom-out", label: "Zoom Out", accelerator: "CmdOrCtrl+-", role: "zoomOut" },
      { id: "zoom-reset", label: "Actual Size", accelerator: "CmdOrCtrl+0", role: "resetZoom" },
      separator("view-separator"),
      { id: "fullscreen", label: "Toggle Full Screen", role: "togglefullscreen" },
    ],
  };
  const help: MenuItemSpec = {
    id: "help-menu",
    label: "&Help",
    type: "submenu",
    submenu: [editor("help", "&Keyboard Shortcuts", "F1")],
  };
  if (!mac) return [file, edit, find, go, view, help];
  const app: MenuItemSpec = {
    id: "app",
    label: "Gigapad",
    type: "submenu",
    submenu: [
      { id: "about", label: "About Gigapad", role: "about" },
      separator("app-separator-1"),
      { id: "services", label: "Services", role: "services" },
      separator("app-separator-2"),
      { id: "hide", label: "Hide Gigapad", role: "hide" },
      { id: "hide-others", label: "Hide Others", role: "hideOthers" },
      { id: "unhide", label: "Show All", role: "unhide" },
      separator("app-separator-3"),
      { id: "quit", label: "Quit Gigapad", accelerator: "Cmd+Q", action: { kind: "quit" } },
    ],
  };
  const window: MenuItemSpec = {
    id: "window",
    label: "Window",
    type: "submenu",
    submenu: [
      { id: "minimize", label: "Minimize", accelerator: "Cmd+M", role: "minimize" },
      { id: "zoom", label: "Zoom", role: "zoom" },
      separator("window-separator"),
      { id: "front", label: "Bring All to Front", role: "front" },
    ],
  };
  return [app, file, edit, find, go, view, window, help];
}

/** Every item of a template, depth first (for lookups and checks). */
export function menuItems(template: readonly MenuItemSpec[]): MenuItemSpec[] {
  return template.flatMap((item) => [item, ...menuItems(item.submenu ?? [])]);
}

/** Electron's menu template for `template`, with each action routed to `run`. */
export function toElectronTemplate(
  template: readonly MenuItemSpec[],
  run: (action: MenuAction) => void,
): Record<string, unknown>[] {
  return template.map((item) => {
    const options: Record<string, unknown> = { id: item.id };
    if (item.type === "separator") return { ...options, type: "separator" };
    if (item.label !== undefined) options.label = item.label;
    if (item.accelerator !== undefined) options.accelerator = item.accelerator;
    if (item.registerAccelerator !== undefined) options.registerAccelerator = item.registerAccelerator;
    if (item.enabled !== undefined) options.enabled = item.enabled;
    if (item.role !== undefined) options.role = item.role;
    if (item.submenu) options.submenu = toElectronTemplate(item.submenu, run);
    const action = item.action;
    if (action) options.click = () => run(action);
    return options;
  });
}
