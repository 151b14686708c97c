/**
 * Save keeps what the file is (issue #13): owner, group, mode, hard links and xattrs survive a
 * save — by a rename of a temp file given all of them, or, where that cannot keep them, by the
 * journaled in-place copy — and a file this process may not write is never written or replaced.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { durableIo } from "../../native/index.js";
import { type DurableFiles, systemFiles } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { DROP_TO_NOBODY, NOBODY, runModuleScript, runningAsRoot } from "../helpers/unprivileged.js";

const tempDir = useTempDirs();
const NOGROUP = 65534;
const moduleUrl = new URL("../../dist/piece-table/index.js", import.meta.url).href;

function xattrBytes(path: string, name: string): Buffer | null {
  const fd = openSync(path, "r");
  try {
    return durableIo.getXattr(fd, name);
  } finally {
    closeSync(fd);
  }
}

function xattr(path: string, name: string): string | null {
  return xattrBytes(path, name)?.toString() ?? null;
}

/** A POSIX ACL as Linux stores it in system.posix_acl_*: version 2, then (tag, perm, id) entries. */
function posixAcl(entries: [tag: number, perm: number, id: number][]): Buffer {
  const bytes = Buffer.alloc(4 + 8 * entries.length);
  bytes.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], i) => {
    bytes.writeUInt16LE(tag, 4 + 8 * i);
    bytes.writeUInt16LE(perm, 6 + 8 * i);
    bytes.writeUInt32LE(id >>> 0, 8 + 8 * i);
  });
  return bytes;
}

