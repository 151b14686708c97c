/**
 * A connection between one UI and the engine host, whatever carries it: `gigapad serve`'s
 * WebSocket or Electron's MessagePort. Messages are plain objects; the channel does the encoding.
 */
import type { HostMessage } from "../protocol/index.js";

export interface Channel {
  /** Sends a reply or an event to the UI. Sending on a closed channel does nothing. */
  send(message: HostMessage): void;
  /** Registers the handler of messages from the UI (not yet validated: any value may arrive). */
  onMessage(handler: (message: unknown) => void): void;
  /** Registers what to do when the UI goes away. */
  onClose(handler: () => void): void;
}
