import {
  chmodSync,
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DurableFiles, FileHandle } from "../../piece-table/durable-files.js";
import { systemFiles } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { applyDelete, applyInsert } from "../helpers/buffer-model.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { DROP_TO_NOBODY, runModuleScript, runningAsRoot } from "../helpers/unprivileged.js";

const tempDir = useTempDirs();

function hostileFile() {
  return fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
    fc
      .array(fc.constantFrom("line\n", "crlf\r\n", "lone\rcr", "\u0000", "\xff\xfe", "é", "no newline"), {
        maxLength: 80,
      })
      .map((parts) => Buffer.concat(parts.map((part) => Buffer.from(part, "latin1")))),
  );
}

describe("save", () => {
  it("writes exactly the edited bytes of hostile files, and reopens with no session re-applied", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileFile(),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })), {
          maxLength: 25,
        }),
        async (initial, edits) => {
          const dir = tempDir();
          const path = join(dir, "hostile.bin");
          writeFileSync(path, initial);
          const stateDir = join(dir, "state");
          // Bytes, edited anywhere: a file that starts like a UTF-16 BOM would be read in code units.
          const doc = await open(path, { stateDir, encoding: "utf-8" });
          let model: Buffer = Buffer.from(initial);
          for (const [isInsert, at, bytes] of edits) {
            const offset = at % (model.length + 1);
            if (isInsert || model.length === 0) {
              doc.insert(offset, bytes);
              model = applyInsert(model, offset, bytes);
            } else {
              const end = Math.min(model.length, offset + bytes.length);
              doc.delete(offset, end);
              model = applyDelete(model, offset, end);
            }
          }
          await doc.save();
          expect(readFileSync(path).equals(model)).toBe(true);
          expect(doc.read().equals(model)).toBe(true);
          await doc.close();
          const again = await open(path, { stateDir });
          expect(again.recovered).toBeNull();
          expect(again.read().equals(model)).toBe(true);
          await again.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps undo working across a save, and saves the undone version again", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "version zero\n");
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "one ");
    await doc.save();
    expect(doc.allEditsSafe).toBe(true);
    doc.undo();
    expect(doc.getText()).toBe("version zero\n");
    // That version reads from the replaced file: it cannot be committed until it is saved.
    expect(doc.allEditsSafe).toBe(false);
    await doc.save();
    expect(readFileSync(path, "utf8")).toBe("version zero\n");
    doc.redo();
    expect(doc.getText()).toBe("one version zero\n");
    await doc.close();
  });

  it("writes through a symlink, keeps the mode, and saveAs makes the new path the document's", async () => {
    const dir = tempDir();
    const real = join(dir, "real.log");
    writeFileSync(real, "data\n");
    chmodSync(real, 0o640);
    const link = join(dir, "link.log");
    symlinkSync(real, link);
    const stateDir = join(dir, "state");
    const doc = await open(link, { stateDir });
    doc.insert(0, "new ");
    await doc.save();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8")).toBe("new data\n");
    expect(statSync(real).mode & 0o777).toBe(0o640);
    const copy = join(dir, "copy.log");
    doc.insert(0, "more ");
    await doc.saveAs(copy);
    expect(doc.path).toBe(copy);
    expect(readFileSync(copy, "utf8")).toBe("more new data\n");
    expect(readFileSync(real, "utf8")).toBe("new data\n");
    doc.insert(0, "x");
    await doc.close();
    // The session went with the document: reopening the copy restores the unsaved "x".
    const again = await open(copy, { stateDir });
    expect(again.getText()).toBe("xmore new data\n");
    await again.close();
    const old = await open(real, { stateDir });
    expect(old.recovered).toBeNull();
    await old.close();
  });

  it("refuses to overwrite a file another program changed, unless forced", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "mine\n");
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "edited ");
    // Another program replaces the file (a new inode, as editors and log rotation do).
    writeFileSync(`${path}.new`, "theirs\n");
    renameSync(`${path}.new`, path);
    await expect(doc.save()).rejects.toMatchObject({
      code: "EFILECHANGED",
      message: expect.stringContaining("force"),
    });
    expect(readFileSync(path, "utf8")).toBe("theirs\n");
    await doc.save({ force: true });
    expect(readFileSync(path, "utf8")).toBe("edited mine\n");
    await doc.close();
  });

  it("reports progress, can be cancelled, and leaves no temp file behind when it fails", async () => {
    const dir = tempDir();
    const path = join(dir, "big.log");
    writeFileSync(path, Buffer.alloc(200 * 1024 * 1024, "z"));
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(100, "edit");
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(
      doc.save({
        signal: controller.signal,
        onProgress: ({ bytesDone }) => {
          seen.push(bytesDone);
          controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: "ABORT_ERR" });
    expect(seen.length).toBeGreaterThan(0);
    expect(statSync(path).size).toBe(200 * 1024 * 1024);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const progress: number[] = [];
    await doc.save({ onProgress: ({ bytesDone }) => progress.push(bytesDone) });
    expect(progress[progress.length - 1]).toBe(200 * 1024 * 1024 + 4);
    await doc.close();
  });

  it("refuses edits while a save runs, and a saveAs onto a file another Gigapad holds", async () => {
    const dir = tempDir();
    const path = join(dir, "big.log");
    writeFileSync(path, Buffer.alloc(150 * 1024 * 1024, "b"));
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.insert(0, "x");
    const saving = doc.save();
    expect(() => doc.insert(0, "y")).toThrow(expect.objectContaining({ code: "ESAVEBUSY" }));
    await saving;
    doc.insert(0, "y");
    const other = join(dir, "other.log");
    writeFileSync(other, "theirs\n");
    const holder = await open(other, { stateDir });
    await expect(doc.saveAs(other)).rejects.toMatchObject({ code: "ESESSIONLOCKED" });
    expect(readFileSync(other, "utf8")).toBe("theirs\n");
    await holder.close();
    await doc.saveAs(other);
    expect(readFileSync(other).subarray(0, 3).toString()).toBe("yxb");
    await doc.close();
  });

  it("EIO on the temp file's fsync leaves the target as it was", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "before\n");
    const failing: DurableFiles = {
      ...systemFiles,
      fullSync(_handle: FileHandle) {
        throw Object.assign(new Error("cannot sync: Input/output error"), { code: "EIO" });
      },
    };
    const doc = await open(path, { stateDir: join(dir, "state"), durableFiles: failing });
    doc.insert(0, "after ");
    await expect(doc.save()).rejects.toMatchObject({ code: "EIO" });
    expect(readFileSync(path, "utf8")).toBe("before\n");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(doc.getText()).toBe("after before\n");
    await doc.close();
  });

  it("saves a sparse file larger than 4 GiB with edits past 2^32 byte for byte", async () => {
    const dir = tempDir();
    const path = join(dir, "sparse.bin");
    const size = 4 * 1024 ** 3 + 100;
    const fd = openSync(path, "w");
    ftruncateSync(fd, size);
    writeSync(fd, Buffer.from("TAIL"), 0, 4, size - 4);
    closeSync(fd);
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(2 ** 32 + 7, "MIDDLE");
    doc.delete(10, 20);
    doc.insert(0, "HEAD");
    await doc.save();
    const out = openSync(path, "r");
    const read = (at: number, length: number) => {
      const bytes = Buffer.alloc(length);
      readSync(out, bytes, 0, length, at);
      return bytes;
    };
    expect(statSync(path).size).toBe(size + 4 + 6 - 10);
    expect(read(0, 6).toString("latin1")).toBe("HEAD\0\0");
    expect(read(2 ** 32 + 7 + 4 - 10, 6).toString()).toBe("MIDDLE");
    expect(read(size + 4 + 6 - 10 - 4, 4).toString()).toBe("TAIL");
    closeSync(out);
    await doc.close();
  }, 180_000);

  it("explains a folder it cannot write to", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const folder = join(dir, "locked");
    mkdirSync(folder, { mode: 0o755 });
    const path = join(folder, "doc.txt");
    writeFileSync(path, "x\n");
    chmodSync(path, 0o666);
    const stateDir = join(dir, "state");
    mkdirSync(stateDir, { mode: 0o777 });
    chmodSync(stateDir, 0o777);
    const moduleUrl = new URL("../../dist/piece-table/index.js", import.meta.url).href;
    const script = `import(${JSON.stringify(moduleUrl)}).then(async ({ open }) => {
      const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
      ${DROP_TO_NOBODY}
      doc.insert(0, "y");
      try { await doc.save(); console.log("saved"); } catch (error) { console.log(error.code, error.message); }
      await doc.discard();
    });`;
    if (!runningAsRoot) chmodSync(folder, 0o555);
    const result = runModuleScript(script);
    expect(result.stdout).toMatch(/^EACCES .*is not writable/);
    expect(readFileSync(path, "utf8")).toBe("x\n");
    expect(existsSync(path)).toBe(true);
  });
});
