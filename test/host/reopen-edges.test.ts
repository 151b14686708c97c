/**
 * Reading a document anew in place (hosted-document.ts) at its edges: requests sent while a reopen
 * waits its turn reach the new document, not the retired one; the old file watch says nothing more;
 * a reopen that cannot open the file as asked falls back (as it was, then read-only) and never
 * leaves a half-closed document; read-only because another Gigapad held it is not kept for good.
 */
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument, type HostedDocumentOptions } from "../../host/hosted-document.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: string, options: HostedDocumentOptions = {}) {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, content);
  const stateDir = join(dir, "state");
  const host = await HostedDocument.open(path, { stateDir, autosave: false, diskCheckMs: 20, ...options });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, stateDir, ui: new FakeChannel(host) };
}

const firstLine = async (ui: FakeChannel) =>
  (await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 })).lines[0];

describe("reopening in place, at the edges", () => {
  it("holds requests sent after a reopen until it is done, then answers them from the new document", async () => {
    const { host, ui } = await hostFor("hello\n");
    const other = new FakeChannel(host);
    const info = await ui.request("hello", { protocol: 1 });
    await ui.request("edit", { baseVersion: info.version, edits: [{ start: 0, end: 0, text: "X" }] });
    await ui.request("save", {});
    const reopen = ui.request("reopenWithEncoding", { encoding: "windows-1252" });
    const undo = other.request("undo", {});
    const save = other.request("save", {});
    const saveNow = host.saveNow();
    const reopened = await reopen;
    // The history started over with the new reading: nothing to undo, and the saves succeed.
    await expect(undo).resolves.toMatchObject({ done: false });
    await expect(save).resolves.toMatchObject({ length: 7 });
    await expect(saveNow).resolves.toMatchObject({ length: 7 });
    expect(reopened.encoding).toBe("windows-1252");
    expect(await firstLine(other)).toBe("Xhello");
  });

  it("the retired document's file watch tells nothing after the reopen", async () => {
    const { host, ui, path } = await hostFor("one\n", { follow: true });
    await ui.request("hello", { protocol: 1 });
    const reopen = ui.request("reopenWithEncoding", { encoding: "windows-1252" });
    appendFileSync(path, "two\n");
    // What the poll or the write notification of the parts shown now does, before the reopen's turn.
    (host as unknown as { parts: { disk: { disk: { check(): void } } } }).parts.disk.disk.check();
    await reopen;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const since = ui.sent.slice(
      ui.sent.findIndex((message) => "event" in message && message.event === "reopened"),
    );
    expect(since.filter((message) => "event" in message && message.event === "fileChanged")).toEqual([]);
    expect(host.info().diskState).toBe("unchanged");
  });

  it("when the file cannot be opened as asked (its session folder broken), falls back to read-only and says why", async () => {
    const { ui, stateDir } = await hostFor("line\n");
    await ui.request("hello", { protocol: 1 });
    rmSync(stateDir, { recursive: true, force: true });
    writeFileSync(stateDir, ""); // a file where the session folder goes
    await expect(ui.request("reopenWithEncoding", { encoding: "windows-1252" })).rejects.toBeDefined();
    const info = await ui.request("hello", { protocol: 1 });
    expect(info.readOnly).toBe(true);
    expect(await firstLine(ui)).toBe("line");
  });

  it("when the file is gone, lets go of nothing", async () => {
    const { ui, path } = await hostFor("kept\n");
    await ui.request("hello", { protocol: 1 });
    rmSync(path);
    await expect(ui.request("reopenWithEncoding", { encoding: "windows-1252" })).rejects.toMatchObject({
      code: "ENOENT",
    });
    expect(await firstLine(ui)).toBe("kept");
  });

  it("reopens editable once the other Gigapad that held the file let go", async () => {
    const { host, path, stateDir } = await hostFor("text\n");
    const second = await HostedDocument.open(path, { stateDir, autosave: false });
    opened.push(second);
    const ui2 = new FakeChannel(second);
    expect((await ui2.request("hello", { protocol: 1 })).readOnlyReason).toMatch(/another Gigapad/);
    await host.close();
    const info = await ui2.request("reopenFile", {});
    expect(info).toMatchObject({ readOnly: false, readOnlyReason: null });
  });
});
