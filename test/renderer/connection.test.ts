import { describe, expect, it } from "vitest";
import type { HostEvent, HostMessage, Request } from "../../protocol/messages.js";
import {
  Connection,
  RequestError,
  type Transport,
  type TransportHandlers,
} from "../../renderer/connection.js";

/** A transport the test drives: it records what is sent and opens, answers or drops on demand. */
class FakeTransport implements Transport {
  readonly sent: Request[] = [];
  handlers: TransportHandlers | null = null;
  connects = 0;
  constructor(readonly canReconnect = true) {}
  connect(handlers: TransportHandlers): void {
    this.connects++;
    this.handlers = handlers;
  }
  send(request: Request): void {
    this.sent.push(request);
  }
  deliver(message: HostMessage): void {
    this.handlers!.message(message);
  }
}

function opened() {
  const transport = new FakeTransport();
  const connection = new Connection(transport);
  const statuses: string[] = [];
  connection.onStatus((status, reason) => statuses.push(reason ? `${status}: ${reason}` : status));
  connection.connect();
  transport.handlers!.open();
  return { transport, connection, statuses };
}

describe("the UI's end of the protocol", () => {
  it("reports connecting, then open", () => {
    const { connection, statuses } = opened();
    expect(statuses).toEqual(["connecting", "open"]);
    expect(connection.status).toBe("open");
  });

  it("numbers requests and resolves each with its own reply, in any order", async () => {
    const { transport, connection } = opened();
    const first = connection.request("lineAt", { offset: 10 });
    const second = connection.request("lineAt", { offset: 20 });
    expect(transport.sent).toEqual([
      { id: 1, type: "lineAt", offset: 10 },
      { id: 2, type: "lineAt", offset: 20 },
    ]);
    transport.deliver({ id: 2, ok: true, result: { line: 2 } } as HostMessage);
    transport.deliver({ id: 1, ok: true, result: { line: 1 } } as HostMessage);
    expect(await first).toEqual({ line: 1 });
    expect(await second).toEqual({ line: 2 });
  });

  it("rejects a refused request with the host's code and sentence", async () => {
    const { transport, connection } = opened();
    const request = connection.request("lineAt", { offset: 1 });
    transport.deliver({
      id: 1,
      ok: false,
      error: { code: "ERANGE", message: "past the end" },
    } as HostMessage);
    const error = await request.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: "ERANGE", message: "past the end" });
  });

  it("ignores a reply to no request", async () => {
    const { transport, connection } = opened();
    transport.deliver({ id: 99, ok: true, result: {} } as HostMessage);
    const request = connection.request("lineAt", { offset: 1 });
    transport.deliver({ id: 1, ok: true, result: { line: 0 } } as HostMessage);
    expect(await request).toEqual({ line: 0 });
  });

  it("passes host events to every listener", () => {
    const { transport, connection } = opened();
    const heard: HostEvent[] = [];
    connection.onEvent((event) => heard.push(event));
    connection.onEvent((event) => heard.push(event));
    const event = { event: "indexProgress", bytesDone: 1, bytesTotal: 2 } as HostEvent;
    transport.deliver(event);
    expect(heard).toEqual([event, event]);
  });

  it("fails the requests in flight when the connection drops, and refuses new ones until it is back", async () => {
    const { transport, connection, statuses } = opened();
    const inFlight = connection.request("lineAt", { offset: 1 });
    transport.handlers!.close("gone");
    await expect(inFlight).rejects.toMatchObject({ code: "EDISCONNECTED", message: "gone" });
    expect(statuses.at(-1)).toBe("closed: gone");
    await expect(connection.request("lineAt", { offset: 1 })).rejects.toMatchObject({
      code: "EDISCONNECTED",
    });
    expect(transport.sent).toHaveLength(1);

    connection.connect();
    transport.handlers!.open();
    const again = connection.request("lineAt", { offset: 5 });
    expect(transport.sent.at(-1)).toMatchObject({ id: 2, offset: 5 });
    transport.deliver({ id: 2, ok: true, result: { line: 5 } } as HostMessage);
    expect(await again).toEqual({ line: 5 });
    expect(transport.connects).toBe(2);
  });

  it("says whether the transport can reconnect", () => {
    expect(new Connection(new FakeTransport(false)).canReconnect).toBe(false);
    expect(new Connection(new FakeTransport(true)).canReconnect).toBe(true);
  });
});
