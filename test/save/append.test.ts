/**
 * The append fast path: a document that is its file plus bytes added at the end is saved by
 * extending the file in place — journaled through the session, so a crash half-way is finished
 * on reopen.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CrashAt } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const LOG = "2026-11-22 INFO started\n".repeat(500);
const APPENDED = "appended line one\nappended line two\n".repeat(50);

describe("append save", () => {
  it("extends the file in place (same inode) and keeps undo across the save", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, LOG);
    const inode = statSync(path).ino;
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(doc.length, "one more line\n");
    await doc.save();
    expect(statSync(path).ino).toBe(inode);
    expect(readFileSync(path, "utf8")).toBe(`${LOG}one more line\n`);
    doc.insert(doc.length, "and another\n");
    await doc.save();
    expect(statSync(path).ino).toBe(inode);
    expect(readFileSync(path, "utf8")).toBe(`${LOG}one more line\nand another\n`);
    doc.undo();
    doc.undo();
    expect(doc.getText()).toBe(LOG);
    await doc.save();
    // Not an append any more: a full save (new inode) writes the shorter version.
    expect(readFileSync(path, "utf8")).toBe(LOG);
    await doc.close();
  });

  it("uses the full save when anything before the end changed", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, LOG);
    const inode = statSync(path).ino;
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(doc.length, "tail\n");
    doc.insert(0, "head\n");
    await doc.save();
    expect(statSync(path).ino).not.toBe(inode);
    expect(readFileSync(path, "utf8")).toBe(`head\n${LOG}tail\n`);
    await doc.close();
  });

  function run(crashAt: CrashAt) {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, LOG);
    const stateDir = join(dir, "state");
    const result = spawnSync(
      process.execPath,
      [new URL("./append-child.mjs", import.meta.url).pathname, path, stateDir],
      {
        encoding: "utf8",
        env: { ...process.env, GIGAPAD_CRASH_AT: crashAt },
      },
    );
    if (result.status !== 0 && result.signal !== "SIGKILL") throw new Error(`child failed: ${result.stderr}`);
    return { path, stateDir, killed: result.signal === "SIGKILL", said: result.stdout };
  }

  it("repairs an append a power cut left as zeros: the announced bytes are rewritten on reopen", async () => {
    const outcome = run("save:after-append-announce");
    expect(outcome.killed).toBe(true);
    // What a power cut can leave: the file extended, its new blocks never written.
    appendFileSync(outcome.path, Buffer.alloc(APPENDED.length + 100));
    const doc = await open(outcome.path, { stateDir: outcome.stateDir });
    expect(doc.getText()).toBe(LOG + APPENDED);
    await doc.close();
    expect(readFileSync(outcome.path, "utf8")).toBe(LOG + APPENDED);
    const after = await open(outcome.path, { stateDir: outcome.stateDir });
    expect(after.recovered).toBeNull();
    await after.close();
  });

  it("a kill after the announce, then another program appends: its lines are kept, the edits recovered", async () => {
    const outcome = run("save:after-append-announce");
    expect(outcome.killed).toBe(true);
    appendFileSync(outcome.path, "a line from the logger\n");
    const doc = await open(outcome.path, { stateDir: outcome.stateDir });
    expect(doc.getText()).toBe(LOG + APPENDED);
    await doc.close();
    expect(readFileSync(outcome.path, "utf8")).toBe(`${LOG}a line from the logger\n`);
  });

  it("a kill at any point of the append is finished on reopen", async () => {
    const points: CrashAt[] = [
      "save:after-append-announce",
      "save:after-append-write",
      "save:after-append-sync",
      "save:after-epoch-commit",
    ];
    const crashes: CrashAt[] = [...points, ...Array.from({ length: 40 }, (_, i): CrashAt => `io:${i + 1}`)];
    let killedDuringSave = 0;
    for (const crashAt of crashes) {
      const outcome = run(crashAt);
      const doc = await open(outcome.path, { stateDir: outcome.stateDir });
      const text = doc.getText();
      await doc.close();
      const onDisk = readFileSync(outcome.path, "utf8");
      if (!outcome.said.includes("committed")) {
        expect([LOG, LOG + APPENDED]).toContain(text);
        expect(onDisk).toBe(LOG);
        continue;
      }
      // Committed: the document has the appended text exactly once. The file is the old one (the
      // save had not started writing: its session holds the edits) or the whole new one — never a
      // part: a save cut short mid-write is finished by open().
      expect(text).toBe(LOG + APPENDED);
      expect([LOG, LOG + APPENDED]).toContain(onDisk);
      if (outcome.said.includes("saved")) expect(onDisk).toBe(LOG + APPENDED);
      if (onDisk !== LOG) {
        // Finished: the next open is a clean session over the new file.
        const after = await open(outcome.path, { stateDir: outcome.stateDir });
        expect(after.recovered).toBeNull();
        expect(after.getText()).toBe(LOG + APPENDED);
        await after.close();
      }
      if (outcome.killed && !outcome.said.includes("saved")) killedDuringSave++;
      if (!outcome.killed) break;
    }
    expect(killedDuringSave).toBeGreaterThan(3);
  }, 300_000);
});

describe("saving while another program appends to the file", () => {
  it("the append path refuses (EFILECHANGED) when the file grew while the session committed", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, LOG);
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(doc.length, "typed at the end\n");
    const commit = doc.commit.bind(doc);
    doc.commit = async () => {
      appendFileSync(path, "a line from the logger\n");
      return commit();
    };
    await expect(doc.save()).rejects.toMatchObject({ code: "EFILECHANGED" });
    expect(readFileSync(path, "utf8")).toBe(`${LOG}a line from the logger\n`);
    await doc.discard();
  });

  it("the rename path refuses (EFILECHANGED) when the file grew while the temp file was written", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    writeFileSync(path, LOG);
    const doc = await open(path, { stateDir: join(dir, "state") });
    doc.insert(0, "typed at the top\n");
    let appended = false;
    const save = doc.save({
      onProgress: () => {
        if (appended) return;
        appended = true;
        appendFileSync(path, "a line from the logger\n");
      },
    });
    await expect(save).rejects.toMatchObject({ code: "EFILECHANGED" });
    expect(readFileSync(path, "utf8")).toBe(`${LOG}a line from the logger\n`);
    await doc.discard();
  });
});
