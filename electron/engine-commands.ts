/**
 * What the desktop app's main process asks of the engine process, and what it answers. The main
 * process hands each window's MessagePort to the engine with "open"; from then on the window and
 * the engine talk the editor protocol over that port, without the main process in between.
 */
import type { EngineHost } from "../host/engine-host.js";
import { toProtocolError } from "../host/host-error.js";
import { type PortLike, portChannel } from "../host/port-channel.js";

export type EngineCommand =
  /** Open `path` (or join the windows already showing it) and serve the transferred port. */
  | { type: "open"; requestId: number; path: string }
  /**
   * A window is closing. Its document is let go when the window's port closes — after every
   * message the page sent before it — so no edit in flight is lost; `discard` drops the unsaved
   * edits then ("Don't save").
   */
  | { type: "release"; requestId: number; path: string; discard: boolean }
  /** Save the document (the close prompt's "Save"); the windows showing it hear the progress. */
  | { type: "save"; requestId: number; path: string }
  /** Commit and close every document, then exit. */
  | { type: "quit"; requestId: number };

export type EngineReply =
  | {
      type: "opened";
      requestId: number;
      /** The document's absolute path and what the window title shows. */
      path: string;
      name: string;
      /** What open() restored from the session, or null. */
      recovered: string | null;
      readOnlyReason: string | null;
    }
  | { type: "failed"; requestId: number; code: string; message: string }
  | { type: "done"; requestId: number };

/** Carries out one command; never throws (failures are replies). */
export async function runEngineCommand(
  engine: EngineHost,
  command: EngineCommand,
  ports: readonly PortLike[],
): Promise<EngineReply> {
  try {
    switch (command.type) {
      case "open": {
        const port = ports[0];
        if (!port)
          throw Object.assign(new Error("open needs a MessagePort for the window"), { code: "EBADREQUEST" });
        const document = await engine.open(command.path);
        document.attach(portChannel(port));
        // The window lets go when its port closes (closed, crashed or reloaded).
        port.on("close", () => void engine.release(command.path).catch(() => {}));
        const info = document.info();
        return {
          type: "opened",
          requestId: command.requestId,
          path: info.path,
          name: info.name,
          recovered: info.recovered,
          readOnlyReason: info.readOnlyReason,
        };
      }
      case "save": {
        const document = await engine.get(command.path);
        if (!document) {
          throw Object.assign(new Error(`${command.path} is not open`), { code: "ENOTOPEN" });
        }
        await document.saveNow();
        return { type: "done", requestId: command.requestId };
      }
      case "release":
        if (command.discard) engine.markDiscard(command.path);
        return { type: "done", requestId: command.requestId };
      case "quit":
        await engine.closeAll();
        return { type: "done", requestId: command.requestId };
    }
  } catch (error) {
    for (const port of ports) port.close();
    const { code, message } = toProtocolError(error);
    return { type: "failed", requestId: command.requestId, code, message };
  }
}
