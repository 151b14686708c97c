/**
 * The file changed on disk (host/disk-changes.ts): appended bytes are taken in as a new version
 * (`appended`, no warning), under edits too; any other change, or an append the document refused,
 * is told in words (`fileChanged`, with the reason); a change made while our own save ran is reported after it; stop() stops.
 */
import { appendFileSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";
import { DiskChanges } from "../../host/disk-changes.js";
import type { HostEvent } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();
const watches: DiskChanges[] = [];

afterEach(() => {
  for (const watch of watches.splice(0)) watch.stop();
});

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

async function watched(content: string, checkEveryMs = 20) {
  const { doc, path } = await openDocument(content, "app.log");
  await doc.whenIndexed();
  const changes = new ChangeQueue(() => doc.path);
  const events: HostEvent[] = [];
  let reindexed = 0;
  const disk = new DiskChanges(
    {
      doc,
      changes,
      reindex: () => {
        reindexed++;
      },
      lineCount: () => null,
      broadcast: (event) => events.push(event),
    },
    checkEveryMs,
  );
  watches.push(disk);
  const told = (kind: string) => events.filter((event) => event.event === kind);
  return { path, doc, changes, disk, events, told, reindexed: () => reindexed };
}

describe("DiskChanges", () => {
  it("takes appended lines in as a new version, without a warning", async () => {
    const { path, doc, changes, told } = await watched("one\n");
    appendFileSync(path, "two\n");
    await waitFor(() => told("appended").length === 1, "appended");
    expect(told("appended")[0]).toEqual({
      event: "appended",
      version: 1,
      length: 8,
      lineCount: null,
      bytes: 4,
    });
    expect(changes.version).toBe(1);
    expect(doc.read(0, doc.length).toString()).toBe("one\ntwo\n");
    expect(told("fileChanged")).toEqual([]);
  });

  it("takes appended lines in after an end an edit deleted; warns, saying why, when the text is from before the last save", async () => {
    const { path, doc, disk, told } = await watched("one\n");
    doc.delete(doc.length - 1, doc.length);
    appendFileSync(path, "two\n");
    await waitFor(() => told("appended").length === 1, "appended");
    expect(doc.getText()).toBe("onetwo\n");
    doc.insert(0, ">");
    await disk.whilePaused(() => doc.save()); // as the host saves
    doc.undo(); // a version over the file as it was before the save
    // The file on disk is still the one saved: nothing to tell (it was once told as "replaced").
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(told("fileChanged")).toEqual([]);
    appendFileSync(path, "three\n");
    await waitFor(() => told("fileChanged").length === 1, "fileChanged");
    expect(told("fileChanged")[0]).toMatchObject({
      reason: "modified",
      message: expect.stringMatching(
        /^Another program appends to app\.log, but .*you undid past your last save/,
      ),
    });
    expect(told("appended")).toHaveLength(1);
    expect(doc.getText()).toBe("onetwo\n");
  });

  it("a file rewritten longer is no append: the warning says it changed, not that it is appended to", async () => {
    const { path, doc, told } = await watched("one\n");
    doc.insert(0, ">");
    writeFileSync(path, "ONE\ntwo\n");
    await waitFor(() => told("fileChanged").length === 1, "fileChanged");
    expect(told("fileChanged")[0]).toMatchObject({
      reason: "modified",
      message: expect.stringMatching(/^Another program changed app\.log on disk/),
    });
    expect(told("appended")).toEqual([]);
  });

  it("tells truncation and deletion in words", async () => {
    const { path, disk, told } = await watched("one\ntwo\n");
    truncateSync(path, 2);
    await waitFor(() => told("fileChanged").length === 1, "truncated");
    expect(told("fileChanged")[0]).toMatchObject({
      reason: "truncated",
      message: expect.stringMatching(/truncated/),
    });
    expect(disk.lastState).toBe("truncated");
    unlinkSync(path);
    await waitFor(() => told("fileChanged").length === 2, "deleted");
    expect(told("fileChanged")[1]).toMatchObject({ reason: "deleted" });
  });

  it("is quiet while our own save runs, and reports after it what another program did meanwhile", async () => {
    const { path, disk, told } = await watched("one\ntwo\n", 10);
    await disk.whilePaused(async () => {
      truncateSync(path, 2);
      await new Promise((resolve) => setTimeout(resolve, 60));
    });
    expect(told("fileChanged")).toEqual([]);
    expect(disk.lastState).toBe("truncated"); // looked at again as the save ended
    disk.reportAfterSave();
    expect(told("fileChanged")).toEqual([expect.objectContaining({ reason: "truncated" })]);
  });

  it("stops looking once stopped", async () => {
    const { path, disk, told } = await watched("one\n");
    disk.stop();
    truncateSync(path, 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(told("fileChanged")).toEqual([]);
  });
});
