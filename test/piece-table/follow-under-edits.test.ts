/**
 * Following a file that grows while the document has unsaved edits (adoptAppended): the appended
 * bytes become one more piece at the end of the current version and of each undo/redo version
 * over the file — after text typed at the file's old end, and after what is left when an edit
 * deleted that end (follow-tail.ts); the session's new epoch holds them, so a process killed right
 * after reopens to exactly that. A version from before the last save (it reads the replaced file),
 * or one the bytes would cut a UTF-16 code unit in, cannot take them: the current one refuses the
 * append and says why, older ones are dropped from the history.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function logFile(content: string | Buffer) {
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

  it("puts the appended bytes after what is left when an edit deleted the file's end, typed text there too", async () => {
    const { path, stateDir } = logFile("one\ntwo\n");
    const doc = await open(path, { stateDir });
    doc.delete(4, 8); // the last line goes: the deletion ends at the old last byte
    doc.insert(4, "2\n"); // typed in its place
    appendFileSync(path, "three\n");
    expect(await doc.adoptAppended()).toBe(6);
    expect(doc.getText()).toBe("one\n2\nthree\n");
    expect(doc.lineCount()).toBe(4);
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("one\nthree\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("one\ntwo\nthree\n");
    expect(doc.modified).toBe(false);
    // Everything deleted (a log "cleared"): what comes next is the whole text.
    doc.delete(0, doc.length);
    appendFileSync(path, "four\n");
    expect(await doc.adoptAppended()).toBe(5);
    expect(doc.getText()).toBe("four\n");
    await doc.save();
    expect(readFileSync(path, "utf8")).toBe("four\n");
    await doc.discard();
  });

  it("refuses, saying so, while the text is from before the last save; the history keeps only versions over the saved file", async () => {
    const { path, stateDir } = logFile("abc\n");
    const doc = await open(path, { stateDir });
    doc.insert(0, ">");
    await doc.save(); // the versions before read the replaced file
    doc.insert(doc.length, "typed");
    appendFileSync(path, "def\n");
    expect(await doc.adoptAppended()).toBe(4);
    expect(doc.getText()).toBe(">abc\ntypeddef\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe(">abc\ndef\n");
    // The version from before the save could not take the tail: it was dropped.
    expect(doc.undo()).toBe(false);
    await doc.save();
    doc.insert(0, "!");
    await doc.save();
    expect(doc.undo()).toBe(true); // back over the file as saved before: not the file on disk now
    expect(doc.getText()).toBe(">abc\ndef\n");
    appendFileSync(path, "ghi\n");
    expect(await doc.followAppended()).toEqual({ adopted: 0, refused: "before-save" });
    expect(doc.getText()).toBe(">abc\ndef\n");
    await doc.discard();
  });

  it("in UTF-16, refuses bytes that would begin inside a code unit and takes those that complete the file's lone last byte", async () => {
    const utf16 = (text: string) => Buffer.from(text, "utf16le");
    const { path, stateDir } = logFile(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16("a\n")]));
    const doc = await open(path, { stateDir });
    expect(doc.encoding).toBe("utf-16le");
    doc.insert(doc.length, Buffer.from([0x41])); // one lone byte typed at the end
    appendFileSync(path, utf16("b\n"));
    expect(await doc.followAppended()).toEqual({ adopted: 0, refused: "cut-unit" });
    doc.undo();
    expect(await doc.adoptAppended()).toBe(4);
    expect(doc.getText()).toBe("a\nb\n");
    // The file ends with half a unit; the program writes the other half and more.
    appendFileSync(path, Buffer.from([0x63]));
    expect(await doc.adoptAppended()).toBe(1);
    doc.insert(2, utf16("x"));
    appendFileSync(path, Buffer.concat([Buffer.from([0x00]), utf16("\n")]));
    expect(await doc.adoptAppended()).toBe(3); // it completes the lone byte the text ends with
    expect(doc.getText()).toBe("xa\nb\nc\n");
    expect(doc.lineCount()).toBe(4);
    appendFileSync(path, Buffer.from([0x64]));
    expect(await doc.adoptAppended()).toBe(1);
    doc.delete(doc.length - 1, doc.length); // that lone byte deleted: the next byte would begin mid-unit
    appendFileSync(path, Buffer.from([0x00]));
    expect(await doc.followAppended()).toEqual({ adopted: 0, refused: "cut-unit" });
    expect(doc.getText()).toBe("xa\nb\nc\n");
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

  it("a process killed (SIGKILL) right after taking in the append reopens to its text and undo steps", async () => {
    // The versions: an edit at the start, the file's last line deleted, text typed at the end —
    // each gains the appended line at its end, and the reopened session has them all.
    const { path, stateDir } = logFile("first\nlast\n");
    const engine = new URL("../../dist/piece-table/index.js", import.meta.url).href;
    const script = `
      import { appendFileSync } from "node:fs";
      const { open } = await import(${JSON.stringify(engine)});
      const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
      doc.insert(0, "edited ");
      doc.delete(doc.length - 5, doc.length);
      doc.insert(doc.length, "typed\\n");
      appendFileSync(${JSON.stringify(path)}, "second\\n");
      const grown = await doc.adoptAppended();
      console.log(JSON.stringify({ grown, text: doc.getText() }));
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.signal).toBe("SIGKILL");
    expect(JSON.parse(child.stdout)).toEqual({ grown: 7, text: "edited first\ntyped\nsecond\n" });
    const doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    expect(doc.getText()).toBe("edited first\ntyped\nsecond\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("edited first\nsecond\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("edited first\nlast\nsecond\n");
    expect(doc.undo()).toBe(true);
    expect(doc.getText()).toBe("first\nlast\nsecond\n");
    expect(doc.undo()).toBe(false);
    await doc.discard();
  });
});
