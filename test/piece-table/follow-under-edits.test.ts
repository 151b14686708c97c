/**
 * Following a file that grows while the document has unsaved edits (adoptAppended): the appended
 * bytes become one more piece after the current version and after each undo/redo version that
 * ends where the file ended — after text typed at that end too; the session's new epoch holds
 * them, so a process killed right after reopens to exactly that. A version that took the file's
 * old last byte away (or reads a replaced file) cannot take them: the current one refuses the
 * append, older ones are dropped from the history.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function logFile(content: string) {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, content);
  return { path, stateDir: join(dir, "state") };
}

describe("following a file under unsaved edits", () => {
  it("puts the appended bytes after the edited text, and after the undo and redo versions", async () => {
    const { path, stateDir } = logFile("one\ntwo\n");
    const doc = await open(path, { stateDir });
    doc.insert(0, "X");
    doc.delete(5, 8); // "two" goes: a separate undo step
    expect(doc.getText()).toBe("Xone\n\n");
    doc.undo(); // a redo version to grow too
    const appended: number[] = [];
    doc.on("appended", (bytes) => appended.push(bytes));
    appendFileSync(path, "three\n");
    expect(await doc.adoptAppended()).toBe(6);
    expect(appended).toEqual([6]);
    expect(doc.getText()).toBe("Xone\ntwo\nthree\n");
    expect(doc.modified).toBe(true);
    expect(doc.lineCount()).toBe(4);
    expect(doc.getLine(2)).toBe("three");
    expect(doc.redo()).toBe(true);
    expect(doc.getText()).toBe("Xone\n\nthree\n");
    expect(doc.undo() && doc.undo()).toBe(true);
    expect(doc.getText()).toBe("one\ntwo\nthree\n");
    expect(doc.modified).toBe(false);
    // Again, with the edits redone.
    doc.redo();
    appendFileSync(path, "four\n");
    expect(await doc.adoptAppended()).toBe(5);
    expect(doc.getText()).toBe("Xone\ntwo\nthree\nfour\n");
    await doc.save();
    expect(doc.getText()).toBe("Xone\ntwo\nthree\nfour\n");
    await doc.discard();
  });

  it("puts the appended bytes after text typed at the file's end, in every version that has it", async () => {
    const { path, stateDir } = logFile("one\n");
    const doc = await open(path, { stateDir });
    doc.insert(doc.length, "note: ");
    doc.insert(doc.length, "\n"); // a newline starts another undo step
    doc.insert(doc.length, "more typed\n");
    appendFileSync(path, "two\n");
    expect(await doc.adoptAppended()).toBe(4);
    expect(doc.getText()).toBe("one\nnote: \nmore typed\ntwo\n");
    expect(doc.getLine(3)).toBe("two");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("one\nnote: \ntwo\n");
    while (doc.undo());
    expect(doc.getText()).toBe("one\ntwo\n");
    // A long paste at the end (over the first window looked at) is no different.
    doc.insert(doc.length, "p".repeat(100_000));
    appendFileSync(path, "three\n");
    expect(await doc.adoptAppended()).toBe(6);
    expect(doc.getText()).toBe(`one\ntwo\n${"p".repeat(100_000)}three\n`);
    await doc.save();
    expect(doc.getText()).toBe(`one\ntwo\n${"p".repeat(100_000)}three\n`);
    await doc.discard();
  });

  it("refuses when an edit took the file's old last byte away, also with typed text after it", async () => {
    const { path, stateDir } = logFile("one\n");
    const doc = await open(path, { stateDir });
    doc.delete(3, 4); // the last byte of the file goes: where would the lines go?
    appendFileSync(path, "two\n");
    expect(await doc.adoptAppended()).toBe(0);
    expect(doc.getText()).toBe("one");
    doc.insert(3, "!\n"); // typed after "one": the file's last byte shown is still not its end
    expect(await doc.adoptAppended()).toBe(0);
    expect(doc.getText()).toBe("one!\n");
    await doc.discard();
  });

  it("keeps the undo steps nearest the current version that end where the file did", async () => {
    const { path, stateDir } = logFile("abc\n");
    const doc = await open(path, { stateDir });
    doc.delete(3, 4); // the file's last byte gone: this version cannot grow
    doc.insert(3, "\n"); // typed back: the text ends with typed text, the file's "abc" before it
    doc.insert(0, ">");
    appendFileSync(path, "def\n");
    // The current version's last byte of the file is "c", not the old last byte "\n": refused.
    expect(await doc.adoptAppended()).toBe(0);
    doc.undo();
    doc.undo();
    doc.undo(); // back at the file: the redo versions cannot grow, the current one can
    expect(await doc.adoptAppended()).toBe(4);
    expect(doc.getText()).toBe("abc\ndef\n");
    expect(doc.redo()).toBe(false);
    await doc.discard();
  });

  it("a session closed right after reopens exactly, undo included; grown again, it is set aside", async () => {
    const { path, stateDir } = logFile("a\nb\n");
    let doc = await open(path, { stateDir });
    doc.insert(0, "#");
    await doc.commit();
    doc.insert(1, "!"); // not committed before the append
    appendFileSync(path, "c\n");
    expect(await doc.adoptAppended()).toBe(2);
    expect(doc.allEditsSafe).toBe(true);
    await doc.close({ commit: false });
    doc = await open(path, { stateDir });
    expect(doc.recovered).not.toBeNull();
    expect(doc.getText()).toBe("#!a\nb\nc\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("a\nb\nc\n");
    doc.redo();
    // Followed twice with no edit between: the epoch's slots still say the session holds edits.
    appendFileSync(path, "d\n");
    expect(await doc.adoptAppended()).toBe(2);
    await doc.close({ commit: false });
    appendFileSync(path, "e\n");
    doc = await open(path, { stateDir });
    expect(doc.getText()).toBe("a\nb\nc\nd\ne\n");
    expect(doc.setAside).toMatchObject({ reason: "file changed on disk" });
    await doc.discard();
  });

  it("a process killed (SIGKILL) right after taking in the append reopens to its text", async () => {
    const { path, stateDir } = logFile("first\n");
    const engine = new URL("../../dist/piece-table/index.js", import.meta.url).href;
    const script = `
      import { appendFileSync } from "node:fs";
      const { open } = await import(${JSON.stringify(engine)});
      const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
      doc.insert(0, "edited ");
      appendFileSync(${JSON.stringify(path)}, "second\\n");
      const grown = await doc.adoptAppended();
      console.log(JSON.stringify({ grown, text: doc.getText() }));
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.signal).toBe("SIGKILL");
    expect(JSON.parse(child.stdout)).toEqual({ grown: 7, text: "edited first\nsecond\n" });
    const doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    expect(doc.getText()).toBe("edited first\nsecond\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("first\nsecond\n");
    await doc.discard();
  });
});
