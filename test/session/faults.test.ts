/**
 * Faults the disk can throw at a session: EIO on fsync (the store stops, never retries, and the
 * last good commit stays recoverable) and a full disk (ENOSPC) while the add buffer grows or a
 * record is written — on a real 4 MiB tmpfs when this machine lets us mount one (root).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppendFile } from "../../native/index.js";
import { type DurableFiles, type FileHandle, systemFiles } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** The real calls, except that the n-th data sync fails with EIO. */
function failingSyncs(failAt: number): DurableFiles {
  let syncs = 0;
  const fail = () => {
    if (++syncs >= failAt) throw Object.assign(new Error("cannot sync: Input/output error"), { code: "EIO" });
  };
  return {
    ...systemFiles,
    sync(handle: FileHandle) {
      fail();
      systemFiles.sync(handle);
    },
    syncAddBuffer(add: AppendFile) {
      fail();
      systemFiles.syncAddBuffer(add);
    },
  };
}

describe("EIO on fsync", () => {
  it("fails the commit, turns the document read-only, and keeps the last good commit", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.log");
    writeFileSync(path, "hello\n");
    const stateDir = join(dir, "state");
    // First commit: add sync, meta sync, slot sync (three syncs) succeed; the next fails.
    const doc = await open(path, { stateDir, durableFiles: failingSyncs(4) });
    doc.insert(0, "one ");
    await doc.commit();
    doc.insert(0, "two ");
    await expect(doc.commit()).rejects.toMatchObject({
      code: "ESESSIONFAILED",
      message: expect.stringContaining("Input/output error"),
    });
    expect(doc.readOnly).toBe(true);
    expect(() => doc.insert(0, "three ")).toThrow(/can no longer be saved/);
    // Never retried: a second commit fails the same way without touching the disk.
    await expect(doc.commit()).rejects.toMatchObject({ code: "ESESSIONFAILED" });
    // The text stays readable, and exportable.
    expect(doc.getText()).toBe("two one hello\n");
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe("one hello\n");
    await again.close();
  });
});

const canMount = process.getuid?.() === 0 && process.platform === "linux";

describe.skipIf(!canMount)("a full disk (4 MiB tmpfs)", () => {
  let mountPoint = "";
  beforeAll(() => {
    mountPoint = mkdtempSync(join(tmpdir(), "gigapad-tmpfs-"));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]);
    if (mounted.status !== 0) throw new Error(`cannot mount a tmpfs for the ENOSPC tests: ${mounted.stderr}`);
  });
  afterAll(() => {
    // Lazy: the kernel detaches it once the last mapping of a file in it is gone.
    const unmounted = spawnSync("umount", ["-l", mountPoint]);
    if (unmounted.status === 0) rmSync(mountPoint, { recursive: true, force: true });
  });

  it("refuses an insert that cannot get space, losing nothing, and keeps earlier commits", async () => {
    const dir = join(mountPoint, "full-add");
    mkdirSync(dir);
    const path = join(dir, "doc.log");
    writeFileSync(path, "start\n");
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.insert(6, "small edit\n");
    await doc.commit();
    const before = doc.getText();
    // Larger than the whole filesystem: the add buffer cannot grow.
    expect(() => doc.insert(0, Buffer.alloc(6 * 1024 * 1024, "x"))).toThrow(
      expect.objectContaining({ code: "ENOSPC", message: expect.stringContaining("No space left") }),
    );
    expect(doc.getText()).toBe(before);
    doc.insert(0, "still editable ");
    await doc.commit();
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe(`still editable ${before}`);
    await again.close();
  });

  it("refuses a save the disk has no room for, leaving the file and no temp file", async () => {
    const dir = join(mountPoint, "full-save");
    mkdirSync(dir);
    const path = join(dir, "doc.log");
    writeFileSync(path, Buffer.alloc(1024 * 1024, "a"));
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    doc.insert(0, "edit ");
    await expect(doc.save()).rejects.toMatchObject({
      code: "ENOSPC",
      message: expect.stringContaining("free"),
    });
    expect(readFileSync(path).length).toBe(1024 * 1024);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    await doc.discard();
  });

  it("fails a commit whose record cannot be written, and recovers the previous one", async () => {
    const dir = join(mountPoint, "full-meta");
    mkdirSync(dir);
    const path = join(dir, "doc.log");
    writeFileSync(path, "base\n");
    const stateDir = join(dir, "state");
    const doc = await open(path, { stateDir });
    doc.insert(0, "kept ");
    await doc.commit();
    // Fill the disk, then make a commit that needs a large record (a replaceAll over many pieces).
    for (let i = 0; i < 2000; i++) doc.insert(doc.length, i % 2 ? "ab" : "\n");
    const filler = join(mountPoint, "filler");
    spawnSync("sh", ["-c", `head -c 100000000 /dev/zero > ${filler}`]);
    await expect(doc.commit()).rejects.toMatchObject({ code: "ESESSIONFAILED" });
    rmSync(filler);
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe("kept base\n");
    await again.close();
  });
});
