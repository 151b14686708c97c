/**
 * The filter view's host side: matching lines found by the engine, kept compactly, served a
 * window at a time, written to a new file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelFilters } from "../../host/channel-filters.js";
import { HostedDocument } from "../../host/hosted-document.js";
import { ForwardLineCounter } from "../../host/line-filter.js";
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
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: false,
    saveAsRoot: dir,
  });
  opened.push(host);
  return { host, path, dir, ui: new FakeChannel(host) };
}

const literal = (pattern: string) => ({ pattern, caseSensitive: true, wholeWord: false, regex: false });

describe("the filter view's lines", () => {
  it("lists each matching line once, numbered as in the file, with its text", async () => {
    const { ui } = await hostFor("a ERROR\r\nb\nc ERROR ERROR\nERROR\n\xff ok\nlast ERROR");
    const result = await ui.request("filter", { filterId: 1, query: literal("ERROR") });
    expect(result).toEqual({ lines: 4, version: 0 });
    const { lines, total, done } = await ui.request("filterLines", { filterId: 1, from: 0, count: 10 });
    expect({ total, done }).toEqual({ total: 4, done: true });
    expect(lines).toEqual([
      { line: 0, text: "a ERROR", cut: false },
      { line: 2, text: "c ERROR ERROR", cut: false },
      { line: 3, text: "ERROR", cut: false },
      { line: 5, text: "last ERROR", cut: false },
    ]);
    expect((await ui.request("filterLines", { filterId: 1, from: 3, count: 10 })).lines).toHaveLength(1);
    expect(await ui.request("filterIndex", { filterId: 1, line: 1 })).toEqual({ index: 1 });
    expect(await ui.request("filterIndex", { filterId: 1, line: 4 })).toEqual({ index: 3 });
    expect(await ui.request("filterIndex", { filterId: 1, line: 99 })).toEqual({ index: 4 });
    const progress = ui.events("filterProgress");
    expect(progress.at(-1)).toMatchObject({ filterId: 1, lines: 4, done: true });
  });

  it("keeps a long line's first few KiB and says it goes on; invalid bytes stay escaped", async () => {
    // UTF-8 text around the bad byte, so the file reads as UTF-8 (one lone 0xFF alone reads as ÿ in Windows-1252).
    const { ui } = await hostFor(
      Buffer.concat([
        Buffer.from(`x${"y".repeat(10_000)}\nz\xff\n`, "latin1"),
        Buffer.from("café\n".repeat(20), "utf8"),
      ]),
    );
    await ui.request("filter", { filterId: 2, query: literal("y") });
    const [long] = (await ui.request("filterLines", { filterId: 2, from: 0, count: 1 })).lines;
    expect(long!.cut).toBe(true);
    expect(long!.text.length).toBe(4096);
    await ui.request("filter", { filterId: 3, query: literal("z") });
    const [invalid] = (await ui.request("filterLines", { filterId: 3, from: 0, count: 1 })).lines;
    expect(invalid!.text).toBe("z\udcff");
    // The older filter of this UI is gone.
    await expect(ui.request("filterLines", { filterId: 2, from: 0, count: 1 })).rejects.toMatchObject({
      code: "ENOFILTER",
    });
  });

  it("holds 4 bytes a matching line, and is stale after an edit", async () => {
    const { host, ui } = await hostFor("hit\n".repeat(300_000));
    expect((await ui.request("filter", { filterId: 1, query: literal("hit") })).lines).toBe(300_000);
    const filters = (host as unknown as { parts: { filters: ChannelFilters } }).parts.filters;
    const bytes = filters.get(ui, 1).memoryBytes;
    expect(bytes).toBeLessThanOrEqual(300_000 * 4 + 256 * 1024);
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "x" }] });
    await expect(ui.request("filterLines", { filterId: 1, from: 0, count: 1 })).rejects.toMatchObject({
      code: "ESTALE",
    });
  });

  it("is cancelled by cancelCount with its id", async () => {
    const { ui } = await hostFor("hit\n".repeat(4_000_000));
    const running = ui.request("filter", { filterId: 5, query: literal("hit") });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ui.request("cancelCount", { searchId: 5 });
    await expect(running).rejects.toMatchObject({ code: "EABORTED" });
  });

  it("writes the matching lines to a new file in the folder, never over the document", async () => {
    const { ui, dir, path } = await hostFor("keep 1\r\nskip\r\nkeep 2\r\n");
    await ui.request("filter", { filterId: 1, query: literal("keep") });
    const result = await ui.request("saveFiltered", { filterId: 1, path: "kept.log" });
    expect(result).toEqual({ lines: 2, bytes: 16, path: join(dir, "kept.log") });
    expect(readFileSync(join(dir, "kept.log"), "latin1")).toBe("keep 1\r\nkeep 2\r\n");
    await expect(ui.request("saveFiltered", { filterId: 1, path: "kept.log" })).rejects.toMatchObject({
      code: "EEXIST",
    });
    await expect(
      ui.request("saveFiltered", { filterId: 1, path: "doc.log", force: true }),
    ).rejects.toMatchObject({ code: "EINVAL" });
    await expect(ui.request("saveFiltered", { filterId: 1, path: "../out.log" })).rejects.toMatchObject({
      code: "EOUTSIDE",
    });
    expect(readFileSync(path, "latin1")).toBe("keep 1\r\nskip\r\nkeep 2\r\n");
    expect(existsSync(join(dir, "..", "out.log"))).toBe(false);
  });
});

describe("counting lines going forward", () => {
  it("gives the line of each offset as a full count would, with small blocks and long lines", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "\n", "bb", "\r\n", "x".repeat(40)), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 17 }),
        (parts, picks, blockBytes) => {
          const bytes = Buffer.from(parts.join(""));
          const doc = {
            length: bytes.length,
            read: (start: number, end: number) => bytes.subarray(start, end),
          };
          const offsets = picks
            .map((pick) => (bytes.length === 0 ? 0 : pick % bytes.length))
            .sort((a, b) => a - b);
          const counter = new ForwardLineCounter(doc as never, blockBytes);
          for (const offset of offsets) {
            const expected = bytes.subarray(0, offset).filter((byte) => byte === 10).length;
            if (counter.lineOf(offset) !== expected) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
