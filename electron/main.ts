/**
 * The desktop app's main process: windows, menus, dialogs, the single-instance lock, and the
 * engine process. Deliberately thin — what it decides is in the modules it imports (menus as
 * data, window options, web security, the close prompt, the engine commands), which are tested
 * without Electron; this file only wires them to Electron's objects.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  app,
  BrowserWindow,
  dialog,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  ipcMain,
  Menu,
  type MenuItemConstructorOptions,
  MessageChannelMain,
  protocol,
  utilityProcess,
} from "electron";
import { DESKTOP_CHANNELS } from "../protocol/desktop-bridge.js";
import { appResponse } from "./app-protocol.js";
import { filesFromArgv } from "./argv.js";
import { CLOSE_BUTTONS, decideClose } from "./close-flow.js";
import { EngineClient, type EngineProcessLike } from "./engine-client.js";
import { type MenuAction, menuTemplate, toElectronTemplate } from "./menu-template.js";
import { RecentFiles } from "./recent-files.js";
import { hardenWebContents, isTrustedSender } from "./web-security.js";
import { EDITOR_URL, editorWindowOptions } from "./window-options.js";

const here = dirname(fileURLToPath(import.meta.url));
const rendererFolder = join(here, "..", "renderer");
const preloadPath = join(here, "preload.cjs");
// The engine runs from outside the asar archive (with the native addon beside it).
const enginePath = join(here, "engine-process.js").replace(`app.asar${"/"}`, `app.asar.unpacked${"/"}`);

protocol.registerSchemesAsPrivileged([
  { scheme: "gigapad", privileges: { standard: true, secure: true, supportFetchAPI: false } },
]);

interface EditorWindow {
  window: BrowserWindow;
  /** The file as opened (the engine's absolute path once it answered). */
  path: string;
  name: string;
  modified: boolean;
  /** Set once the engine holds the document for this window (release it on close). */
  connected: boolean;
  closing: boolean;
}

const windows = new Map<number, EditorWindow>();
let engine: EngineClient | null = null;
let quitting = false;
let recent: RecentFiles;

function startEngine(): EngineClient {
  const child = utilityProcess.fork(enginePath, [], { serviceName: "Gigapad engine", stdio: "inherit" });
  const client = new EngineClient(child as unknown as EngineProcessLike);
  client.on("exit", (code) => {
    if (engine === client) engine = null;
    if (quitting) return;
    const reason =
      `The Gigapad engine stopped unexpectedly (exit code ${code}). Every committed edit is safe in ` +
      "its session: reopen the file (File › Open Recent) to get it back.";
    for (const entry of windows.values()) {
      entry.connected = false;
      entry.window.webContents.send(DESKTOP_CHANNELS.engineGone, reason);
    }
  });
  return client;
}

function currentEngine(): EngineClient {
  engine ??= startEngine();
  return engine;
}

function findWindow(path: string): EditorWindow | undefined {
  let key = path;
  try {
    key = realpathSync(path);
  } catch {}
  return [...windows.values()].find((entry) => entry.path === path || entry.path === key);
}

/** Opens `path` in a window of its own (or brings forward the window that shows it). */
function openFile(path: string): void {
  const existing = findWindow(path);
  if (existing) {
    // After the engine died, the window reconnects: the reload asks for a port again, and the
    // new engine restores the document's session.
    if (!existing.connected) existing.window.webContents.reload();
    existing.window.show();
    existing.window.focus();
    return;
  }
  const window = new BrowserWindow(editorWindowOptions(preloadPath, `${basename(path)} — Gigapad`));
  const entry: EditorWindow = {
    window,
    path,
    name: basename(path),
    modified: false,
    connected: false,
    closing: false,
  };
  const id = window.webContents.id;
  windows.set(id, entry);
  hardenWebContents(window.webContents);
  window.webContents.session.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  window.once("ready-to-show", () => window.show());
  window.on("close", (event) => {
    if (entry.closing) return;
    event.preventDefault();
    void closeWindow(entry);
  });
  window.on("closed", () => {
    windows.delete(id);
    refreshMenu();
  });
  window.on("focus", () => refreshMenu());
  void window.loadURL(EDITOR_URL);
}

/** The page is listening: hand it a port to the engine, which opens the document on it. */
async function connect(entry: EditorWindow): Promise<void> {
  const { port1, port2 } = new MessageChannelMain();
  const reply = await currentEngine().send({ type: "open", path: entry.path }, [port1]);
  if (reply.type !== "opened") {
    const message = reply.type === "failed" ? reply.message : "unexpected reply";
    entry.closing = true;
    entry.window.destroy();
    dialog.showErrorBox("Gigapad", `Cannot open ${entry.path}: ${message}`);
    recent.remove(entry.path);
    refreshMenu();
    return;
  }
  entry.path = reply.path;
  entry.name = reply.name;
  entry.connected = true;
  recent.add(reply.path);
  app.addRecentDocument(reply.path);
  refreshMenu();
  entry.window.webContents.postMessage(DESKTOP_CHANNELS.port, null, [port2]);
}

