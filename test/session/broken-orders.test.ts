/**
 * broken-orders.ts directly: each deliberately broken order does to the I/O what its name says
 * (the power-loss and crashtest suites prove the tests catch it), and nothing else.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BrokenOrder, isBrokenOrder, withBrokenOrder } from "../../piece-table/broken-orders.js";
import { RecordingFiles } from "../helpers/recording-files.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** The recorded operations (type and file name) of `run` through a broken order. */
function recorded(order: BrokenOrder, run: (io: ReturnType<typeof withBrokenOrder>, dir: string) => void) {
  const dir = tempDir();
  const io = new RecordingFiles();
  run(withBrokenOrder(io, order), dir);
  return io.log.map((op) => {
    const path = "path" in op ? op.path : "";
    return `${op.type} ${path.slice(dir.length + 1)}`;
  });
}

/** A commit's I/O, as session-store.ts issues it (without the add buffer). */
function commitLike(io: ReturnType<typeof withBrokenOrder>, dir: string): void {
  const meta = io.open(join(dir, "meta"), "create");
  const root = io.open(join(dir, "root"), "create");
  io.write(meta, Buffer.from("record"), 0);
  io.sync(meta);
  io.write(root, Buffer.from("slot"), 0);
  io.sync(root);
  io.close(meta);
  io.close(root);
}

describe("broken orders", () => {
  it("knows its names, and no others", () => {
    expect(isBrokenOrder("slot-before-record")).toBe(true);
    expect(isBrokenOrder("slot-before-recrod")).toBe(false);
  });

  it("slot-before-record: the slot is written and synced before the record", () => {
    expect(recorded("slot-before-record", commitLike)).toEqual([
      "create meta",
      "create root",
      "write root",
      "sync root",
      "write meta",
      "sync meta",
    ]);
  });

  it("ack-early: the slot is never written", () => {
    expect(recorded("ack-early", commitLike)).toEqual([
      "create meta",
      "create root",
      "write meta",
      "sync meta",
    ]);
  });

  it("mkdir-without-sync: the folders made are not synced into their parents; later syncs are", () => {
    const log = recorded("mkdir-without-sync", (io, dir) => {
      io.makeDirectory(join(dir, "a"));
      io.syncDirectory(dir);
      const file = io.open(join(dir, "a", "f"), "create");
      io.close(file);
      io.syncDirectory(join(dir, "a"));
    });
    expect(log).toEqual(["mkdir a", "create a/f", "syncDir a"]);
  });

  it("rename-before-sync: a save's temp file is not synced; other files are", () => {
    const log = recorded("rename-before-sync", (io, dir) => {
      const temp = io.open(join(dir, ".doc.txt.gigapad-12-34.tmp"), "create");
      io.fullSync(temp);
      io.close(temp);
      const other = io.open(join(dir, "doc.txt"), "create");
      io.fullSync(other);
      io.close(other);
    });
    expect(log).toEqual(["create .doc.txt.gigapad-12-34.tmp", "create doc.txt", "sync doc.txt"]);
  });
});
