/**
 * The changes UIs make (host/edit-requests.ts): an edit against the current version applies and
 * makes a new version, told to every UI after the reply; one against an old version changes
 * nothing (ESTALE); undo and redo say whether and where; a replaceAll is cancellable by its id
 * even while it waits its turn, and stops when the document closes.
 */
import { describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";
import type { Channel } from "../../host/channel.js";
import { EditRequests } from "../../host/edit-requests.js";
import { textCodec } from "../../host/text-codec.js";
import type { Document } from "../../piece-table/index.js";
import type { HostEvent, Request } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();

const channel = {} as Channel;

async function editsOf(content: string) {
  const { doc } = await openDocument(content);
  const changes = new ChangeQueue(() => doc.path);
  const broadcast: HostEvent[] = [];
  const sent: HostEvent[] = [];
  const searches = new Map<number, AbortController>();
  let flushes = 0;
  const edits = new EditRequests({
    doc,
    changes,
    codec: () => textCodec("utf-8"),
    searchesOf: () => searches,
    flushAutosave: async () => {
      flushes++;
    },
    lineCount: () => 42,
    send: (_channel, event) => sent.push(event),
    broadcast: (event) => broadcast.push(event),
  });
  return { doc, changes, edits, broadcast, sent, searches, flushes: () => flushes };
}

const text = (doc: Document) => doc.read(0, doc.length).toString();

/** A replaceAll of "a" by "b" against version 0, with `more` (a search id, another pattern). */
function replaceAllRequest(more: Partial<Extract<Request, { type: "replaceAll" }>> = {}) {
  return {
    id: 1,
    type: "replaceAll" as const,
    baseVersion: 0,
    query: { pattern: "a" },
    replacement: "b",
    ...more,
  };
}

describe("EditRequests", () => {
  it("applies an edit against the current version, and tells every UI after the reply", async () => {
    const { doc, edits, broadcast } = await editsOf("hello\n");
    const reply = edits.edit(0, [{ start: 0, end: 5, text: "HELLO" }]);
    expect(await reply).toEqual({ version: 1, length: 6 });
    expect(text(doc)).toBe("HELLO\n");
    await Promise.resolve();
    expect(broadcast).toEqual([
      { event: "changed", version: 1, length: 6, lineCount: 42, modified: true, at: expect.any(Number) },
    ]);
  });

  it("refuses an edit against an old version and changes nothing (ESTALE)", async () => {
    const { doc, edits, broadcast } = await editsOf("abc\n");
    await edits.edit(0, [{ start: 0, end: 0, text: "x" }]);
    await expect(edits.edit(0, [{ start: 0, end: 0, text: "y" }])).rejects.toMatchObject({ code: "ESTALE" });
    expect(text(doc)).toBe("xabc\n");
    await Promise.resolve();
    expect(broadcast).toHaveLength(1);
  });

  it("undoes and redoes, saying whether there was anything and where", async () => {
    const { edits } = await editsOf("abc\n");
    expect(await edits.undoOrRedo("undo")).toEqual({ done: false, version: 0, length: 4, at: null });
    await edits.edit(0, [{ start: 2, end: 2, text: "Z" }]);
    expect(await edits.undoOrRedo("undo")).toEqual({ done: true, version: 2, length: 4, at: 2 });
    expect(await edits.undoOrRedo("redo")).toEqual({ done: true, version: 3, length: 5, at: 2 });
  });

  it("replaces all, after committing what was typed, and forgets its search id when done", async () => {
    const { doc, edits, searches, flushes } = await editsOf("a-a-a\n");
    const result = await edits.replaceAll(channel, replaceAllRequest({ searchId: 9 }));
    expect(result).toEqual({ count: 3, version: 1, length: 6 });
    expect(text(doc)).toBe("b-b-b\n");
    expect(flushes()).toBe(1);
    expect(searches.size).toBe(0);
  });

  it("is cancelled by its search id while it waits its turn", async () => {
    const { doc, changes, edits, searches } = await editsOf("a-a-a\n");
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    void changes.run(() => gate);
    const replacing = edits.replaceAll(channel, replaceAllRequest({ searchId: 9 }));
    searches.get(9)?.abort();
    release();
    await expect(replacing).rejects.toMatchObject({ name: "AbortError" });
    expect(text(doc)).toBe("a-a-a\n");
  });

  it("stops a running replaceAll when the document closes", async () => {
    const { doc, edits } = await editsOf(`${"a".repeat(4096)}!\n`.repeat(64));
    const replacing = edits.replaceAll(
      channel,
      replaceAllRequest({ query: { pattern: "(a+)+$", regex: true } }),
    );
    setTimeout(() => edits.abort(), 50);
    await expect(replacing).rejects.toMatchObject({ name: "AbortError" });
    expect(doc.modified).toBe(false);
  });
});
