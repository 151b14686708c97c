/** The page's entry: connect to the engine (desktop bridge or WebSocket) and start the editor. */
import type { DesktopBridge } from "../protocol/desktop-bridge.js";
import type { Request } from "../protocol/messages.js";
import { App, type Platform } from "./app.js";
import type { Transport, TransportHandlers } from "./connection.js";
import { installOpenDialog, RoutedTransport } from "./open-dialog.js";

declare global {
  interface Window {
    gigapadDesktop?: DesktopBridge;
    /** Opened by boot.js while this bundle loaded. */
    gigapadEarlySocket?: WebSocket;
  }
}

/** The desktop app: the preload's bridge over a MessagePort to the engine process. */
class DesktopTransport implements Transport {
  readonly canReconnect = false;
  constructor(private readonly bridge: DesktopBridge) {}
  connect(handlers: TransportHandlers): void {
    this.bridge.onMessage((message) => handlers.message(message));
    this.bridge.onDisconnect((reason) => handlers.close(reason));
    this.bridge.ready();
    handlers.open();
  }
  send(request: Request): void {
    this.bridge.send(request);
  }
}

function start(): void {
  performance.mark("gigapad-script-start");
  const bridge = window.gigapadDesktop;
  let app: App;
  if (bridge) {
    const platform: Platform = {
      chooseSavePath: (path) => bridge.chooseSavePath(path),
      onCommand: (handler) => bridge.onCommand(handler),
      documentState: (state) => bridge.documentState(state),
    };
    app = new App(new DesktopTransport(bridge), platform);
    document.addEventListener("dragover", (event) => event.preventDefault());
    document.addEventListener("drop", (event) => {
      event.preventDefault();
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length > 0) bridge.openFiles(files);
    });
  } else {
    // Ctrl+O's list of the served folder tree; Save As picks a name in the same list.
    const files = installOpenDialog();
    const platform: Platform = { chooseSavePath: (path) => files.chooseSavePath(path) };
    const early = window.gigapadEarlySocket ?? null;
    window.gigapadEarlySocket = undefined;
    // The socket names the tab's file (`/?file=PATH`, Ctrl+O opens them); `/` is the served one.
    app = new App(new RoutedTransport(early), platform);
  }
  app.start();
}

start();
