import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("bytes patterns (a document in another encoding)", () => {
  it("find, count and replace a literal as the document's encoding writes it, byte-exact", async () => {
    const path = join(tempDir(), "latin.txt");
    const original = iconv.encode("café au lait\nun café noir\nthé\n", "windows-1252");
    writeFileSync(path, original);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    const cafe = iconv.encode("café", "windows-1252");
    const found: [number, number][] = [];
    for await (const match of doc.find(cafe)) found.push([match.start, match.end]);
    expect(found).toEqual([
      [0, 4],
      [16, 20],
    ]);
    expect(await doc.countMatches(cafe, { start: 5 })).toBe(1);
    // The UTF-8 spelling of the same word is not in the file.
    expect(await doc.countMatches("café")).toBe(0);
    expect(await doc.replaceAll(cafe, iconv.encode("crème", "windows-1252"))).toBe(2);
    await doc.save();
    await doc.close();
    expect(readFileSync(path)).toEqual(iconv.encode("crème au lait\nun crème noir\nthé\n", "windows-1252"));
  });

  it("refuses an empty bytes pattern", async () => {
    const path = join(tempDir(), "empty.txt");
    writeFileSync(path, "abc");
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    await expect(doc.countMatches(new Uint8Array(0))).rejects.toThrow(/empty pattern/);
    await doc.close();
  });
});
