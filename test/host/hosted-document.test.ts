import { readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { encodeEscaped } from "../../protocol/index.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: string | Buffer, options: { name?: string; diskCheckMs?: number } = {}) {
  const dir = tempDir();
  const path = join(dir, options.name ?? "doc.log");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: { quietMs: 20, maxDelayMs: 100 },
    diskCheckMs: options.diskCheckMs ?? 50,
  });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, path, dir, ui: new FakeChannel(host) };
}

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("engine host: protocol requests over one document", () => {
  it("hello describes the document: size, lines, line endings, newline to type, encoding", async () => {
    const { ui } = await hostFor("one\r\ntwo\r\nthree\r\n");
    const info = await ui.request("hello", { protocol: 1 });
    expect(info).toMatchObject({
      length: 17,
      lineCount: 4,
      eol: "crlf",
      newline: "crlf",
      encoding: "ascii",
      readOnly: false,
      modified: false,
      safety: "all edits safe",
      name: "doc.log",
    });
  });

  it("hello refuses a protocol version it does not speak", async () => {
    const { ui } = await hostFor("abc\n");
    await expect(ui.request("hello", { protocol: 99 })).rejects.toMatchObject({ code: "EPROTOCOL" });
  });

  describe("malformed and out-of-range messages get errors, never a crash", () => {
    /** After an error the host still serves. */
    const stillServing = async (ui: FakeChannel) =>
      expect(
        (await ui.request("window", { anchor: { byte: 0 }, linesBefore: 0, linesAfter: 5 })).lines,
      ).toEqual(["abc", ""]);

    it("a request missing its fields: EBADREQUEST, with its id", async () => {
      const { ui } = await hostFor("abc\n");
      expect(await ui.raw({ id: 7, type: "window" })).toMatchObject({
        id: 7,
        ok: false,
        error: { code: "EBADREQUEST" },
      });
      await stillServing(ui);
    });

    it("an unknown request type: EBADREQUEST", async () => {
      const { ui } = await hostFor("abc\n");
      expect(await ui.raw({ id: 8, type: "nope" })).toMatchObject({
        ok: false,
        error: { code: "EBADREQUEST" },
      });
      await stillServing(ui);
    });

    it("a negative offset: an error reply", async () => {
      const { ui } = await hostFor("abc\n");
      expect(await ui.raw({ id: 9, type: "lineAt", offset: -1 })).toMatchObject({ ok: false });
      await stillServing(ui);
    });

    it("a message that is not JSON: an error event", async () => {
      const { ui } = await hostFor("abc\n");
      await ui.raw("not json at all");
      expect(ui.events("error").at(-1)).toMatchObject({ code: "EBADREQUEST" });
      await stillServing(ui);
    });

    it("an edit past the end: ERANGE", async () => {
      const { ui } = await hostFor("abc\n");
      await expect(
        ui.request("edit", { baseVersion: 0, edits: [{ start: 2, end: 99, text: "" }] }),
      ).rejects.toMatchObject({
        code: "ERANGE",
      });
      await stillServing(ui);
    });

    it("a line past the last: ERANGE", async () => {
      const { ui } = await hostFor("abc\n");
      await expect(ui.request("lineStart", { line: 10 })).rejects.toMatchObject({ code: "ERANGE" });
      await stillServing(ui);
    });

    it("a pattern that is not a RegExp: EBADPATTERN", async () => {
      const { ui } = await hostFor("abc\n");
      await expect(
        ui.request("findNext", { query: { pattern: "(", regex: true }, from: 0, direction: "forward" }),
      ).rejects.toMatchObject({
        code: "EBADPATTERN",
      });
      await stillServing(ui);
    });
  });

  /** Two edits sent back to back (the second against the version the first will make). */
  async function twoPipelinedEdits() {
    const { host, ui } = await hostFor("hello world\n");
    const other = new FakeChannel(host);
    const first = ui.request("edit", { baseVersion: 0, edits: [{ start: 5, end: 5, text: "," }] });
    const second = ui.request("edit", { baseVersion: 1, edits: [{ start: 13, end: 13, text: "!" }] });
    return { host, ui, other, first, second };
  }

  it("applies edits against versions, pipelined", async () => {
    const { host, first, second } = await twoPipelinedEdits();
    expect(await first).toEqual({ version: 1, length: 13 });
    expect(await second).toEqual({ version: 2, length: 14 });
    expect(host.doc.getText()).toBe("hello, world\n!");
  });

  it("refuses an edit against a stale version without touching the document", async () => {
    const { host, ui, first, second } = await twoPipelinedEdits();
    await Promise.all([first, second]);
    await expect(
      ui.request("edit", { baseVersion: 1, edits: [{ start: 0, end: 0, text: "x" }] }),
    ).rejects.toMatchObject({
      code: "ESTALE",
    });
    expect(host.doc.getText()).toBe("hello, world\n!");
  });

  it("tells the other UIs of each edit: its version, where, the length, modified", async () => {
    const { other, first, second } = await twoPipelinedEdits();
    await Promise.all([first, second]);
    await waitFor(() => other.events("changed").length === 2, "changed events");
    expect(other.events("changed").map((event) => event.version)).toEqual([1, 2]);
    expect(other.events("changed")[1]).toMatchObject({ modified: true, length: 14, at: 13 });
  });

  it("keeps every byte: invalid UTF-8 travels escaped and comes back exact", async () => {
    const bytes = Buffer.from([0x61, 0xff, 0x0d, 0x62, 0x0d, 0x0a, 0xc3, 0xa9, 0x00, 0x0a]);
    const { host, ui } = await hostFor(bytes);
    const window = await ui.request("window", { anchor: { byte: 0 }, linesBefore: 0, linesAfter: 10 });
    expect(window.breaks).toEqual([2, 1]);
    expect(
      Buffer.concat([
        encodeEscaped(window.lines[0]!),
        Buffer.from("\r\n"),
        encodeEscaped(window.lines[1]!),
      ]).equals(bytes.subarray(0, 9)),
    ).toBe(true);
    // Type before the invalid byte; everything else stays.
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 1, end: 1, text: "Z\udcfe" }] });
    expect(
      host.doc
        .read()
        .equals(
          Buffer.concat([Buffer.from([0x61]), Buffer.from("Z"), Buffer.from([0xfe]), bytes.subarray(1)]),
        ),
    ).toBe(true);
  });

  it("undo and redo say where they happened", async () => {
    const { ui } = await hostFor(`${"line\n".repeat(1000)}`);
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 3000, end: 3000, text: "INSERTED" }] });
    const undone = await ui.request("undo", {});
    expect(undone).toEqual({ done: true, version: 2, length: 5000, at: 3000 });
    const redone = await ui.request("redo", {});
    expect(redone).toMatchObject({ done: true, at: 3000, length: 5008 });
    await ui.request("undo", {});
    expect(await ui.request("undo", {})).toMatchObject({ done: false, at: null });
  });

  describe("finds", () => {
    const text = Array.from({ length: 3000 }, (_, i) => `row ${i} ${i % 3 === 0 ? "ERROR" : "ok"}`).join(
      "\n",
    );
    const query = { pattern: "ERROR" };

    it("counts, streaming progress to the end", async () => {
      const { ui } = await hostFor(text);
      expect(await ui.request("count", { searchId: 1, query })).toEqual({ count: 1000 });
      expect(ui.events("countProgress").at(-1)).toMatchObject({ searchId: 1, count: 1000, done: true });
    });

    it("counts RegExp matches", async () => {
      const { ui } = await hostFor(text);
      expect(
        await ui.request("count", { searchId: 2, query: { pattern: "row \\d+ ok$", regex: true } }),
      ).toEqual({ count: 2000 });
    });

    it("finds the next match forward", async () => {
      const { ui } = await hostFor(text);
      const first = await ui.request("findNext", { query, from: 0, direction: "forward" });
      expect(first.wrapped).toBe(false);
      expect(text.slice(first.match!.start, first.match!.end)).toBe("ERROR");
    });

    it("finds the previous match, wrapping to the last from before the first", async () => {
      const { ui } = await hostFor(text);
      const first = await ui.request("findNext", { query, from: 0, direction: "forward" });
      const before = await ui.request("findNext", { query, from: first.match!.start, direction: "backward" });
      expect(before.wrapped).toBe(true);
      expect(before.match!.start).toBe(text.lastIndexOf("ERROR"));
    });

    it("forward from past the last match wraps to the first", async () => {
      const { ui } = await hostFor(text);
      const first = await ui.request("findNext", { query, from: 0, direction: "forward" });
      const wrapped = await ui.request("findNext", { query, from: text.length - 2, direction: "forward" });
      expect(wrapped).toEqual({ match: first.match, wrapped: true });
    });

    it("finds matches in a range, up to a limit, and says when there are more", async () => {
      const { ui } = await hostFor(text);
      const inRange = await ui.request("findInRange", {
        query: { pattern: "error", caseSensitive: false },
        start: 0,
        end: 200,
        limit: 2,
      });
      expect(inRange.matches).toHaveLength(2);
      expect(inRange.truncated).toBe(true);
    });
  });

  /** An edit, then a save with a second edit sent while it runs. */
  async function saveWithAnEditDuring() {
    const { host, ui, path } = await hostFor(`${"x".repeat(100)}\n`.repeat(2000));
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "HEAD\n" }] });
    const saving = ui.request("save", {});
    const during = ui.request("edit", { baseVersion: 1, edits: [{ start: 0, end: 0, text: "NEXT " }] });
    expect(await saving).toEqual({ length: 202_005 });
    expect(await during).toMatchObject({ version: 2 });
    return { host, ui, path };
  }

  it("an edit sent during a save waits for it: the file has the text as of the save, the document the edit", async () => {
    const { host, path } = await saveWithAnEditDuring();
    expect(readFileSync(path, "utf8").startsWith("HEAD\nxxx")).toBe(true);
    expect(host.doc.getText(0, 10)).toBe("NEXT HEAD\n");
  });

  it("a save reports progress to the whole length, then saved", async () => {
    const { ui } = await saveWithAnEditDuring();
    expect(ui.events("saveProgress").at(-1)).toMatchObject({ bytesDone: 202_005, bytesTotal: 202_005 });
    expect(ui.events("saved")).toHaveLength(1);
  });

  it("a second save writes the later edit, and the document is no longer modified", async () => {
    const { ui, path } = await saveWithAnEditDuring();
    await ui.request("save", {});
    expect(readFileSync(path, "utf8").startsWith("NEXT HEAD\n")).toBe(true);
    expect((await ui.request("hello", { protocol: 1 })).modified).toBe(false);
  });

  it("commits on its own: the safety state goes to 'all edits safe'", async () => {
    const { ui } = await hostFor("abc\n");
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "z" }] });
    await waitFor(() => ui.events("safety").some((event) => event.safety === "all edits safe"), "a commit");
    expect(ui.events("safety").map((event) => event.safety)).toContain("committing");
  });

  it("refuses to copy more than it can hand over", async () => {
    const { ui } = await hostFor("abc\n");
    expect(await ui.request("readText", { start: 0, end: 3 })).toEqual({ text: "abc" });
    await expect(ui.request("readText", { start: 0, end: 1e9 })).rejects.toMatchObject({ code: "ETOOLARGE" });
  });

  describe("another program changing the file", () => {
    const lines = "0123456789\n".repeat(100);

    it("an append is taken in without a warning (a log's normal life; see test/host/follow.test.ts)", async () => {
      const { ui, path } = await hostFor(lines);
      writeFileSync(path, "0123456789\n".repeat(101));
      await waitFor(() => ui.events("appended").length === 1, "appended");
      expect(ui.events("fileChanged")).toEqual([]);
    });

    it("old bytes rewritten: the UI is told the file was modified", async () => {
      const { ui, path } = await hostFor(lines);
      writeFileSync(path, "abcdefghij\n".repeat(102));
      await waitFor(() => ui.events("fileChanged").length === 1, "modified");
      expect(ui.events("fileChanged")[0]).toMatchObject({ reason: "modified" });
    });

    it("truncated: the UI is told, in words", async () => {
      const { ui, path } = await hostFor(lines);
      truncateSync(path, 50);
      await waitFor(() => ui.events("fileChanged").length === 1, "truncated");
      expect(ui.events("fileChanged")[0]).toMatchObject({ reason: "truncated" });
      expect(ui.events("fileChanged")[0]!.message).toMatch(/truncated/);
    });

    it("deleted: the UI is told", async () => {
      const { ui, path } = await hostFor(lines);
      rmSync(path);
      await waitFor(() => ui.events("fileChanged").length === 1, "deleted");
      expect(ui.events("fileChanged")[0]).toMatchObject({ reason: "deleted" });
    });

    it("one change after another: each is told in turn", async () => {
      const { ui, path } = await hostFor(lines);
      writeFileSync(path, "abcdefghij\n".repeat(102));
      await waitFor(() => ui.events("fileChanged").length === 1, "modified");
      truncateSync(path, 50);
      await waitFor(() => ui.events("fileChanged").length === 2, "truncated");
      rmSync(path);
      await waitFor(() => ui.events("fileChanged").length === 3, "deleted");
      expect(ui.events("fileChanged").map((event) => event.reason)).toEqual([
        "modified",
        "truncated",
        "deleted",
      ]);
    });
  });

  it("opens read-only, and says why, when another editor holds the file", async () => {
    const { path, dir } = await hostFor("abc\n");
    const second = await HostedDocument.open(path, { stateDir: join(dir, "state") });
    opened.push(second);
    const ui = new FakeChannel(second);
    const info = await ui.request("hello", { protocol: 1 });
    expect(info.readOnly).toBe(true);
    expect(info.readOnlyReason).toMatch(/^another Gigapad \(pid \d+\) is editing this file; close it there/);
    await expect(
      ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "x" }] }),
    ).rejects.toThrow(/read-only/);
  });

  it("cancels a count when asked", async () => {
    const { ui } = await hostFor("abc\n".repeat(5_000_000));
    const counting = ui.request("count", { searchId: 5, query: { pattern: "a.c$", regex: true } });
    await ui.request("cancelCount", { searchId: 5 });
    await expect(counting).rejects.toMatchObject({ code: "EABORTED" });
  });

  it("cancels a count when its UI goes away", async () => {
    const { host } = await hostFor("abc\n".repeat(5_000_000));
    const other = new FakeChannel(host);
    const orphan = other.request("count", { searchId: 1, query: { pattern: "a.c$", regex: true } });
    other.close();
    await expect(orphan).rejects.toMatchObject({ code: "EABORTED" });
  });
});
