/**
 * A Channel over a MessagePort: Electron's MessagePortMain in the engine's utility process (its
 * 'message' events carry { data }), or Node's worker_threads MessagePort (data directly) in tests.
 * Messages are structured-cloned, not JSON: the protocol's plain objects cross unchanged.
 */
import type { HostMessage } from "../protocol/index.js";
import type { Channel } from "./channel.js";

/** What both kinds of port offer. */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: "message", listener: (event: unknown) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  start?(): void;
  close(): void;
}

export function portChannel(port: PortLike): Channel {
  let open = true;
  port.on("close", () => {
    open = false;
  });
  return {
    send(message: HostMessage) {
      if (open) port.postMessage(message);
    },
    onMessage(handler) {
      port.on("message", (event) => {
        // MessagePortMain wraps the payload in an event; Node's MessagePort does not.
        const isEvent = typeof event === "object" && event !== null && "data" in event && "ports" in event;
        handler(isEvent ? (event as { data: unknown }).data : event);
      });
      port.start?.();
    },
    onClose(handler) {
      port.on("close", handler);
    },
  };
}
