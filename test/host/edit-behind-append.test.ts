/**
 * An edit made before an append the host took in (follow): the page sent it against the version
 * before the append. It applies unchanged when it stays before the old end, also when the page
 * pipelined more edits numbered as if no append came between; it is refused (ESTALE) when it
 * touches the old end or when another change, not an append, came between.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChangeQueue } from "../../host/change-queue.js";
import { HostedDocument } from "../../host/hosted-document.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** A followed log of "one\ntwo\n" (8 bytes) that another program then appends "three\n" to. */
async function appendedLog() {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, "one\ntwo\n");
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: false,
    diskCheckMs: 50,
    follow: true,
  });
  opened.push(host);
  await host.doc.whenIndexed();
  const ui = new FakeChannel(host);
  const other = new FakeChannel(host);
  appendFileSync(path, "three\n");
  await waitFor(() => ui.events("appended").length === 1, "appended");
  expect(ui.events("appended")[0]).toMatchObject({ version: 1, length: 14 });
  return { host, ui, other };
}

describe("an edit made before an append", () => {
  it("applies unchanged when it stays before the old end", async () => {
    const { host, ui } = await appendedLog();
    const result = await ui.request("edit", { baseVersion: 0, edits: [{ start: 4, end: 7, text: "2" }] });
    expect(result).toEqual({ version: 2, length: 12 });
    expect(host.doc.getText()).toBe("one\n2\nthree\n");
  });

  it("pipelined edits, numbered as if no append came between, apply in order", async () => {
    const { host, ui } = await appendedLog();
    // Sent before the page heard of the append: against 0, then 1 and 2 (its own next versions).
    const replies = await Promise.all([
      ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "a" }] }),
      ui.request("edit", { baseVersion: 1, edits: [{ start: 1, end: 1, text: "b" }] }),
      ui.request("edit", { baseVersion: 2, edits: [{ start: 2, end: 2, text: "c" }] }),
    ]);
    expect(replies.map((reply) => reply.version)).toEqual([2, 3, 4]);
    expect(host.doc.getText()).toBe("abcone\ntwo\nthree\n");
    // Having heard of them, the page types on the host's version.
    await ui.request("edit", { baseVersion: 4, edits: [{ start: 3, end: 3, text: "d" }] });
    expect(host.doc.getText()).toBe("abcdone\ntwo\nthree\n");
  });

  it("is refused when it touches the old end: typing at it, or deleting the last byte", async () => {
    const { host, ui } = await appendedLog();
    await expect(
      ui.request("edit", { baseVersion: 0, edits: [{ start: 8, end: 8, text: "x" }] }),
    ).rejects.toMatchObject({ code: "ESTALE" });
    await expect(
      ui.request("edit", { baseVersion: 0, edits: [{ start: 7, end: 8, text: "" }] }),
    ).rejects.toMatchObject({ code: "ESTALE" });
    await expect(
      ui.request("edit", {
        baseVersion: 0,
        edits: [
          { start: 0, end: 0, text: ">" },
          { start: 8, end: 8, text: "x" },
        ],
      }),
    ).rejects.toMatchObject({ code: "ESTALE" });
    expect(host.doc.getText()).toBe("one\ntwo\nthree\n");
  });

  it("is refused when another UI's edit came between, as before", async () => {
    const { host, ui, other } = await appendedLog();
    await other.request("edit", { baseVersion: 1, edits: [{ start: 0, end: 0, text: ">" }] });
    await expect(
      ui.request("edit", { baseVersion: 0, edits: [{ start: 4, end: 4, text: "x" }] }),
    ).rejects.toMatchObject({ code: "ESTALE" });
    expect(host.doc.getText()).toBe(">one\ntwo\nthree\n");
  });

  it("Replace on one match before the append applies; Replace All (no range) is refused", async () => {
    const { host, ui } = await appendedLog();
    const query = { pattern: "t(w)o", regex: true };
    await expect(
      ui.request("replaceAll", { baseVersion: 0, query, replacement: "T$1O" }),
    ).rejects.toMatchObject({ code: "ESTALE" });
    const one = await ui.request("replaceAll", {
      baseVersion: 0,
      query,
      replacement: "T$1O",
      start: 4,
      end: 7,
    });
    expect(one.count).toBe(1);
    expect(host.doc.getText()).toBe("one\nTwO\nthree\n");
  });
});

describe("ChangeQueue across appends", () => {
  it("accepts a base older by appends only, for a change before the oldest end", () => {
    const queue = new ChangeQueue(() => "/doc.log");
    expect(queue.nextAppendedVersion(100)).toBe(1);
    expect(queue.nextAppendedVersion(150)).toBe(2);
    expect(() => queue.checkBase(0, { end: 99 })).not.toThrow();
    expect(() => queue.checkBase(1, { end: 149 })).not.toThrow();
    expect(() => queue.checkBase(0, { end: 100 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
    expect(() => queue.checkBase(1, { end: 150 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
    // Without a reach (a change of everything), only the current version does.
    expect(() => queue.checkBase(0)).toThrow(expect.objectContaining({ code: "ESTALE" }));
    expect(() => queue.checkBase(3, { end: 0 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
    // Another change since: appends before it no longer help.
    queue.nextVersion();
    expect(() => queue.checkBase(0, { end: 0 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
    expect(() => queue.checkBase(2, { end: 0 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
    queue.nextAppendedVersion(160);
    expect(() => queue.checkBase(3, { end: 159 })).not.toThrow();
    expect(() => queue.checkBase(2, { end: 0 })).toThrow(expect.objectContaining({ code: "ESTALE" }));
  });

  it("reads a UI's pipelined base as the version its last edit made, for that UI only", () => {
    const queue = new ChangeQueue(() => "/doc.log");
    const ui = {};
    const other = {};
    queue.nextAppendedVersion(10); // version 1
    expect(queue.baseOf(ui, 0)).toBe(0);
    queue.nextVersion(); // the ui's edit against 0 made version 2
    queue.edited(ui, 0);
    expect(queue.baseOf(ui, 1)).toBe(2);
    expect(queue.baseOf(other, 1)).toBe(1);
    expect(queue.baseOf(ui, 2)).toBe(2);
    queue.nextVersion(); // its edit against 1 (read as 2) made version 3
    queue.edited(ui, 1);
    expect(queue.baseOf(ui, 2)).toBe(3);
    queue.nextVersion(); // against 3, as the host numbers: nothing to read any more
    queue.edited(ui, 3);
    expect(queue.baseOf(ui, 4)).toBe(4);
    expect(queue.baseOf(ui, 3)).toBe(3);
  });
});
