/**
 * A Channel over a MessagePort (host/port-channel.ts): Node's port hands the message itself,
 * Electron's MessagePortMain an event holding it — both reach the handler as the message; the
 * port is started; nothing is posted once it has closed.
 */
import { EventEmitter } from "node:events";
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { type PortLike, portChannel } from "../../host/port-channel.js";

/** A stand-in for Electron's MessagePortMain: 'message' events carry { data, ports }. */
class FakeMainPort extends EventEmitter implements PortLike {
  readonly posted: unknown[] = [];
  started = false;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    this.emit("close");
  }
}

describe("portChannel", () => {
  it("unwraps MessagePortMain's events, starts the port, and posts nothing once closed", () => {
    const port = new FakeMainPort();
    const channel = portChannel(port);
    const received: unknown[] = [];
    channel.onMessage((message) => received.push(message));
    expect(port.started).toBe(true);
    port.emit("message", { data: { id: 1, type: "hello" }, ports: [] });
    expect(received).toEqual([{ id: 1, type: "hello" }]);
    channel.send({ event: "indexed", lineCount: 1, eol: "lf" });
    let closed = false;
    channel.onClose(() => {
      closed = true;
    });
    port.close();
    expect(closed).toBe(true);
    channel.send({ event: "indexed", lineCount: 2, eol: "lf" });
    expect(port.posted).toEqual([{ event: "indexed", lineCount: 1, eol: "lf" }]);
  });

  it("passes Node's MessagePort messages through as they are, structured-cloned both ways", async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = portChannel(port1);
    const received = new Promise((resolve) => channel.onMessage(resolve));
    port2.postMessage({ id: 2, type: "lineAt", offset: 0 });
    expect(await received).toEqual({ id: 2, type: "lineAt", offset: 0 });
    const reply = new Promise((resolve) => port2.once("message", resolve));
    channel.send({ id: 2, ok: true, result: { line: 0 } });
    expect(await reply).toEqual({ id: 2, ok: true, result: { line: 0 } });
    port1.close();
    port2.close();
  });
});