/** Sets an xattr, or returns false where the filesystem or the user cannot (ENOTSUP, EPERM). */
function trySetXattr(path: string, name: string, value: string | Buffer): boolean {
  const fd = openSync(path, "r");
  try {
    durableIo.setXattr(fd, name, typeof value === "string" ? Buffer.from(value) : value);
    return true;
  } catch (error) {
    if (["EOPNOTSUPP", "ENOTSUP", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? ""))
      return false;
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** A folder nobody may enter and write (the temp dir itself is 0700). */
function sharedFolder(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const folder = join(dir, "shared");
  mkdirSync(folder);
  chmodSync(folder, 0o777);
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  chmodSync(stateDir, 0o777);
  return folder;
}

describe("save keeps the file's identity", () => {
  it.skipIf(!runningAsRoot)(
    "root saving another user's 640 file keeps its owner, group and mode (rename and in-place)",
    async () => {
      const dir = tempDir();
      const path = join(dir, "theirs.txt");
      writeFileSync(path, "owned by nobody\n");
      chownSync(path, NOBODY, NOGROUP);
      chmodSync(path, 0o640);
      const doc = await open(path, { stateDir: join(dir, "state") });
      doc.insert(0, "root was here: ");
      const inode = statSync(path).ino;
      await doc.save();
      let stat = statSync(path);
      expect([stat.uid, stat.gid, stat.mode & 0o7777]).toEqual([NOBODY, NOGROUP, 0o640]);
      // Root can give a new file this owner: the rename path kept it (a new inode).
      expect(stat.ino).not.toBe(inode);
      expect(readFileSync(path, "utf8")).toBe("root was here: owned by nobody\n");
      doc.insert(0, "again ");
      await doc.save({ mode: "in-place" });
      stat = statSync(path);
      expect([stat.uid, stat.gid, stat.mode & 0o7777]).toEqual([NOBODY, NOGROUP, 0o640]);
      expect(readFileSync(path, "utf8")).toBe("again root was here: owned by nobody\n");
      await doc.close();
    },
  );

  it("both names of a hard link show the saved text (auto saves in place)", async () => {
    const dir = tempDir();
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    writeFileSync(a, "shared text\n".repeat(100));
    linkSync(a, b);
    const inode = statSync(a).ino;
    const stateDir = join(dir, "state");
    const doc = await open(a, { stateDir });
    doc.insert(0, "HEAD\n");
    doc.delete(10, 30);
    const expected = doc.getText();
    await doc.save();
    expect(readFileSync(a, "utf8")).toBe(expected);
    expect(readFileSync(b, "utf8")).toBe(expected);
    expect(statSync(a).ino).toBe(inode);
    expect(statSync(a).nlink).toBe(2);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    // The document goes on over the same inode: more edits, another save, a clean reopen.
    doc.insert(doc.length, "TAIL\n");
    doc.insert(0, "x");
    await doc.save();
    expect(readFileSync(b, "utf8")).toBe(`x${expected}TAIL\n`);
    await doc.close();
    const again = await open(b, { stateDir });
    expect(again.recovered).toBeNull();
    expect(again.getText()).toBe(`x${expected}TAIL\n`);
    await again.close();
    const first = await open(a, { stateDir });
    expect(first.recovered).toBeNull();
    expect(first.setAside).toBeNull();
    await first.close();
  });

  it("a user.* xattr survives save, by rename and in place", async (context) => {
    const dir = tempDir();
    const path = join(dir, "tagged.txt");
    writeFileSync(path, "tagged\n");
    if (!trySetXattr(path, "user.gigapad.test", "kept")) {
      context.skip("this filesystem has no user xattrs");
      return;
    }
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "1 ");
    await doc.save({ mode: "rename" });
    expect(xattr(path, "user.gigapad.test")).toBe("kept");
    doc.insert(0, "2 ");
    await doc.save({ mode: "in-place" });
    expect(xattr(path, "user.gigapad.test")).toBe("kept");
    doc.insert(0, "3 ");
    await doc.save();
    expect(xattr(path, "user.gigapad.test")).toBe("kept");
    expect(readFileSync(path, "utf8")).toBe("3 2 1 tagged\n");
    await doc.close();
  });

  it("ACLs (and, as root, trusted.* xattrs) are copied exactly; an ACL the temp file inherited is removed", async (context) => {
    const dir = tempDir();
    const path = join(dir, "acl.txt");
    writeFileSync(path, "with an acl\n");
    chmodSync(path, 0o640);
    // user::rw-, user:nobody:r--, group::r--, mask::r--, other::---
    const access = posixAcl([
      [0x01, 6, -1],
      [0x02, 4, NOBODY],
      [0x04, 4, -1],
      [0x10, 4, -1],
      [0x20, 0, -1],
    ]);
    if (!trySetXattr(path, "system.posix_acl_access", access)) {
      context.skip("this filesystem has no POSIX ACLs");
      return;
    }
    const trusted = runningAsRoot && trySetXattr(path, "trusted.gigapad.test", "root only");
    const stateDir = join(tempDir(), "state");
    const doc = await open(path, { stateDir });
    doc.insert(0, "1 ");
    await doc.save({ mode: "rename" });
    expect(xattrBytes(path, "system.posix_acl_access")?.equals(access)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    if (trusted) expect(xattr(path, "trusted.gigapad.test")).toBe("root only");
    await doc.close();
    // A folder with a default ACL gives every new file an ACL; a file without one keeps none.
    const plain = join(dir, "plain.txt");
    writeFileSync(plain, "no acl\n");
    chmodSync(plain, 0o644);
    expect(trySetXattr(dir, "system.posix_acl_default", access)).toBe(true);
    const other = await open(plain, { stateDir });
    other.insert(0, "2 ");
    await other.save();
    expect(xattrBytes(plain, "system.posix_acl_access")).toBeNull();
    expect(statSync(plain).mode & 0o777).toBe(0o644);
    expect(readFileSync(plain, "utf8")).toBe("2 no acl\n");
    await other.close();
  });

  it("in-place keeps the inode; undo starts over after it, the session is a clean epoch", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "0123456789\n".repeat(50));
    const inode = statSync(path).ino;
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.delete(0, 100);
    doc.insert(0, "short\n");
    const text = doc.getText();
    await doc.save({ mode: "in-place" });
    expect(statSync(path).ino).toBe(inode);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(doc.getText()).toBe(text);
    expect(doc.undo()).toBe(false);
    expect(doc.allEditsSafe).toBe(true);
    doc.insert(3, "!");
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe(`${text.slice(0, 3)}!${text.slice(3)}`);
    await again.close();
  });

  it("an I/O error in the middle of the in-place copy: the document turns read-only, the next open finishes", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    const before = "0123456789\n".repeat(2000);
    writeFileSync(path, before);
    const stateDir = join(dir, "state");
    let copies = 0;
    const failing: DurableFiles = {
      ...systemFiles,
      copyInto(handle, position, source, start, end) {
        // The temp file is written by one copy per piece; the copy into the file is what fails.
        if (fstatSync(handle).ino === statSync(path).ino && copies++ === 0) {
          systemFiles.copyInto(handle, position, source, start, Math.min(end, start + 100));
          throw Object.assign(new Error("cannot copy: Input/output error"), { code: "EIO" });
        }
        systemFiles.copyInto(handle, position, source, start, end);
      },
    };
    const doc = await open(path, { stateDir, durableFiles: failing });
    doc.replace(0, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    doc.insert(doc.length, "end\n");
    const edited = doc.getText();
    await expect(doc.save({ mode: "in-place" })).rejects.toMatchObject({
      code: "EIO",
      message: expect.stringContaining("reopen the file to finish the save"),
    });
    expect(doc.readOnly).toBe(true);
    expect(() => doc.insert(0, "x")).toThrow(/in-place save .* was interrupted/);
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe(edited);
    expect(again.setAside).toBeNull();
    await again.close();
    expect(readFileSync(path, "utf8")).toBe(edited);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("progress of an in-place save spans both passes (temp file, then the file) and never goes back", async () => {
    const dir = tempDir();
    const path = join(dir, "linked.txt");
    writeFileSync(path, "x".repeat(100_000));
    linkSync(path, join(dir, "other-name.txt"));
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "head ");
    const seen: { bytesDone: number; bytesTotal: number }[] = [];
    await doc.save({ onProgress: (progress) => seen.push(progress) });
    const length = 100_005;
    expect(seen.length).toBeGreaterThan(1);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(seen[i - 1]!.bytesDone);
    expect(new Set(seen.map((progress) => progress.bytesTotal))).toEqual(new Set([2 * length]));
    expect(seen.at(-1)).toEqual({ bytesDone: 2 * length, bytesTotal: 2 * length });
    await doc.close();
  });

  it("refuses an unknown save mode", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "x\n");
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "y");
    await expect(doc.save({ mode: "sideways" as "auto" })).rejects.toThrow(RangeError);
    expect(readFileSync(path, "utf8")).toBe("x\n");
    await doc.discard();
  });
});

