/**
 * A UI's searches (host/search-requests.ts): counts stream progress and end with `done`, a count
 * is cancelled by its id or when its UI goes away, finds wrap around, the matches in view are cut
 * at their limit and given up after their time limit, and a long job commits what was typed first.
 */
import { describe, expect, it } from "vitest";
import type { Channel } from "../../host/channel.js";
import { findArguments } from "../../host/find-arguments.js";
import { type SearchHost, SearchRequests } from "../../host/search-requests.js";
import { textCodec } from "../../host/text-codec.js";
import type { HostEvent } from "../../protocol/index.js";
import { useOpenDocuments } from "../helpers/open-document.js";

const openDocument = useOpenDocuments();

/** (a+)+$ fails on a line of a's ending in "!" only after trying every way to split them. */
const CATASTROPHIC = { pattern: "(a+)+$", regex: true };
/** A find in view over such a line: it would run for ever. */
const BACKTRACKING_FIND = {
  id: 1,
  type: "findInRange" as const,
  query: CATASTROPHIC,
  start: 0,
  end: 5000,
  limit: 10,
};
/** A line that pattern backtracks on. */
const BACKTRACKING_TEXT = `first\n${"a".repeat(4096)}!\nlast\n`;

const channel = {} as Channel;

async function searchesOf(content: string, findInRangeMs = 10_000) {
  const { doc } = await openDocument(content);
  const sent: HostEvent[] = [];
  let commits = 0;
  const host: SearchHost = {
    doc,
    send: (_channel, event) => sent.push(event),
    commitSoon: () => {
      commits++;
    },
    findInRangeMs,
    codec: () => textCodec("utf-8"),
  };
  return { doc, searches: new SearchRequests(host), sent, commits: () => commits };
}

describe("findArguments", () => {
  it("fills in the protocol's defaults: plain text, case-sensitive, anywhere in a word", () => {
    expect(findArguments({ pattern: "x" })).toEqual([
      "x",
      { regex: false, caseSensitive: true, wholeWord: false },
    ]);
    expect(findArguments({ pattern: "y", regex: true, caseSensitive: false, wholeWord: true })).toEqual([
      "y",
      { regex: true, caseSensitive: false, wholeWord: true },
    ]);
  });
});

describe("SearchRequests", () => {
  it("counts in a range, commits what was typed first, and ends with a done event", async () => {
    const { searches, sent, commits } = await searchesOf("ab ab ab ab\n");
    expect(
      await searches.count(channel, { id: 1, type: "count", searchId: 5, query: { pattern: "ab" } }),
    ).toEqual({
      count: 4,
    });
    expect(commits()).toBe(1);
    expect(sent.at(-1)).toEqual({ event: "countProgress", searchId: 5, count: 4, scanned: 12, done: true });
    expect(
      await searches.count(channel, {
        id: 2,
        type: "count",
        searchId: 6,
        query: { pattern: "ab" },
        start: 3,
        end: 8,
      }),
    ).toEqual({ count: 2 });
    // Finished searches are forgotten: nothing is left to cancel.
    expect(searches.searchesOf(channel).size).toBe(0);
  });

  it("cancels a running search by its id, and every search of a UI that goes away", async () => {
    const { searches } = await searchesOf("x\n");
    const byId = new AbortController();
    const other = new AbortController();
    searches.searchesOf(channel).set(1, byId);
    searches.searchesOf(channel).set(2, other);
    expect(searches.cancel(channel, 1)).toEqual({});
    expect(byId.signal.aborted).toBe(true);
    expect(other.signal.aborted).toBe(false);
    searches.drop(channel);
    expect(other.signal.aborted).toBe(true);
    expect(searches.searchesOf(channel).size).toBe(0);
  });

  it("finds the next and the previous match, wrapping around", async () => {
    const { searches } = await searchesOf("one two one two\n");
    const next = await searches.findNext(channel, {
      id: 1,
      type: "findNext",
      query: { pattern: "one" },
      from: 9,
      direction: "forward",
    });
    expect(next).toEqual({ match: expect.objectContaining({ start: 0, end: 3 }), wrapped: true });
    const previous = await searches.findNext(channel, {
      id: 2,
      type: "findNext",
      query: { pattern: "two" },
      from: 12,
      direction: "backward",
    });
    expect(previous).toEqual({ match: expect.objectContaining({ start: 4, end: 7 }), wrapped: false });
  });

  it("gives the matches in view up to the limit, and says when there were more", async () => {
    const { searches } = await searchesOf("a a a a a\n");
    const request = { id: 1, type: "findInRange" as const, query: { pattern: "a" }, start: 0, end: 100 };
    const all = await searches.findInRange(channel, { ...request, limit: 10 });
    expect(all.matches.map((match) => match.start)).toEqual([0, 2, 4, 6, 8]);
    expect(all.truncated).toBe(false);
    const cut = await searches.findInRange(channel, { ...request, limit: 2 });
    expect(cut.matches.map((match) => match.start)).toEqual([0, 2]);
    expect(cut.truncated).toBe(true);
  });

  it("gives up a find in view after its time limit (TimeoutError)", async () => {
    const { searches } = await searchesOf(BACKTRACKING_TEXT, 200);
    await expect(searches.findInRange(channel, BACKTRACKING_FIND)).rejects.toMatchObject({
      name: "TimeoutError",
    });
  });

  it("stops a UI's finds when the document closes", async () => {
    const { searches } = await searchesOf(BACKTRACKING_TEXT);
    const finding = searches.findInRange(channel, BACKTRACKING_FIND);
    setTimeout(() => searches.abortAll(), 50);
    await expect(finding).rejects.toMatchObject({ name: "AbortError" });
  });
});
