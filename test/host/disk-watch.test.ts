/**
 * The watch over a document's file (host/disk-watch.ts): each check compares the file with the
 * identity the document holds and reports a change of state once; settle() and whilePaused()
 * take the file as it is without a report.
 */
import { renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DiskState, DiskWatch } from "../../host/disk-watch.js";
import type { FileIdentity } from "../../native/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const watches: DiskWatch[] = [];

afterEach(() => {
  for (const watch of watches.splice(0)) watch.stop();
  vi.useRealTimers();
});

function identityOf(path: string): FileIdentity {
  const stat = statSync(path, { bigint: true });
  return { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs };
}

/** A watch over a fresh file, with the identity it holds and the changes it reported. */
function watched(content = "0123456789\n") {
  const path = join(tempDir(), "doc.log");
  writeFileSync(path, content);
  const held = { path, identity: identityOf(path) };
  const changes: Array<[DiskState, DiskState]> = [];
  // A long interval: the tests call check() themselves.
  const watch = new DiskWatch(
    () => held,
    (state, previous) => changes.push([state, previous]),
    60_000,
  );
  watches.push(watch);
  return { path, held, changes, watch };
}

/** Sets the file's mtime apart from the held one (a write within the same tick may not). */
function touch(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds);
}

describe("DiskWatch", () => {
  it("starts unchanged and reports nothing while the file is as held", () => {
    const { watch, changes } = watched();
    expect(watch.lastState).toBe("unchanged");
    expect(watch.check()).toBe("unchanged");
    expect(changes).toEqual([]);
  });

  it("reports each change of state once, with the state before it", () => {
    const { path, watch, changes } = watched();
    writeFileSync(path, "0123456789\nmore\n");
    expect(watch.check()).toBe("modified");
    expect(watch.check()).toBe("modified");
    expect(changes).toEqual([["modified", "unchanged"]]);
    truncateSync(path, 3);
    expect(watch.check()).toBe("truncated");
    rmSync(path);
    expect(watch.check()).toBe("deleted");
    expect(watch.lastState).toBe("deleted");
    expect(changes).toEqual([
      ["modified", "unchanged"],
      ["truncated", "modified"],
      ["deleted", "truncated"],
    ]);
  });

  it("tells a file replaced by rename from one modified in place", () => {
    const { path, watch, changes } = watched();
    const other = `${path}.new`;
    writeFileSync(other, "0123456789\n");
    renameSync(other, path);
    expect(watch.check()).toBe("replaced");
    expect(changes).toEqual([["replaced", "unchanged"]]);
  });

  it("a same-size rewrite with another mtime is modified", () => {
    const { path, watch } = watched();
    writeFileSync(path, "abcdefghij\n");
    touch(path, 1_000_000);
    expect(watch.check()).toBe("modified");
  });

  it("goes back to unchanged, and says so, when the document takes the file's new identity", () => {
    const { path, held, watch, changes } = watched();
    writeFileSync(path, "0123456789\nappended\n");
    watch.check();
    held.identity = identityOf(path);
    expect(watch.check()).toBe("unchanged");
    expect(changes).toEqual([
      ["modified", "unchanged"],
      ["unchanged", "modified"],
    ]);
  });

  it("settle() takes the file as it is now without a report", () => {
    const { path, held, watch, changes } = watched();
    writeFileSync(path, "0123456789\nappended\n");
    held.identity = identityOf(path);
    watch.settle();
    expect(watch.lastState).toBe("unchanged");
    // Settling on a changed file: its state is taken, unreported, and not reported later either.
    writeFileSync(path, "rewritten, and longer than before\n");
    watch.settle();
    expect(watch.lastState).toBe("modified");
    expect(watch.check()).toBe("modified");
    expect(changes).toEqual([]);
  });

  it("does not check while paused (nested too), then takes a fresh look without reporting", async () => {
    const { path, held, watch, changes } = watched();
    const result = await watch.whilePaused(async () => {
      writeFileSync(path, "saved by us, renamed into place\n");
      expect(watch.check()).toBe("unchanged");
      await watch.whilePaused(async () => {
        expect(watch.check()).toBe("unchanged");
      });
      // Still paused after the inner pause ended.
      expect(watch.check()).toBe("unchanged");
      held.identity = identityOf(path);
      return 42;
    });
    expect(result).toBe(42);
    expect(watch.lastState).toBe("unchanged");
    expect(changes).toEqual([]);
    writeFileSync(path, "changed by another program afterwards\n");
    expect(watch.check()).toBe("modified");
    expect(changes).toEqual([["modified", "unchanged"]]);
  });

  it("ends a pause when its work fails, and takes the fresh look then too", async () => {
    const { path, watch, changes } = watched();
    await expect(
      watch.whilePaused(async () => {
        rmSync(path);
        throw new Error("save failed");
      }),
    ).rejects.toThrow("save failed");
    expect(watch.lastState).toBe("deleted");
    expect(changes).toEqual([]);
    writeFileSync(path, "back\n");
    // A new file (replaced, or — when it got the old inode back — truncated): reported.
    expect(watch.check()).not.toBe("deleted");
    expect(changes).toHaveLength(1);
  });

  it("checks on its own every interval until stopped", () => {
    vi.useFakeTimers();
    const path = join(tempDir(), "timed.log");
    writeFileSync(path, "x\n");
    const held = { path, identity: identityOf(path) };
    const states: DiskState[] = [];
    const watch = new DiskWatch(
      () => held,
      (state) => states.push(state),
      1_000,
    );
    watches.push(watch);
    rmSync(path);
    vi.advanceTimersByTime(999);
    expect(states).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(states).toEqual(["deleted"]);
    writeFileSync(path, "x\n");
    watch.stop();
    vi.advanceTimersByTime(10_000);
    expect(states).toEqual(["deleted"]);
  });
});
