/**
 * versions.ts directly: one apply() for live and replayed edits, undo grouping, and which
 * original each version reads — a version is committable only if it reads from the epoch's file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AppendFile, type MappedFile, openAppendFile, openMappedFile } from "../../native/index.js";
import { LineIndex } from "../../piece-table/line-index.js";
import { identityOf } from "../../piece-table/original-identity.js";
import { ORIGINAL, singlePieceTree } from "../../piece-table/piece-tree.js";
import { CorruptRecordError } from "../../piece-table/session-format.js";
import { readTree } from "../../piece-table/snapshot.js";
import { type OriginalBuffer, Versions } from "../../piece-table/versions.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function originalOf(path: string, text: string): OriginalBuffer {
  writeFileSync(path, text);
  const file = openMappedFile(path);
  const index = new LineIndex(file);
  return { file, index, indexed: index.build(() => {}), identity: identityOf(file) };
}

function setUp(text = "hello world\n") {
  const dir = tempDir();
  const original = originalOf(join(dir, "a.txt"), text);
  const add = openAppendFile(join(dir, "add.buf"));
  let changes = 0;
  const versions = new Versions({ original, add, onChange: () => changes++ });
  const textOf = (file: MappedFile = versions.currentOriginal.file) =>
    readTree(versions.tree, 0, versions.length, file, add).toString();
  const insert = (offset: number, bytes: string, newGroup = true) => {
    const addStart = add.append(Buffer.from(bytes));
    versions.apply({ kind: "insert", offset, addStart, length: bytes.length, newGroup });
  };
  return { dir, versions, add, textOf, insert, changes: () => changes };
}

describe("Versions", () => {
  it("applies live edits: recorded for the next commit, with the last change and a change event", () => {
    const { versions, textOf, insert, changes } = setUp();
    expect(versions.modified).toBe(false);
    insert(5, ",");
    versions.apply({ kind: "delete", start: 0, end: 1, newGroup: true });
    expect(textOf()).toBe("ello, world\n");
    expect(versions.uncommitted.map((op) => op.kind)).toEqual(["insert", "delete"]);
    expect(versions.edits).toBe(2);
    expect(versions.lastChangeAt).toBe(0);
    expect(versions.modified).toBe(true);
    expect(changes()).toBe(2);
    versions.committed();
    expect(versions.uncommitted).toEqual([]);
  });

  it("replays without recording, and refuses an edit that does not fit (a corrupt log)", () => {
    const { versions, add } = setUp();
    const addStart = add.append(Buffer.from("!"));
    versions.apply({ kind: "insert", offset: 3, addStart, length: 1, newGroup: true }, "replay");
    expect(versions.uncommitted).toEqual([]);
    expect(versions.length).toBe(13);
    expect(() => versions.apply({ kind: "delete", start: 5, end: 99, newGroup: true }, "replay")).toThrow(
      CorruptRecordError,
    );
    expect(() => versions.apply({ kind: "redo" }, "replay")).toThrow(/nothing to redo/);
    // Live edits are checked by the document before they get here: no range check.
    expect(versions.length).toBe(13);
  });

  it("groups typing into one undo step; a line feed or a jump starts a new one", () => {
    const { versions, textOf, insert } = setUp("");
    for (const [at, ch] of [
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ] as const) {
      insert(at, ch, versions.startsUndoGroup("insert", at, at + 1, Buffer.from(ch)));
    }
    insert(3, "\n", versions.startsUndoGroup("insert", 3, 4, Buffer.from("\n")));
    insert(0, "X", versions.startsUndoGroup("insert", 0, 1, Buffer.from("X")));
    expect(textOf()).toBe("Xabc\n");
    versions.apply({ kind: "undo" });
    expect(textOf()).toBe("abc\n");
    versions.apply({ kind: "undo" });
    expect(textOf()).toBe("abc");
    versions.apply({ kind: "undo" });
    expect(textOf()).toBe("");
    expect(versions.canUndo).toBe(false);
    versions.apply({ kind: "redo" });
    expect(textOf()).toBe("abc");
  });

  it("tracks which original each version reads across a save: only the epoch's versions are committable", () => {
    const { dir, versions, add, textOf, insert } = setUp("old file\n");
    const old = versions.currentOriginal;
    insert(0, "new ");
    expect(versions.committable).toBe(true);
    // A save: the written file becomes the original, the current version one piece of it.
    const saved = originalOf(join(dir, "b.txt"), "new old file\n");
    versions.adoptOriginal(saved, singlePieceTree(ORIGINAL, 0, saved.file.size, 1), "replaced");
    expect(versions.currentOriginal).toBe(saved);
    expect(versions.modified).toBe(false);
    expect(versions.originals).toContain(old);
    // Undo reads the old file again: not committable, and the state a snapshot holds leaves it out.
    versions.apply({ kind: "undo" });
    expect(textOf()).toBe("old file\n");
    expect(versions.currentOriginal).toBe(old);
    expect(versions.committable).toBe(false);
    expect(versions.needsSnapshot).toBe(true);
    expect(versions.persistableState().undo).toEqual([]);
    expect(versions.persistableState().redo).toHaveLength(1);
    // Too large to copy: refused, nothing changed.
    expect(() => versions.adoptIntoEpoch(add as AppendFile, 3)).toThrow(/cannot be kept in the session/);
    expect(versions.committable).toBe(false);
    // Copied into the add buffer, it reads the epoch's file no more: committable.
    versions.adoptIntoEpoch(add as AppendFile, 1024);
    expect(versions.committable).toBe(true);
    expect(textOf()).toBe("old file\n");
  });

  it("forgets every version that read a file overwritten in place", () => {
    const { dir, versions, insert } = setUp("text\n");
    insert(0, "more ");
    const saved = originalOf(join(dir, "c.txt"), "more text\n");
    versions.adoptOriginal(saved, singlePieceTree(ORIGINAL, 0, saved.file.size, 1), "overwritten");
    expect(versions.canUndo).toBe(false);
    expect(versions.canRedo).toBe(false);
    expect(versions.originals).toEqual([saved]);
    expect(versions.edits).toBe(0);
  });
});