describe("permission is the file's", () => {
  it("a read-only root file in a world-writable folder is refused (EACCES, even forced) and untouched", () => {
    const folder = sharedFolder();
    const path = join(folder, "roots.txt");
    writeFileSync(path, "root's text\n");
    chmodSync(path, 0o444);
    const before = statSync(path);
    const stateDir = join(folder, "..", "state");
    const hostUrl = new URL("../../dist/host/hosted-document.js", import.meta.url).href;
    const script = `import(${JSON.stringify(moduleUrl)}).then(async ({ open }) => {
      const { HostedDocument } = await import(${JSON.stringify(hostUrl)});
      ${DROP_TO_NOBODY}
      const hosted = await HostedDocument.open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
      console.log("host says canSave", hosted.info().canSave);
      await hosted.close();
      const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
      console.log("canSave", doc.canSave);
      doc.insert(0, "nobody was here ");
      for (const options of [{}, { force: true }, { mode: "rename" }, { mode: "in-place" }]) {
        try { await doc.save(options); console.log("saved"); } catch (error) { console.log(error.code, error.message); }
      }
      await doc.discard();
    });`;
    const result = runModuleScript(script);
    if (!runningAsRoot && process.getuid?.() === before.uid) {
      // Not root: the file is this user's own, who could chmod it; only the refusal is checked.
      expect(result.stdout).toContain("EACCES");
      return;
    }
    const lines = result.stdout.trim().split("\n");
    expect(lines.slice(0, 2), result.stderr).toEqual(["host says canSave false", "canSave false"]);
    expect(lines.slice(2)).toHaveLength(4);
    for (const line of lines.slice(2)) expect(line).toMatch(/^EACCES .*may not write/);
    const after = statSync(path);
    expect(readFileSync(path, "utf8")).toBe("root's text\n");
    expect([after.ino, after.uid, after.gid, after.mode, after.mtimeMs]).toEqual([
      before.ino,
      before.uid,
      before.gid,
      before.mode,
      before.mtimeMs,
    ]);
    expect(readdirSync(folder)).toEqual(["roots.txt"]);
  });

  it.skipIf(!runningAsRoot)(
    "a file nobody may write but not own is saved in place: it stays root's, with its mode",
    () => {
      const folder = sharedFolder();
      const path = join(folder, "shared.txt");
      writeFileSync(path, "anyone may write this\n");
      chmodSync(path, 0o666);
      const inode = statSync(path).ino;
      const stateDir = join(folder, "..", "state");
      const script = `import(${JSON.stringify(moduleUrl)}).then(async ({ open }) => {
        ${DROP_TO_NOBODY}
        const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
        console.log("canSave", doc.canSave);
        doc.insert(0, "nobody: ");
        await doc.save();
        console.log("saved");
        await doc.close();
      });`;
      const result = runModuleScript(script);
      expect(result.stdout.trim().split("\n")).toEqual(["canSave true", "saved"]);
      const stat = statSync(path);
      expect([stat.ino, stat.uid, stat.gid, stat.mode & 0o7777]).toEqual([inode, 0, 0, 0o666]);
      expect(readFileSync(path, "utf8")).toBe("nobody: anyone may write this\n");
      expect(readdirSync(folder)).toEqual(["shared.txt"]);
    },
  );
});
