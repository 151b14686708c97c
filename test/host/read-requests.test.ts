/**
 * The hosted document read for UIs (host/read-requests.ts): windows labelled with the version
 * they show, line numbers and offsets, text to copy within its limit, and the line index — its
 * completion told to the UIs once, and nothing told once the document is closing.
 */
import { describe, expect, it } from "vitest";

import { MAX_READ_TEXT_BYTES, type ReadHost, ReadRequests } from "../../host/read-requests.js";
import type { HostEvent } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();

async function readsOf(content: string, newline: "\n" | "\r\n" = "\n") {
  const { doc } = await openDocument(content);
  const events: HostEvent[] = [];
  const state = { version: 0, closed: false };
  const host: ReadHost = {
    doc,
    newline,
    version: () => state.version,
    closed: () => state.closed,
    broadcast: (event) => events.push(event),
    decoder: () => null,
  };
  return { doc, reads: new ReadRequests(host), events, state };
}

describe("ReadRequests", () => {
  it("has no line count until the index is complete, then tells every UI once", async () => {
    const { doc, reads, events } = await readsOf("a\r\nb\r\nc");
    expect(reads.isIndexed).toBe(false);
    expect(reads.lineCount()).toBeNull();
    reads.watchIndex();
    await doc.whenIndexed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads.isIndexed).toBe(true);
    expect(reads.lineCount()).toBe(3);
    expect(events).toEqual([{ event: "indexed", lineCount: 3, eol: "crlf" }]);
  });

  it("tells nothing once the document is closing", async () => {
    const { doc, reads, events, state } = await readsOf("a\nb\n");
    reads.watchIndex();
    state.closed = true;
    await doc.whenIndexed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    expect(reads.isIndexed).toBe(false);
  });

  it("says the line endings of the newline typed before the index has counted the file's", async () => {
    const { reads } = await readsOf("", "\r\n");
    expect(reads.eol()).toBe("crlf");
  });

  it("labels a window with the version current when it is cut", async () => {
    const { reads, state } = await readsOf("one\ntwo\nthree\n");
    state.version = 7;
    const first = reads.firstWindow();
    expect(first.version).toBe(7);
    expect(first.start).toBe(0);
    const window = await reads.window({ anchor: { line: 2 }, linesBefore: 1, linesAfter: 1 });
    expect(window.version).toBe(7);
    expect(window.lines.length).toBeGreaterThan(0);
  });

  it("answers line starts and line numbers, and refuses an offset past the end", async () => {
    const { reads } = await readsOf("one\ntwo\nthree\n");
    expect(await reads.lineStart(1)).toEqual({ offset: 4 });
    expect(await reads.lineAt(9)).toEqual({ line: 2 });
    await expect(reads.lineAt(99)).rejects.toBeInstanceOf(RangeError);
  });

  it("reads text escaped for the protocol, and refuses more than MAX_READ_TEXT_BYTES", async () => {
    const { reads } = await readsOf("héllo\n");
    expect(reads.readText(0, 3)).toEqual({ text: "hé" });
    expect(() => reads.readText(0, MAX_READ_TEXT_BYTES + 1)).toThrow(
      expect.objectContaining({ code: "ETOOLARGE" }),
    );
  });
});
