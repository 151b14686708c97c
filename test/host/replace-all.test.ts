/**
 * replaceAll through the engine host, as the find panel's Replace and Replace All send it: one
 * match or all, progress under a search id, cancellation at any moment, one undo step.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { parseRequest } from "../../protocol/index.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: string | Buffer) {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, { stateDir: join(dir, "state"), autosave: false });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, ui: new FakeChannel(host) };
}

const literal = (pattern: string) => ({ pattern, caseSensitive: true, wholeWord: false, regex: false });

describe("replaceAll in the host", () => {
  it("replaces only the match inside [start, end), with regex groups, leaving other bytes as they are", async () => {
    const { host, ui } = await hostFor(Buffer.from("id=1 a\r\nid=22 \xff\nid=3\n", "latin1"));
    const query = { pattern: "id=(\\d+)", caseSensitive: true, wholeWord: false, regex: true };
    const result = await ui.request("replaceAll", {
      baseVersion: 0,
      query,
      replacement: "<$1>",
      start: 8,
      end: 13,
    });
    expect(result).toMatchObject({ count: 1, version: 1 });
    expect(host.doc.read(0, host.doc.length).toString("latin1")).toBe("id=1 a\r\n<22> \xff\nid=3\n");
  });

  it("sends progress under its search id and is one undo step", async () => {
    const line = "2026-11-22 ERROR something failed\n";
    const { host, ui, path } = await hostFor(line.repeat(200_000));
    const result = await ui.request("replaceAll", {
      baseVersion: 0,
      query: literal("ERROR"),
      replacement: "E",
      searchId: 7,
    });
    expect(result.count).toBe(200_000);
    expect(result.length).toBe((line.length - 4) * 200_000);
    const progress = ui.events("replaceProgress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((event) => event.searchId === 7 && event.total === line.length * 200_000)).toBe(
      true,
    );
    await ui.request("undo", {});
    expect(host.doc.length).toBe(line.length * 200_000);
    expect(readFileSync(path, "utf8")).toBe(line.repeat(200_000));
  });

  it("is cancelled by cancelCount with its id, even before its turn comes, and changes nothing", async () => {
    const { host, ui } = await hostFor("x".repeat(64 * 1024 * 1024));
    const running = ui.request("replaceAll", {
      baseVersion: 0,
      query: literal("x"),
      replacement: "yy",
      searchId: 3,
    });
    await ui.request("cancelCount", { searchId: 3 });
    await expect(running).rejects.toMatchObject({ code: "EABORTED" });
    expect(host.doc.length).toBe(64 * 1024 * 1024);
    expect(host.doc.read(0, 4).toString()).toBe("xxxx");
    // The next one runs as usual.
    const after = await ui.request("replaceAll", {
      baseVersion: 0,
      query: literal("xxxx"),
      replacement: "",
      start: 0,
      end: 8,
    });
    expect(after.count).toBe(2);
  });

  it("the protocol checks the range and the id", () => {
    const base = { id: 1, type: "replaceAll", baseVersion: 0, query: literal("a"), replacement: "b" };
    expect(parseRequest({ ...base, start: 5, end: 2 })).toMatchObject({ ok: false });
    expect(parseRequest({ ...base, searchId: -1 })).toMatchObject({ ok: false });
    expect(parseRequest({ ...base, start: 2, end: 5, searchId: 4 })).toMatchObject({
      ok: true,
      request: { start: 2, end: 5, searchId: 4 },
    });
  });
});
