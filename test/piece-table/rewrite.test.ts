import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { REWRITE_CHUNK_BYTES } from "../../piece-table/rewrite.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("Document.rewrite", () => {
  it("hands the document to the transform in order, piece by piece, as one undo step", async () => {
    const path = join(tempDir(), "big.txt");
    const content = Buffer.alloc(2 * REWRITE_CHUNK_BYTES + 12344, "abc\n");
    writeFileSync(path, content);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    doc.insert(0, "HEAD\n");
    const calls: [number, boolean][] = [];
    await doc.rewrite((bytes, last) => {
      calls.push([bytes.length, last]);
      return Buffer.from(bytes.toString("latin1").toUpperCase(), "latin1");
    });
    expect(calls).toEqual([
      [REWRITE_CHUNK_BYTES, false],
      [REWRITE_CHUNK_BYTES, false],
      [12344 + 5, true],
    ]);
    expect(doc.length).toBe(content.length + 5);
    expect(doc.lineCount()).toBe(content.length / 4 + 2);
    expect(doc.getLine(1)).toBe("ABC");
    expect(doc.undo()).toBe(true);
    expect(doc.getLine(1)).toBe("abc");
    expect(doc.redo()).toBe(true);
    await doc.save();
    await doc.close();
    expect(
      readFileSync(path).equals(Buffer.from(`HEAD\n${content.toString("latin1")}`.toUpperCase(), "latin1")),
    ).toBe(true);
  });

  it("rewrites an empty document (one call, last)", async () => {
    const path = join(tempDir(), "empty.txt");
    writeFileSync(path, "");
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    const calls: boolean[] = [];
    await doc.rewrite((_bytes, last) => {
      calls.push(last);
      return Buffer.from("\ufeff");
    });
    expect(calls).toEqual([true]);
    expect(doc.length).toBe(3);
    await doc.close();
  });
});
