/**
 * The preload's bridge: the one object the sandboxed page gets (window.gigapadDesktop). It holds
 * the MessagePort to the engine and passes protocol messages through; everything else is a few
 * named IPC messages, each checked. No Electron or Node object ever reaches the page.
 */
import {
  DESKTOP_BRIDGE_NAME,
  DESKTOP_CHANNELS,
  type DesktopBridge,
  type DocumentState,
  EDITOR_COMMANDS,
} from "../protocol/desktop-bridge.js";
import type { HostMessage, Request } from "../protocol/messages.js";

/** A renderer-side MessagePort, as the preload receives it. */
export interface RendererPortLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  start?(): void;
}

/** The parts of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  on(
    channel: string,
    listener: (event: { ports?: readonly RendererPortLike[] }, ...args: unknown[]) => void,
  ): unknown;
  send(channel: string, ...args: unknown[]): void;
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
}

export interface WebUtilsLike {
  getPathForFile(file: File): string;
}

export function createDesktopBridge(ipc: IpcRendererLike, webUtils: WebUtilsLike): DesktopBridge {
  let port: RendererPortLike | null = null;
  const queued: Request[] = [];
  const messageHandlers: ((message: HostMessage) => void)[] = [];
  const disconnectHandlers: ((reason: string) => void)[] = [];
  const commandHandlers: ((command: string) => void)[] = [];

  ipc.on(DESKTOP_CHANNELS.port, (event) => {
    const received = event.ports?.[0];
    if (!received) return;
    port = received;
    port.onmessage = (message) => {
      for (const handler of messageHandlers) handler(message.data as HostMessage);
    };
    port.start?.();
    for (const request of queued.splice(0)) port.postMessage(request);
  });
  ipc.on(DESKTOP_CHANNELS.engineGone, (_event, reason) => {
    port = null;
    const text = typeof reason === "string" ? reason : "the Gigapad engine stopped";
    for (const handler of disconnectHandlers) handler(text);
  });
  ipc.on(DESKTOP_CHANNELS.command, (_event, command) => {
    if (typeof command !== "string" || !(EDITOR_COMMANDS as readonly string[]).includes(command)) return;
    for (const handler of commandHandlers) handler(command);
  });

  return {
    send(request) {
      if (port) port.postMessage(request);
      else queued.push(request);
    },
    onMessage(handler) {
      messageHandlers.push(handler);
    },
    onDisconnect(handler) {
      disconnectHandlers.push(handler);
    },
    ready() {
      ipc.send(DESKTOP_CHANNELS.ready);
    },
    async chooseSavePath(currentPath) {
      const chosen = await ipc.invoke(DESKTOP_CHANNELS.chooseSavePath, String(currentPath));
      return typeof chosen === "string" && chosen.length > 0 ? chosen : null;
    },
    onCommand(handler) {
      commandHandlers.push(handler);
    },
    documentState(state: DocumentState) {
      ipc.send(DESKTOP_CHANNELS.documentState, {
        title: String(state.title),
        modified: Boolean(state.modified),
        path: String(state.path),
      });
    },
    openFiles(files) {
      const paths = [...files].map((file) => webUtils.getPathForFile(file)).filter((path) => path.length > 0);
      if (paths.length > 0) ipc.send(DESKTOP_CHANNELS.openPaths, paths);
    },
  };
}

/** What preload.ts does with Electron's modules: expose the bridge, and nothing else. */
export function exposeDesktopBridge(electron: {
  contextBridge: { exposeInMainWorld(name: string, api: unknown): void };
  ipcRenderer: IpcRendererLike;
  webUtils: WebUtilsLike;
}): void {
  electron.contextBridge.exposeInMainWorld(
    DESKTOP_BRIDGE_NAME,
    createDesktopBridge(electron.ipcRenderer, electron.webUtils),
  );
}
