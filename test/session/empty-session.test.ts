/**
 * A session that never committed is no session: a process that dies before its first commit
 * leaves a folder (lock, an empty meta and root, a preallocated add.buf) that the next open
 * treats as none — not set aside as "could not be read" — and removes; `recover` shows a live
 * session without commits as such.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CrashAt } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { listSessions } from "../../piece-table/recovery.js";
import { sessionFolderFor } from "../../piece-table/session-folder.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const moduleUrl = new URL("../../dist/piece-table/index.js", import.meta.url).href;

/** A child opens the file, types, and is killed before it commits (or at `crashAt`). */
function dieBeforeCommit(path: string, stateDir: string, crashAt?: CrashAt): void {
  const script = `const { open } = await import(${JSON.stringify(moduleUrl)});
    const doc = await open(${JSON.stringify(path)}, { stateDir: ${JSON.stringify(stateDir)} });
    doc.insert(0, "typed but never committed ");
    ${crashAt ? "await doc.commit();" : ""}
    process.kill(process.pid, "SIGKILL");`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_CRASH_AT: crashAt ?? "" },
  });
  expect(result.signal, result.stderr).toBe("SIGKILL");
}

describe("a session that never committed", () => {
  it("is listed as empty, opened as no session, and removed", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "the file\n");
    const stateDir = join(dir, "state");
    const folder = sessionFolderFor(path, stateDir);
    dieBeforeCommit(path, stateDir);
    // What the dead process left: a folder with a preallocated add.buf and nothing committed.
    expect(statSync(join(folder, "add.buf")).size).toBeGreaterThan(0);
    expect(listSessions(path, { stateDir })).toMatchObject([
      { status: "empty", kind: "current", locked: false },
    ]);
    const doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    expect(doc.recovered).toBeNull();
    expect(doc.getText()).toBe("the file\n");
    expect(listSessions(path, { stateDir })).toMatchObject([{ status: "no commits yet", locked: true }]);
    await doc.close();
    expect(existsSync(folder)).toBe(false);
    expect(readdirSync(dirname(folder))).toEqual([]);
  });

  it("a death before the first commit's record is written is no session either", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "the file\n");
    const stateDir = join(dir, "state");
    dieBeforeCommit(path, stateDir, "commit:after-add-sync");
    const doc = await open(path, { stateDir });
    expect(doc.setAside).toBeNull();
    doc.insert(0, "now ");
    await doc.commit();
    await doc.close();
    expect(readdirSync(dirname(sessionFolderFor(path, stateDir)))).toHaveLength(1);
    const again = await open(path, { stateDir });
    expect(again.getText()).toBe("now the file\n");
    await again.close();
  });

  it("one whose first record was written but never named by a slot is still kept aside", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "the file\n");
    const stateDir = join(dir, "state");
    dieBeforeCommit(path, stateDir, "commit:after-meta-sync");
    expect(listSessions(path, { stateDir })[0]?.status).toBe("unreadable");
    const doc = await open(path, { stateDir });
    expect(doc.setAside?.reason).toBe("session could not be read");
    await doc.close();
  });
});
