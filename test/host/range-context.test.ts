/**
 * The host's range searches see the text around their range (piece-table/search.ts with
 * replace-context.ts): find next from the middle of a word or line, the matches in a view that
 * starts or ends mid-line, and a count over a range give the whole-document search's matches in
 * that range — lookbehind, \b and ^ see what is before it, lookahead and $ what is after — and
 * Replace of the match find next offered replaces exactly it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import type { FindQuery } from "../../protocol/index.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];

afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

async function hostFor(content: string) {
  const dir = tempDir();
  const path = join(dir, "text.txt");
  writeFileSync(path, content);
  const host = await HostedDocument.open(path, { stateDir: join(dir, "state"), autosave: false });
  opened.push(host);
  return { host, ui: new FakeChannel(host) };
}

const TEXT = "xfoo1 foo2 barfoo3\nfoo4 (foo5) afoo\nfoo";

const QUERIES: FindQuery[] = [
  { pattern: "\\bfoo\\d", regex: true },
  { pattern: "(?<=\\()foo", regex: true },
  { pattern: "(?<![a-z])foo", regex: true },
  { pattern: "foo(?=\\d\\))", regex: true },
  { pattern: "^foo", regex: true },
  { pattern: "foo$", regex: true },
  { pattern: "foo", wholeWord: true },
  { pattern: "FOO", caseSensitive: false, wholeWord: true },
];

describe("the host's range searches in their context", () => {
  it("find next from every offset, the matches in every view and counts agree with the whole-document search", async () => {
    const { ui } = await hostFor(TEXT);
    const length = Buffer.byteLength(TEXT);
    for (const query of QUERIES) {
      const { matches: whole } = await ui.request("findInRange", {
        query,
        start: 0,
        end: length,
        limit: 100,
      });
      expect(whole.length, query.pattern).toBeGreaterThan(0);
      for (let from = 0; from <= length; from++) {
        const next = await ui.request("findNext", { query, from, direction: "forward" });
        const expected = whole.find((match) => match.start >= from) ?? whole[0]!;
        expect(next.match, `${query.pattern} from ${from}`).toEqual(expected);
        expect(next.wrapped).toBe(expected.start < from);
      }
      for (const [start, end] of [
        [2, 9],
        [7, 22],
        [20, 31],
        [25, 39],
        [32, length],
      ] as const) {
        const inView = whole.filter((match) => match.start >= start && match.end <= end);
        const { matches } = await ui.request("findInRange", { query, start, end, limit: 100 });
        expect(matches, `${query.pattern} in ${start}..${end}`).toEqual(inView);
        expect(await ui.request("count", { searchId: 1, query, start, end })).toEqual({
          count: inView.length,
        });
      }
    }
  });

  it("Replace of the match find next offered from mid-line replaces exactly it", async () => {
    const { host, ui } = await hostFor(TEXT);
    const query = { pattern: "(?<![a-z])foo\\d", regex: true };
    // From inside "barfoo3": that "foo3" has a letter before it, so the next is "foo4".
    const { match } = await ui.request("findNext", { query, from: 14, direction: "forward" });
    expect(match).toEqual({ start: 19, end: 23 });
    const replaced = await ui.request("replaceAll", {
      baseVersion: 0,
      query,
      replacement: "#",
      start: match!.start,
      end: match!.end,
    });
    expect(replaced.count).toBe(1);
    expect(host.doc.getText()).toBe("xfoo1 foo2 barfoo3\n# (foo5) afoo\nfoo");
  });
});
