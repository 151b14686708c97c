/**
 * The host follows a file another program appends to: the document takes the bytes in at the end
 * of its text — under edits too, after text typed at the end or in place of a deleted end — and
 * UIs hear "appended" (no warning). (A refused append's warning: disk-changes.test.ts.)
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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

async function hostFor(content: string, options: { readOnly?: boolean; follow?: boolean } = {}) {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: false,
    diskCheckMs: 5000, // the system's write notification must do it, not the poll
    ...options,
  });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, ui: new FakeChannel(host) };
}

describe("the host follows a growing file", () => {
  it("takes appended lines in and tells UIs, fast, without a warning", async () => {
    const { host, path, ui } = await hostFor("one\ntwo\n", { follow: true });
    expect((await ui.request("hello", { protocol: 1 })).follow).toBe(true);
    const written = Date.now();
    appendFileSync(path, "three\n");
    await waitFor(() => ui.events("appended").length === 1, "appended");
    expect(Date.now() - written).toBeLessThan(2000);
    expect(ui.events("appended")[0]).toEqual({
      event: "appended",
      version: 1,
      length: 14,
      lineCount: 4,
      bytes: 6,
    });
    appendFileSync(path, "four\n");
    await waitFor(() => ui.events("appended").length === 2, "second append");
    expect(host.doc.getText()).toBe("one\ntwo\nthree\nfour\n");
    expect(ui.events("fileChanged")).toEqual([]);
    // Edits against the new version go through.
    await ui.request("edit", { baseVersion: 2, edits: [{ start: 0, end: 0, text: ">" }] });
    expect(host.doc.getLine(0)).toBe(">one");
  });

  it("follows a read-only document too", async () => {
    const { host, path, ui } = await hostFor("a\n", { readOnly: true });
    appendFileSync(path, "b\n");
    await waitFor(() => ui.events("appended").length === 1, "appended");
    expect(host.doc.getText()).toBe("a\nb\n");
  });

  it("with unsaved edits before the end, takes the appended lines in after them", async () => {
    const { host, path, ui } = await hostFor("one\n");
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "X" }] });
    appendFileSync(path, "two\n");
    await waitFor(() => ui.events("appended").length === 1, "appended");
    expect(ui.events("appended")[0]).toEqual({
      event: "appended",
      version: 2,
      length: 9,
      lineCount: 3,
      bytes: 4,
      modified: true,
    });
    expect(host.doc.getText()).toBe("Xone\ntwo\n");
    expect(ui.events("fileChanged")).toEqual([]);
    expect((await ui.request("undo", {})).done).toBe(true);
    expect(host.doc.getText()).toBe("one\ntwo\n");
  });

  it("with text typed at the end, the appended lines come after it", async () => {
    const { host, path, ui } = await hostFor("one\n");
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 4, end: 4, text: "X\n" }] });
    appendFileSync(path, "two\n");
    await waitFor(() => ui.events("appended").length === 1, "appended");
    expect(host.doc.getText()).toBe("one\nX\ntwo\n");
    expect(ui.events("fileChanged")).toEqual([]);
  });

  it("with the file's old end edited away and text typed in its place, the appended lines come after that text", async () => {
    const { host, path, ui } = await hostFor("one\nlast");
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 4, end: 8, text: "typed\n" }] });
    appendFileSync(path, " line\nnext\n");
    await waitFor(() => ui.events("appended").length === 1, "appended");
    expect(ui.events("appended")[0]).toEqual({
      event: "appended",
      version: 2,
      length: 21,
      lineCount: 5,
      bytes: 11,
      modified: true,
    });
    expect(host.doc.getText()).toBe("one\ntyped\n line\nnext\n");
    expect(ui.events("fileChanged")).toEqual([]);
    expect((await ui.request("undo", {})).done).toBe(true);
    expect(host.doc.getText()).toBe("one\nlast line\nnext\n");
  });
});
