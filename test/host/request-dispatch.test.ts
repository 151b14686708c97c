/**
 * A UI's message routed and answered (host/request-dispatch.ts): exactly one reply per request —
 * the result, or the error in the protocol's words — an error event for a message without an
 * id, ECLOSED once the document is closing, EPROTOCOL for another protocol version, and each
 * request handed to the part that serves it.
 */
import { describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";
import type { Channel } from "../../host/channel.js";
import { type RequestTargets, receiveRequest } from "../../host/request-dispatch.js";
import { PROTOCOL_VERSION } from "../../protocol/index.js";

const channel = {} as Channel;

/** Targets whose parts record what they were asked and answer `answer`. */
function stubTargets() {
  const calls: [string, ...unknown[]][] = [];
  const sent: unknown[] = [];
  const part = (name: string) =>
    new Proxy({} as Record<string, unknown>, {
      get: (own, method: string) =>
        own[method] ??
        ((...args: unknown[]) => {
          calls.push([`${name}.${method}`, ...args.filter((arg) => arg !== channel)]);
          return { answer: `${name}.${method}` };
        }),
    });
  const changes = new ChangeQueue(() => "/doc.log");
  const targets = {
    changes,
    reads: part("reads"),
    searches: part("searches"),
    edits: part("edits"),
    saves: part("saves"),
    filters: part("filters"),
    info: () => ({ about: "the document" }),
    flush: async () => {
      calls.push(["flush"]);
    },
    cancelSave: () => {
      calls.push(["cancelSave"]);
      return {};
    },
    reopenFile: async (options: unknown) => {
      calls.push(["reopenFile", options]);
      return { about: "the document" };
    },
    send: (_channel: Channel, message: unknown) => sent.push(message),
  } as unknown as RequestTargets;
  return { targets, changes, calls, sent };
}

describe("receiveRequest", () => {
  it("answers a malformed request with an error reply under its id, and one without an id with an error event", async () => {
    const { targets, sent } = stubTargets();
    await receiveRequest(targets, channel, { id: 3, type: "window" });
    await receiveRequest(targets, channel, "not a request");
    expect(sent).toEqual([
      { id: 3, ok: false, error: expect.objectContaining({ code: expect.any(String) }) },
      { event: "error", code: expect.any(String), message: expect.any(String) },
    ]);
  });

  it("answers hello with the document's info, and refuses another protocol version", async () => {
    const { targets, sent } = stubTargets();
    await receiveRequest(targets, channel, { id: 1, type: "hello", protocol: PROTOCOL_VERSION });
    await receiveRequest(targets, channel, { id: 2, type: "hello", protocol: PROTOCOL_VERSION + 1 });
    expect(sent).toEqual([
      { id: 1, ok: true, result: { about: "the document" } },
      { id: 2, ok: false, error: expect.objectContaining({ code: "EPROTOCOL" }) },
    ]);
  });

  it("hands each request to the part that serves it", async () => {
    const { targets, calls, sent } = stubTargets();
    const requests = [
      { type: "lineStart", line: 4 },
      { type: "lineAt", offset: 9 },
      { type: "readText", start: 1, end: 2 },
      { type: "cancelCount", searchId: 5 },
      { type: "edit", baseVersion: 0, edits: [{ start: 0, end: 0, text: "x" }] },
      { type: "undo" },
      { type: "redo" },
      { type: "save" },
      { type: "save", force: true },
      { type: "cancelSave" },
      { type: "reopenFile", discardEdits: true },
      { type: "saveFiltered", filterId: 2, path: "out.log" },
      { type: "commit" },
    ];
    for (const [index, request] of requests.entries()) {
      await receiveRequest(targets, channel, { id: index + 1, ...request });
    }
    expect(calls).toEqual([
      ["reads.lineStart", 4],
      ["reads.lineAt", 9],
      ["reads.readText", 1, 2],
      ["searches.cancel", 5],
      ["edits.edit", 0, [{ start: 0, end: 0, text: "x" }]],
      ["edits.undoOrRedo", "undo"],
      ["edits.undoOrRedo", "redo"],
      ["saves.save", { force: false }],
      ["saves.save", { force: true }],
      ["cancelSave"],
      ["reopenFile", { discardEdits: true }],
      ["filters.save", 2, "out.log", { force: false }],
      ["flush"],
    ]);
    expect(sent).toHaveLength(requests.length);
    expect(sent.at(-1)).toEqual({ id: requests.length, ok: true, result: {} });
  });

  it("refuses every request once the document is closing (ECLOSED)", async () => {
    const { targets, changes, calls, sent } = stubTargets();
    changes.close();
    await receiveRequest(targets, channel, { id: 1, type: "lineAt", offset: 0 });
    expect(sent).toEqual([{ id: 1, ok: false, error: { code: "ECLOSED", message: "/doc.log was closed" } }]);
    expect(calls).toEqual([]);
  });

  it("answers a part's failure as an error reply in the protocol's words", async () => {
    const { targets, sent } = stubTargets();
    targets.reads.lineAt = async () => {
      throw new RangeError("Invalid offset 99");
    };
    await receiveRequest(targets, channel, { id: 1, type: "lineAt", offset: 99 });
    expect(sent).toEqual([{ id: 1, ok: false, error: { code: "ERANGE", message: "Invalid offset 99" } }]);
  });
});
