/**
 * commit() never resolves without committing: a version from before the last save (edit → save →
 * undo) reads the replaced file; commit copies the bytes it needs into the add buffer and commits
 * it, or — past the limit — rejects with a named error. Never a silent success.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Autosave } from "../../host/autosave.js";
import { Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const limit = Document.versionCopyLimit;
afterEach(() => {
  Document.versionCopyLimit = limit;
});

describe("commit after edit, save, undo", () => {
  it("commits the undone version: allEditsSafe, and it is what reopening shows", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    const original = "line of the original file\n".repeat(1000);
    writeFileSync(path, original);
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.insert(0, "saved edit\n");
    doc.delete(500, 700);
    await doc.save();
    const saved = doc.getText();
    doc.undo();
    const halfway = doc.getText();
    expect(halfway).toBe(`saved edit\n${original}`);
    doc.undo();
    expect(doc.getText()).toBe(original);
    expect(doc.allEditsSafe).toBe(false);
    await doc.commit();
    expect(doc.allEditsSafe).toBe(true);
    // It goes on: redo to the saved version, undo again, type, commit.
    doc.redo();
    doc.redo();
    expect(doc.getText()).toBe(saved);
    doc.undo();
    doc.undo();
    doc.insert(5, "+");
    await doc.commit();
    expect(doc.allEditsSafe).toBe(true);
    const expected = `${original.slice(0, 5)}+${original.slice(5)}`;
    expect(doc.getText()).toBe(expected);
    await doc.close();
    expect(readFileSync(path, "utf8")).toBe(saved);
    const again = await open(path, { stateDir });
    expect(again.setAside, JSON.stringify(again.setAside)).toBeNull();
    expect(again.getText()).toBe(expected);
    expect(again.recovered).not.toBeNull();
    // Undo in the reopened document reaches the version committed before the typing.
    expect(again.undo()).toBe(true);
    expect(again.getText()).toBe(original);
    await again.close();
  });

  it("any mix of edits, saves, undo, redo and commits reopens as the last committed text", async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        text: fc.string({ minLength: 1, maxLength: 6 }),
      }),
      fc.record({
        kind: fc.constant("delete" as const),
        at: fc.nat(),
        length: fc.integer({ min: 1, max: 8 }),
      }),
      // Undo and redo often: the bugs are in walking across saves between commits.
      fc.constantFrom(
        { kind: "undo" as const },
        { kind: "undo" as const },
        { kind: "redo" as const },
        { kind: "redo" as const },
        { kind: "save" as const },
        { kind: "commit" as const },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const dir = tempDir();
        const path = join(dir, "doc.txt");
        writeFileSync(path, "0123456789abcdef\n".repeat(8));
        const stateDir = join(dir, "state");
        const doc = await open(path, { stateDir });
        let committed = doc.getText();
        for (const s of steps) {
          if (s.kind === "insert") doc.insert(s.at % (doc.length + 1), s.text);
          else if (s.kind === "delete" && doc.length > 0) {
            const at = s.at % doc.length;
            doc.delete(at, Math.min(doc.length, at + s.length));
          } else if (s.kind === "undo") doc.undo();
          else if (s.kind === "redo") doc.redo();
          else if (s.kind === "save") await doc.save();
          else if (s.kind === "commit") {
            await doc.commit();
            expect(doc.allEditsSafe).toBe(true);
          }
          if (doc.allEditsSafe) committed = doc.getText();
        }
        await doc.close({ commit: false });
        const again = await open(path, { stateDir });
        expect(again.setAside).toBeNull();
        expect(again.getText()).toBe(committed);
        await again.close();
      }),
      { numRuns: 50 },
    );
  });

  it("rejects with EVERSIONTOOLARGE when the version needs too much of the old file", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "x".repeat(10_000));
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.insert(0, "edit ");
    await doc.save();
    doc.undo();
    Document.versionCopyLimit = 1000;
    await expect(doc.commit()).rejects.toMatchObject({ code: "EVERSIONTOOLARGE" });
    expect(doc.allEditsSafe).toBe(false);
    expect(doc.readOnly).toBe(false);
    // The host's autosave says "unsaved edits" (no failure, nothing read-only), and commits again
    // once the document is back on a version it can keep.
    const autosave = new Autosave(doc, { quietMs: 5 });
    await autosave.flush();
    expect(autosave.state).toBe("unsaved edits");
    doc.redo();
    await autosave.flush();
    expect(autosave.state).toBe("all edits safe");
    doc.undo();
    await autosave.flush();
    expect(autosave.state).toBe("unsaved edits");
    await autosave.stop();
    // Saving it is the way to make it durable.
    await doc.save();
    expect(doc.allEditsSafe).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("x".repeat(10_000));
    await doc.close();
  });
});
