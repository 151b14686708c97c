/**
 * The desktop app's documents (host/engine-host.ts): one per file however it is named, shared by
 * the windows showing it; the last window to let go closes it (its edits kept: hot exit), or
 * discards its session when a window chose "Don't save"; found again by the path it was saved to.
 */
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EngineHost } from "../../host/engine-host.js";
import { listSessions } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function folder(content = "text\n") {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, content);
  const stateDir = join(dir, "state");
  return { dir, path, stateDir, engine: new EngineHost({ stateDir, autosave: false }) };
}

describe("EngineHost", () => {
  it("opens one document per file, whatever the name it is opened by", async () => {
    const { dir, path, engine } = folder();
    symlinkSync(path, join(dir, "link.log"));
    const first = await engine.open(path);
    const second = await engine.open(join(dir, "link.log"));
    expect(second).toBe(first);
    expect(engine.openPaths).toHaveLength(1);
    expect(await engine.get(path)).toBe(first);
    await engine.closeAll();
    expect(engine.openPaths).toEqual([]);
  });

  it("closes a document when its last window lets go, keeping its edits in the session", async () => {
    const { path, stateDir, engine } = folder();
    const document = await engine.open(path);
    await engine.open(path);
    document.doc.insert(0, "typed ");
    await engine.release(path);
    expect(await engine.get(path)).toBe(document); // one window still shows it
    await engine.release(path);
    expect(await engine.get(path)).toBeNull();
    const reopened = await new EngineHost({ stateDir, autosave: false }).open(path);
    expect(reopened.doc.read(0, 11).toString()).toBe("typed text\n");
    await reopened.close();
  });

  it("drops the session when a window chose Don't save, for every window showing the file", async () => {
    const { path, stateDir, engine } = folder();
    const document = await engine.open(path);
    await engine.open(path);
    document.doc.insert(0, "typed ");
    await document.flush();
    engine.markDiscard(path);
    await engine.release(path);
    expect(await engine.get(path)).toBeNull();
    expect(listSessions(path, { stateDir })).toEqual([]);
  });

  it("finds a document by the path it was saved to", async () => {
    const { dir, path, engine } = folder();
    const document = await engine.open(path);
    const elsewhere = join(dir, "renamed.log");
    await document.saveNow({ path: elsewhere });
    expect(await engine.get(elsewhere)).toBe(document);
    await engine.release(elsewhere);
    expect(engine.openPaths).toEqual([]);
  });

  it("forgets a file that could not be opened, and says why", async () => {
    const { dir, engine } = folder();
    await expect(engine.open(join(dir, "missing.log"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(engine.openPaths).toEqual([]);
  });
});
