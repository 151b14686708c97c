/**
 * A file replaced or truncated by another program (a log rotated) is read anew on request
 * (reopenFile): UIs stay connected and hear `reopened`, the new file is followed from there, and
 * unsaved edits to the old text are never dropped unless the request says so.
 */
import { appendFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
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

async function hostFor(content: string) {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: false,
    diskCheckMs: 20,
    follow: true,
  });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, ui: new FakeChannel(host) };
}

const firstLine = async (ui: FakeChannel) =>
  (await ui.request("window", { anchor: { line: 0 }, linesBefore: 0, linesAfter: 0 })).lines[0];

describe("reading a replaced file anew", () => {
  it("after a rotation: says the file was replaced, then reopens it for every UI and follows the new one", async () => {
    const { host, path, ui } = await hostFor("old 1\nold 2\n");
    const other = new FakeChannel(host);
    const before = await ui.request("hello", { protocol: 1 });
    renameSync(path, `${path}.1`);
    writeFileSync(path, "new 1\n");
    await waitFor(() => ui.events("fileChanged").some((event) => event.reason === "replaced"), "replaced");
    const info = await ui.request("reopenFile", {});
    expect(info).toMatchObject({ length: 6, modified: false, diskState: "unchanged", follow: true });
    expect(info.version).toBeGreaterThan(before.version);
    expect(other.events("reopened").at(-1)?.info.length).toBe(6);
    expect(await firstLine(ui)).toBe("new 1");
    // The new file is the one followed now.
    appendFileSync(path, "new 2\n");
    await waitFor(() => ui.events("appended").length > 0, "appended to the new file");
    const tail = await ui.request("window", { anchor: { line: 1 }, linesBefore: 0, linesAfter: 0 });
    expect(tail.lines[tail.anchorIndex]).toBe("new 2");
    expect(readFileSync(`${path}.1`, "utf8")).toBe("old 1\nold 2\n");
  });

  it("after a truncation (copytruncate), the same", async () => {
    const { ui, path } = await hostFor("a long line of the old log\n".repeat(100));
    truncateSync(path, 0);
    appendFileSync(path, "fresh\n");
    await waitFor(() => ui.events("fileChanged").some((event) => event.reason === "truncated"), "truncated");
    const info = await ui.request("reopenFile", {});
    expect(info.length).toBe(6);
    expect(await firstLine(ui)).toBe("fresh");
  });

  it("refuses with unsaved edits unless told to discard them, and changes nothing when the file is gone", async () => {
    const { host, path, ui } = await hostFor("old\n");
    const info = await ui.request("hello", { protocol: 1 });
    await ui.request("edit", { baseVersion: info.version, edits: [{ start: 0, end: 0, text: "mine " }] });
    renameSync(path, `${path}.1`);
    writeFileSync(path, "new\n");
    await expect(ui.request("reopenFile", {})).rejects.toMatchObject({ code: "EMODIFIED" });
    expect(await firstLine(ui)).toBe("mine old");
    const seen = (await ui.request("hello", { protocol: 1 })).version;
    rmSync(path);
    await expect(ui.request("reopenFile", { discardEdits: true, baseVersion: seen })).rejects.toMatchObject({
      code: "ENOENT",
    });
    // Nothing was let go: the edit is still there, and can be saved.
    expect(await firstLine(ui)).toBe("mine old");
    expect(host.doc.modified).toBe(true);
    writeFileSync(path, "newer\n");
    // Another window types after the user chose to discard what they saw: nothing is discarded.
    const other = new FakeChannel(host);
    await other.request("edit", { baseVersion: seen, edits: [{ start: 0, end: 0, text: "theirs " }] });
    await expect(ui.request("reopenFile", { discardEdits: true, baseVersion: seen })).rejects.toMatchObject({
      code: "ESTALE",
    });
    expect(await firstLine(ui)).toBe("theirs mine old");
    const now = (await ui.request("hello", { protocol: 1 })).version;
    const reopened = await ui.request("reopenFile", { discardEdits: true, baseVersion: now });
    expect(reopened).toMatchObject({ modified: false, length: 6 });
    expect(await firstLine(ui)).toBe("newer");
  });
});