async function closeWindow(entry: EditorWindow): Promise<void> {
  const window = entry.window;
  const decision = await decideClose(
    entry,
    async (name) => {
      const { response } = await dialog.showMessageBox(window, {
        type: "warning",
        message: `Save the changes to ${name}?`,
        detail: "Don't Save drops them: the next open shows the file as it is on disk.",
        buttons: CLOSE_BUTTONS.map((button) => button.label),
        defaultId: 0,
        cancelId: 2,
        noLink: true,
      });
      return CLOSE_BUTTONS[response]?.choice ?? "cancel";
    },
    async () => {
      const reply = await currentEngine().send({ type: "save", path: entry.path });
      return reply.type === "failed" ? { ok: false, message: reply.message } : { ok: true };
    },
    async (message) => {
      await dialog.showMessageBox(window, { type: "error", message });
    },
  );
  if (!decision.close) {
    quitting = false;
    return;
  }
  entry.closing = true;
  if (entry.connected && engine?.running) {
    await engine.send({ type: "release", path: entry.path, discard: decision.release === "discard" });
  }
  window.destroy();
}

function focusedEntry(): EditorWindow | undefined {
  const focused = BrowserWindow.getFocusedWindow();
  return focused ? windows.get(focused.webContents.id) : undefined;
}

async function chooseFiles(): Promise<void> {
  const result = await dialog.showOpenDialog({
    properties: ["openFile", "multiSelections"],
    filters: [
      {
        name: "Logs, text, CSV, JSON",
        extensions: ["log", "txt", "csv", "json", "tsv", "ndjson", "jsonl", "sql", "xml"],
      },
      { name: "All files", extensions: ["*"] },
    ],
  });
  for (const path of result.filePaths) openFile(path);
  // Started without a file and none was chosen: nothing to show, nothing to keep running for.
  if (windows.size === 0 && process.platform !== "darwin") app.quit();
}

function runMenuAction(action: MenuAction): void {
  switch (action.kind) {
    case "command":
      focusedEntry()?.window.webContents.send(DESKTOP_CHANNELS.command, action.command);
      break;
    case "open":
      void chooseFiles();
      break;
    case "openRecent":
      openFile(action.path);
      break;
    case "clearRecent":
      recent.clear();
      app.clearRecentDocuments();
      refreshMenu();
      break;
    case "close":
      BrowserWindow.getFocusedWindow()?.close();
      break;
    case "quit":
      app.quit();
      break;
  }
}

function refreshMenu(): void {
  const template = menuTemplate(process.platform, {
    recent: recent.list,
    hasDocument: focusedEntry() !== undefined,
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(toElectronTemplate(template, runMenuAction) as MenuItemConstructorOptions[]),
  );
}

/** IPC from the pages: each message is checked to come from one of our windows, then handled. */
function listen(): void {
  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent) =>
    isTrustedSender(event, new Set(windows.keys())) ? windows.get(event.sender.id) : undefined;
  ipcMain.on(DESKTOP_CHANNELS.ready, (event) => {
    const entry = trusted(event);
    if (entry && !entry.connected) void connect(entry);
  });
  ipcMain.handle(DESKTOP_CHANNELS.chooseSavePath, async (event, current: unknown) => {
    const entry = trusted(event);
    if (!entry) return null;
    const result = await dialog.showSaveDialog(entry.window, {
      defaultPath: typeof current === "string" ? current : entry.path,
    });
    return result.canceled ? null : (result.filePath ?? null);
  });
  ipcMain.on(DESKTOP_CHANNELS.documentState, (event, state: unknown) => {
    const entry = trusted(event);
    if (!entry || typeof state !== "object" || state === null) return;
    const { title, modified, path } = state as { title?: unknown; modified?: unknown; path?: unknown };
    if (typeof title === "string") entry.window.setTitle(title.slice(0, 300));
    if (typeof modified === "boolean") {
      entry.modified = modified;
      if (process.platform === "darwin") entry.window.setDocumentEdited(modified);
    }
    if (typeof path === "string" && path.length > 0 && path !== entry.path) {
      // Save As moved the document.
      entry.path = path;
      entry.name = basename(path);
      recent.add(path);
      refreshMenu();
    }
  });
  ipcMain.on(DESKTOP_CHANNELS.openPaths, (event, paths: unknown) => {
    if (!trusted(event) || !Array.isArray(paths)) return;
    for (const path of paths) if (typeof path === "string" && path.length > 0) openFile(path);
  });
}

if (!app.requestSingleInstanceLock()) {
  // Another Gigapad runs: it gets our command line ('second-instance') and opens the files.
  app.quit();
} else {
  app.on("second-instance", (_event, argv, workingDirectory) => {
    const files = filesFromArgv(argv, workingDirectory, app.isPackaged);
    for (const file of files) openFile(file);
    if (files.length === 0) [...windows.values()][0]?.window.focus();
  });
  // macOS: files dropped on the Dock icon or opened from Finder.
  const early: string[] = [];
  app.on("open-file", (event, path) => {
    event.preventDefault();
    if (app.isReady()) openFile(path);
    else early.push(path);
  });
  app.on("web-contents-created", (_event, contents) => hardenWebContents(contents));
  app.on("before-quit", () => {
    quitting = true;
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin" || quitting) {
      void (async () => {
        if (engine?.running) await engine.send({ type: "quit" });
        app.exit(0);
      })();
    }
  });
  app.whenReady().then(() => {
    recent = new RecentFiles(join(app.getPath("userData"), "recent.json"));
    protocol.handle("gigapad", async (request) => {
      const response = await appResponse(request.url, rendererFolder);
      return new Response(response.body, { status: response.status, headers: response.headers });
    });
    listen();
    refreshMenu();
    const files = [...filesFromArgv(process.argv, process.cwd(), app.isPackaged), ...early];
    if (files.length === 0) void chooseFiles();
    for (const file of files) openFile(file);
    app.on("activate", () => {
      if (windows.size === 0) void chooseFiles();
    });
  });
}
