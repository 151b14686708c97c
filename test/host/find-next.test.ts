/**
 * "Find next" and "find previous" (host/find-next.ts): forward takes the first match starting at
 * or after the position, backward the last one ending at or before it, each wrapping around once;
 * backward searches growing ranges, so a match far above the cursor is still found.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findNext } from "../../host/find-next.js";
import { type Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: Document[] = [];

afterEach(async () => {
  for (const doc of opened.splice(0)) await doc.close();
});

async function documentOf(content: string): Promise<Document> {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, content);
  const doc = await open(path, { stateDir: join(dir, "state") });
  opened.push(doc);
  return doc;
}

//                  0         1         2         3
//                  0123456789012345678901234567890123456
const TEXT = "one cat, two cats\nthree cat\nno dogs\n";

describe("findNext forward", () => {
  it("takes the first match starting at or after the position", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "cat", {}, 0, "forward")).toEqual({
      match: { start: 4, end: 7 },
      wrapped: false,
    });
    expect((await findNext(doc, "cat", {}, 4, "forward")).match).toEqual({ start: 4, end: 7 });
    expect((await findNext(doc, "cat", {}, 5, "forward")).match).toEqual({ start: 13, end: 16 });
    expect((await findNext(doc, "cat", {}, 14, "forward")).match).toEqual({ start: 24, end: 27 });
  });

  it("wraps to the first match past the last one, and says so", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "cat", {}, 25, "forward")).toEqual({
      match: { start: 4, end: 7 },
      wrapped: true,
    });
    expect(await findNext(doc, "cat", {}, TEXT.length, "forward")).toEqual({
      match: { start: 4, end: 7 },
      wrapped: true,
    });
  });

  it("a position past the end counts as the end", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "cat", {}, TEXT.length + 100, "forward")).toEqual({
      match: { start: 4, end: 7 },
      wrapped: true,
    });
  });

  it("no match anywhere: null, not wrapped", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "bird", {}, 10, "forward")).toEqual({ match: null, wrapped: false });
    const empty = await documentOf("");
    expect(await findNext(empty, "x", {}, 0, "forward")).toEqual({ match: null, wrapped: false });
  });

  it("passes the find options on (case, regex)", async () => {
    const doc = await documentOf("Cat cat\n");
    expect((await findNext(doc, "cat", { caseSensitive: true }, 0, "forward")).match).toEqual({
      start: 4,
      end: 7,
    });
    expect((await findNext(doc, "cat", { caseSensitive: false }, 0, "forward")).match).toEqual({
      start: 0,
      end: 3,
    });
    expect((await findNext(doc, "c.t$", { regex: true }, 0, "forward")).match).toEqual({ start: 4, end: 7 });
  });
});

describe("findNext backward", () => {
  it("takes the last match ending at or before the position, not one that straddles it", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "cat", {}, 27, "backward")).toEqual({
      match: { start: 24, end: 27 },
      wrapped: false,
    });
    expect((await findNext(doc, "cat", {}, 26, "backward")).match).toEqual({ start: 13, end: 16 });
    expect((await findNext(doc, "cat", {}, 24, "backward")).match).toEqual({ start: 13, end: 16 });
    expect((await findNext(doc, "cat", {}, 7, "backward")).match).toEqual({ start: 4, end: 7 });
  });

  it("wraps to the last match before the first one, and says so", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "cat", {}, 4, "backward")).toEqual({
      match: { start: 24, end: 27 },
      wrapped: true,
    });
    expect(await findNext(doc, "cat", {}, 0, "backward")).toEqual({
      match: { start: 24, end: 27 },
      wrapped: true,
    });
  });

  it("no match anywhere: null, not wrapped", async () => {
    const doc = await documentOf(TEXT);
    expect(await findNext(doc, "bird", {}, 20, "backward")).toEqual({ match: null, wrapped: false });
  });

  it("finds a match megabytes above the position (the search range grows) and the nearest of several", async () => {
    const filler = `${"x".repeat(99)}\n`;
    const far = `needle\n${filler.repeat(30_000)}`; // ~3 MB between the needle and the end
    const doc = await documentOf(`${far}needle\n${filler.repeat(30_000)}`);
    const end = doc.length;
    const second = far.length;
    expect(await findNext(doc, "needle", {}, end, "backward")).toEqual({
      match: { start: second, end: second + 6 },
      wrapped: false,
    });
    expect(await findNext(doc, "needle", {}, second, "backward")).toEqual({
      match: { start: 0, end: 6 },
      wrapped: false,
    });
    // Wrapping from before the first one goes to the last, across the whole document.
    expect(await findNext(doc, "needle", {}, 3, "backward")).toEqual({
      match: { start: second, end: second + 6 },
      wrapped: true,
    });
  });
});
