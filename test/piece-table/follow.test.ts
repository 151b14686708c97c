/**
 * A document follows a file another program appends to (adoptAppended): the new bytes become
 * part of it, its lines are counted without indexing the file again, a session committed after
 * matches the longer file, and anything but a clean append is left alone.
 */
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function logFile(content: string | Buffer) {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, content);
  return { dir, path, stateDir: join(dir, "state") };
}

describe("following a file that grows", () => {
  it("takes in appended bytes and lines, many times, with the line index carried over", async () => {
    // Over a 64 KiB chunk edge, with a CRLF split across the old end.
    const first = `${"x".repeat(70_000)}\r`;
    const { path, stateDir } = logFile(first);
    const doc = await open(path, { stateDir });
    await doc.whenIndexed();
    expect(doc.lineCount()).toBe(1);
    const events: number[] = [];
    doc.on("appended", (bytes) => events.push(bytes));
    appendFileSync(path, "\nsecond line\r\n");
    expect(await doc.adoptAppended()).toBe(14);
    expect(doc.length).toBe(first.length + 14);
    expect(doc.lineCount()).toBe(3);
    expect(doc.getLine(1)).toBe("second line");
    expect(doc.originalCrlfPairs).toBe(2);
    for (let i = 0; i < 50; i++) {
      appendFileSync(path, `line ${i}\n`);
      await doc.adoptAppended();
    }
    expect(doc.lineCount()).toBe(53);
    expect(doc.getLine(52)).toBe("");
    expect(doc.getLine(51)).toBe("line 49");
    expect(doc.read(0, doc.length).equals(readFileSync(path))).toBe(true);
    expect(events.length).toBe(51);
    expect(doc.modified).toBe(false);
    // Nothing more on disk: nothing to take in.
    expect(await doc.adoptAppended()).toBe(0);
    await doc.close();
  });

  it("a session committed after following matches the longer file on reopen", async () => {
    const { path, stateDir } = logFile("a\nb\n");
    let doc = await open(path, { stateDir });
    appendFileSync(path, "c\n");
    expect(await doc.adoptAppended()).toBe(2);
    doc.insert(doc.length, "typed\n");
    await doc.commit();
    await doc.close();
    doc = await open(path, { stateDir });
    expect(doc.getText()).toBe("a\nb\nc\ntyped\n");
    expect(doc.recovered).not.toBeNull();
    await doc.discard();
  });

  it("a followed log opened again after it grew further is no set-aside session, with or without commits", async () => {
    const { path, stateDir } = logFile("a\n");
    let doc = await open(path, { stateDir });
    appendFileSync(path, "b\n");
    expect(await doc.adoptAppended()).toBe(2);
    await doc.close();
    appendFileSync(path, "c\n");
    doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    expect(doc.getText()).toBe("a\nb\nc\n");
    // Edited, saved (an epoch is committed), followed, closed; the log grows on.
    doc.insert(0, "#");
    await doc.save();
    appendFileSync(path, "d\n");
    expect(await doc.adoptAppended()).toBe(2);
    await doc.close();
    appendFileSync(path, "e\n");
    doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    expect(doc.recovered).toBeNull();
    expect(doc.getText()).toBe("#a\nb\nc\nd\ne\n");
    // Edits since are kept aside when the file changes under them, as before.
    doc.insert(0, "!");
    await doc.commit();
    await doc.close();
    appendFileSync(path, "f\n");
    doc = await open(path, { stateDir });
    expect(doc.setAside).toMatchObject({ reason: "file changed on disk", edits: 1 });
    await doc.close();
  });

  it("takes the append in after an end an edit deleted; leaves the document alone when the file changed other than by an append", async () => {
    const { path, stateDir } = logFile("one\ntwo\n");
    const doc = await open(path, { stateDir });
    // (Other edits: follow-under-edits.test.ts.) The deletion ended at the old last byte, so the
    // appended bytes follow what is left, as they would with the deletion applied to the file.
    doc.delete(doc.length - 1, doc.length);
    appendFileSync(path, "three\n");
    expect(await doc.adoptAppended()).toBe(6);
    expect(doc.getText()).toBe("one\ntwothree\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("one\ntwo\nthree\n");
    // The old bytes rewritten, then grown: not an append.
    writeFileSync(path, "ONE\ntwo\nthree\nfour\n");
    expect(await doc.followAppended()).toEqual({ adopted: 0, refused: null });
    truncateSync(path, 2);
    expect(await doc.adoptAppended()).toBe(0);
    // (The mapping shows what another program wrote in place; the length stays the document's.)
    expect(doc.length).toBe(14);
    await doc.close();
  });
});
