/**
 * Saving for the UIs (host/save-requests.ts): a save waits for the changes queued before it,
 * runs with the disk watch paused, starts the index and the watch over, and tells every UI; a
 * browser's Save As is confined to its root; a running save can be cancelled.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";
import { SaveRequests } from "../../host/save-requests.js";
import type { HostEvent } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();

async function savesOf(content: string, whenSaveStarts: (saves: SaveRequests) => void = () => {}) {
  const { doc, path, dir } = await openDocument(content);
  const changes = new ChangeQueue(() => doc.path);
  const steps: string[] = [];
  const broadcast: HostEvent[] = [];
  const saves = new SaveRequests({
    doc,
    changes,
    whileDiskWatchPaused: async (work) => {
      steps.push("watch paused");
      whenSaveStarts(saves);
      try {
        return await work();
      } finally {
        steps.push("watch resumed");
      }
    },
    afterSave: () => steps.push("after save"),
    flushAutosave: async () => {
      steps.push("flushed");
    },
    broadcast: (event) => broadcast.push(event),
  });
  return { dir, path, doc, changes, saves, steps, broadcast };
}

describe("SaveRequests", () => {
  it("saves after the changes queued before it, then tells every UI", async () => {
    const { path, doc, changes, saves, steps, broadcast } = await savesOf("old\n");
    void changes.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      doc.insert(0, "new ");
      changes.nextVersion();
    });
    expect(await saves.save()).toEqual({ length: 8 });
    expect(readFileSync(path, "utf8")).toBe("new old\n");
    expect(steps).toEqual(["watch paused", "watch resumed", "after save", "flushed"]);
    expect(broadcast).toEqual([{ event: "saved", path, name: "doc.log", length: 8, version: 1 }]);
  });

  it("saves as another file, and answers with its path", async () => {
    const { dir, doc, saves, broadcast } = await savesOf("text\n");
    const elsewhere = join(dir, "copy.log");
    expect(await saves.save({ path: elsewhere })).toEqual({ length: 5, path: elsewhere });
    expect(doc.path).toBe(elsewhere);
    expect(readFileSync(elsewhere, "utf8")).toBe("text\n");
    expect(broadcast[0]).toMatchObject({ event: "saved", path: elsewhere, name: "copy.log" });
  });

  it("confines a UI's Save As to its root once told to, resolving names against the document's folder", async () => {
    const { dir, saves } = await savesOf("text\n");
    expect(saves.saveAsRoot).toBeNull();
    saves.confine(dir);
    expect(saves.saveAsRoot).not.toBeNull();
    await expect(saves.saveAs({ id: 1, type: "saveAs", path: "../outside.log" })).rejects.toMatchObject({
      code: "EOUTSIDE",
    });
    expect(await saves.saveAs({ id: 2, type: "saveAs", path: "inside.log" })).toMatchObject({ length: 5 });
    expect(readFileSync(join(dir, "inside.log"), "utf8")).toBe("text\n");
  });

  it("cancels a running save: the file stays as it was", async () => {
    const { path, doc, saves } = await savesOf("original\n", (running) => {
      expect(running.cancel()).toEqual({});
    });
    doc.insert(0, "edited ");
    await expect(saves.save()).rejects.toMatchObject({ name: "AbortError" });
    expect(readFileSync(path, "utf8")).toBe("original\n");
    // Nothing is left to cancel once it has ended.
    expect(saves.cancel()).toEqual({});
  });
});
