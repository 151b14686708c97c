/**
 * The desktop app's main process: windows, menus, dialogs, the single-instance lock, and the
 * engine process. Deliberately thin — what it decides is in the modules it imports (menus as
 * data, window options, web security, the close prompt, the engine commands), which are tested
 * without Electron; this file only wires them to Electron's objects.
 */
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
  session,
  utilityProcess,
} from "electron";
import { fileKey } from "../host/file-key.js";
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
const engineScript = join(here, "engine-process.js").replace(/app\.asar([\\/])/, "app.asar.unpacked$1");

protocol.registerSchemesAsPrivileged([
  { scheme: "gigapad", privileges: { standard: true, secure: true, supportFetchAPI: false } },
]);

interface EditorWindow {
  window: BrowserWindow;
  /** The file the window shows (follows Save As). */
  path: string;
  /** The path the engine opened the document as: what engine commands name (it follows Save As itself). */
  enginePath: string;
  name: string;
  modified: boolean;
  /** An open request is on its way to the engine. */
  connecting: boolean;
  /** Set once the engine holds the document for this window. */
  connected: boolean;
  /** The close prompt (or the release after it) is running: further closes wait. */
  closePending: boolean;
  /** The window may go now. */
  closing: boolean;
}

/** How long quitting waits for the engine to commit and close every document. */
const QUIT_TIMEOUT_MS = 10_000;

const windows = new Map<number, EditorWindow>();
let engine: EngineClient | null = null;
let quitting = false;
let recent: RecentFiles;

function startEngine(): EngineClient {
  const child = utilityProcess.fork(engineScript, [], { serviceName: "Gigapad engine", stdio: "inherit" });
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
  const key = fileKey(path);
  return [...windows.values()].find((entry) => fileKey(entry.path) === key);
}

/** Opens `path` in a window of its own (or brings forward the window that shows it). */
function openFile(path: string): void {
  const existing = findWindow(path);
  if (existing) {
    // After the engine died, the window reconnects: the reload asks for a port again, and the
    // new engine restores the document's session.
    if (!existing.connected && !existing.connecting) existing.window.webContents.reload();
    if (existing.window.isMinimized()) existing.window.restore();
    existing.window.show();
    existing.window.focus();
    return;
  }
  const window = new BrowserWindow(editorWindowOptions(preloadPath, `${basename(path)} — Gigapad`));
  const entry: EditorWindow = {
    window,
    path,
    enginePath: path,
    name: basename(path),
    modified: false,
    connecting: false,
    connected: false,
    closePending: false,
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
    if (entry.closePending) return;
    entry.closePending = true;
    void closeWindow(entry).finally(() => {
      entry.closePending = false;
    });
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
  if (entry.connecting || entry.connected) return;
  entry.connecting = true;
  const { port1, port2 } = new MessageChannelMain();
  let reply: Awaited<ReturnType<EngineClient["send"]>>;
  try {
    reply = await currentEngine().send({ type: "open", path: entry.path }, [port1]);
  } finally {
    entry.connecting = false;
  }
  if (entry.window.isDestroyed()) {
    // Closed while the file was opening: the closed port lets the engine go of it.
    port2.close();
    return;
  }
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
  entry.enginePath = reply.path;
  entry.name = reply.name;
  entry.connected = true;
  recent.add(reply.path);
  app.addRecentDocument(reply.path);
  refreshMenu();
  entry.window.webContents.postMessage(DESKTOP_CHANNELS.port, null, [port2]);
}

async function closeWindow(entry: EditorWindow): Promise<void> {
  const window = entry.window;
  // Without the engine (it died) nothing can be saved or asked: every committed edit is in the
  // session already, and the next open restores it.
  const decision = !entry.connected
    ? { close: true, release: "keep" as const }
    : await decideClose(
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
          const reply = await currentEngine().send({ type: "save", path: entry.enginePath });
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
  if (entry.connected && engine?.running) {
    // Tells the engine what to do with the document; it lets go when the window's port closes,
    // after every edit the page sent before.
    await engine.send({ type: "release", path: entry.enginePath, discard: decision.release === "discard" });
  }
  entry.closing = true;
  if (!window.isDestroyed()) window.destroy();
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
      // Save As moved the document: the window now shows that file (engine commands keep naming
      // the document as the engine opened it).
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

/** The files this launch was asked to open. */
const launchFiles = filesFromArgv(process.argv, process.cwd(), app.isPackaged);

// The files go to the running Gigapad as data, not as a command line it would have to re-read
// (Chromium adds and reorders switches in the argv the running one sees).
if (!app.requestSingleInstanceLock({ files: launchFiles })) {
  app.quit();
} else {
  app.on("second-instance", (_event, argv, workingDirectory, additionalData) => {
    const sent = (additionalData as { files?: unknown } | null)?.files;
    const files = Array.isArray(sent)
      ? sent.filter((file): file is string => typeof file === "string")
      : filesFromArgv(argv, workingDirectory, app.isPackaged);
    for (const file of files) openFile(file);
    const first = [...windows.values()][0]?.window;
    if (files.length === 0 && first) {
      if (first.isMinimized()) first.restore();
      first.focus();
    }
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
        const running = engine;
        if (running?.running) {
          // Every document commits and closes; an engine that does not answer in time is stopped
          // (what it had committed is in the sessions).
          const stuck = new Promise((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS, "stuck"));
          if ((await Promise.race([running.send({ type: "quit" }), stuck])) === "stuck") running.kill();
        }
        app.exit(0);
      })();
    }
  });
  app.whenReady().then(() => {
    recent = new RecentFiles(join(app.getPath("userData"), "recent.json"));
    // The pages need no permission (camera, notifications, ...): every request and check says no.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    protocol.handle("gigapad", async (request) => {
      const response = await appResponse(request.url, rendererFolder);
      return new Response(response.body, { status: response.status, headers: response.headers });
    });
    listen();
    refreshMenu();
    const files = [...launchFiles, ...early];
    if (files.length === 0) void chooseFiles();
    for (const file of files) openFile(file);
    app.on("activate", () => {
      if (windows.size === 0) void chooseFiles();
    });
  });
}
