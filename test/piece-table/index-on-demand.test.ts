// Document.indexInBackground = false (what `gigapad run` sets): the line index of an opened
// original is not built until whenIndexed() asks for it; line queries are exact meanwhile.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

afterEach(() => {
  Document.indexInBackground = true;
});

describe("a line index built on demand", () => {
  it("starts when whenIndexed is called, and line queries are exact before", async () => {
    Document.indexInBackground = false;
    const lines = Array.from({ length: 30_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    const text = `${lines.join("\n")}\n`;
    const path = join(tempDir(), "doc.txt");
    writeFileSync(path, text);
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    try {
      const events: string[] = [];
      doc.on("indexProgress", () => events.push("progress"));
      doc.on("indexed", () => events.push("indexed"));
      // Nothing builds by itself.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events).toEqual([]);
      expect(doc.indexProgress.bytesDone).toBe(0);
      expect(doc.lineCount()).toBe(lines.length + 1);
      expect(doc.getLine(12_345)).toBe(lines[12_345]);
      expect(doc.lineAt(text.indexOf("line 20000 "))).toBe(20_000);
      await doc.whenIndexed();
      expect(events).toContain("indexed");
      expect(doc.indexProgress).toEqual({ bytesDone: text.length, bytesTotal: text.length });
      expect(doc.originalLineEndings).toBe("lf");
      expect(doc.lineStart(29_999)).toBe(text.indexOf("line 29999 "));
    } finally {
      await doc.close();
    }
  });

  it("builds at once by default", async () => {
    const path = join(tempDir(), "doc.txt");
    writeFileSync(path, "a\nb\n");
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    try {
      await new Promise<void>((resolve) => {
        if (doc.indexProgress.bytesDone === 4) resolve();
        else doc.once("indexed", () => resolve());
      });
      expect(doc.originalLineEndings).toBe("lf");
    } finally {
      await doc.close();
    }
  });
});
