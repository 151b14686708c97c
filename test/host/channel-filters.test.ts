/**
 * Each UI's filter view (host/channel-filters.ts): one filter per UI (a newer one stops the older),
 * progress with the last event saying done, ENOFILTER for an unknown id, ESTALE after the version
 * moved, the lines written out with the document's newline, and nothing kept once the UI goes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Channel } from "../../host/channel.js";
import { ChannelFilters } from "../../host/channel-filters.js";
import { textCodec } from "../../host/text-codec.js";
import type { HostEvent } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();

async function filtersOf(content: string, options: { newline?: "\n" | "\r\n"; root?: string | null } = {}) {
  const { doc, dir } = await openDocument(content);
  const state = { version: 0 };
  const sent: [Channel, HostEvent][] = [];
  const searches = new Map<Channel, Map<number, AbortController>>();
  const filters = new ChannelFilters({
    doc,
    version: () => state.version,
    searches: (channel) => {
      const running = searches.get(channel) ?? new Map<number, AbortController>();
      searches.set(channel, running);
      return running;
    },
    send: (channel, event) => sent.push([channel, event]),
    saveAsRoot: () => options.root ?? null,
    codec: () => textCodec("utf-8"),
    decode: (bytes) => textCodec("utf-8").decode(bytes),
    newline: () => options.newline ?? "\n",
  });
  return { doc, dir, state, sent, searches, filters };
}

const ui = {} as Channel;
const other = {} as Channel;

describe("ChannelFilters", () => {
  it("runs a UI's filter to its end, the last progress event saying done", async () => {
    const { filters, sent, searches } = await filtersOf("error 1\nok\nerror 2\n");
    expect(await filters.run(ui, 1, { pattern: "error" })).toEqual({ lines: 2, version: 0 });
    const progress = sent.map(([, event]) => event);
    expect(progress.at(-1)).toMatchObject({ event: "filterProgress", filterId: 1, lines: 2, done: true });
    expect(
      filters
        .get(ui, 1)
        .window(0, 10)
        .map((line) => line.text),
    ).toEqual(["error 1", "error 2"]);
    expect(searches.get(ui)?.size).toBe(0); // a finished filter is no longer cancellable
  });

  it("keeps one filter per UI: a newer one replaces the older, another UI's is its own", async () => {
    const { filters } = await filtersOf("a\nb\na\n");
    await filters.run(ui, 1, { pattern: "a" });
    await filters.run(other, 1, { pattern: "b" });
    await filters.run(ui, 2, { pattern: "b" });
    expect(() => filters.get(ui, 1)).toThrow(expect.objectContaining({ code: "ENOFILTER" }));
    expect(filters.get(ui, 2).count).toBe(1);
    expect(filters.get(other, 1).count).toBe(1);
  });

  it("is stale once the document has a new version (ESTALE)", async () => {
    const { filters, state } = await filtersOf("a\n");
    await filters.run(ui, 1, { pattern: "a" });
    state.version = 1;
    expect(() => filters.get(ui, 1)).toThrow(expect.objectContaining({ code: "ESTALE" }));
  });

  it("writes the matching lines to a new file with the document's newline, resolved against its folder", async () => {
    const { filters, dir } = await filtersOf("x 1\ny\nx 2\n", { newline: "\r\n" });
    await filters.run(ui, 1, { pattern: "x" });
    const written = await filters.save(ui, 1, "matches.log", { force: false });
    expect(written).toMatchObject({ lines: 2, path: join(dir, "matches.log") });
    expect(readFileSync(join(dir, "matches.log"), "utf8")).toBe("x 1\r\nx 2\r\n");
    await expect(filters.save(ui, 1, "matches.log", { force: false })).rejects.toMatchObject({
      code: "EEXIST",
    });
    await expect(filters.save(ui, 1, "matches.log", { force: true })).resolves.toMatchObject({ lines: 2 });
  });

  it("forgets a UI's filter when it goes away", async () => {
    const { filters } = await filtersOf("a\n");
    await filters.run(ui, 1, { pattern: "a" });
    filters.drop(ui);
    expect(() => filters.get(ui, 1)).toThrow(expect.objectContaining({ code: "ENOFILTER" }));
  });
});
