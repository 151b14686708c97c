import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { sessionFolderFor } from "../../piece-table/session-folder.js";
import { applyDelete, applyInsert } from "../helpers/buffer-model.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function setup(content: string | Buffer) {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, content);
  const stateDir = join(dir, "state");
  return { path, stateDir, reopen: () => open(path, { stateDir }) };
}

describe("sessions: edits survive close and reopen", () => {
  it("restores edits and undo history after close (hot exit)", async () => {
    const { path, stateDir, reopen } = setup("line one\nline two\n");
    const doc = await reopen();
    expect(doc.recovered).toBeNull();
    doc.insert(0, "# header\n");
    doc.replace(9, 13, "LINE");
    doc.delete(doc.length - 4, doc.length - 1);
    await doc.close();
    const again = await reopen();
    expect(again.getText()).toBe("# header\nLINE one\nline \n");
    expect(again.recovered).toMatchObject({ edits: 3, bytes: again.length });
    expect(again.recovered!.time.getTime()).toBeGreaterThan(Date.now() - 60_000);
    // Undo walks back through the restored history, redo forward again.
    expect(again.undo()).toBe(true);
    expect(again.getText()).toBe("# header\nLINE one\nline two\n");
    again.undo();
    again.undo();
    expect(again.getText()).toBe("line one\nline two\n");
    expect(again.undo()).toBe(false);
    again.redo();
    expect(again.getText()).toBe("# header\nline one\nline two\n");
    await again.close();
    // The file itself was never touched.
    expect(readFileSync(path, "utf8")).toBe("line one\nline two\n");
    expect(existsSync(sessionFolderFor(path, stateDir))).toBe(true);
  });

  it("discard drops the session; a session without edits leaves nothing behind", async () => {
    const { path, stateDir, reopen } = setup("abc");
    const doc = await reopen();
    doc.insert(3, "def");
    await doc.discard();
    expect(existsSync(sessionFolderFor(path, stateDir))).toBe(false);
    const again = await reopen();
    expect(again.getText()).toBe("abc");
    expect(again.recovered).toBeNull();
    await again.close();
    expect(existsSync(sessionFolderFor(path, stateDir))).toBe(false);
  });

  it("commit makes edits visible to a read-only opener while the editor holds the session", async () => {
    const { path, stateDir, reopen } = setup("base\n");
    const doc = await reopen();
    doc.insert(0, "committed ");
    await doc.commit();
    expect(doc.allEditsSafe).toBe(true);
    doc.insert(0, "pending ");
    expect(doc.allEditsSafe).toBe(false);
    const reader = await open(path, { stateDir, readOnly: true });
    expect(reader.getText()).toBe("committed base\n");
    await reader.close();
    await doc.close();
  });

  it("sets a session aside when the file changed on disk, and opens the file as it is now", async () => {
    const { path, reopen } = setup("version one\n");
    const doc = await reopen();
    doc.insert(0, "typed text ");
    await doc.close();
    appendFileSync(path, "appended by another program\n");
    const again = await reopen();
    expect(again.getText()).toBe("version one\nappended by another program\n");
    expect(again.recovered).toBeNull();
    expect(again.setAside).toMatchObject({ reason: "file changed on disk", edits: 1 });
    expect(existsSync(again.setAside!.folder)).toBe(true);
    expect(readFileSync(join(again.setAside!.folder, "add.buf")).subarray(0, 11).toString()).toBe(
      "typed text ",
    );
    await again.close();
  });

  it("keeps replaceAll, big pastes and many commits across reopen", async () => {
    const { reopen } = setup("a-b-c\n".repeat(1000));
    let doc = await reopen();
    expect(await doc.replaceAll("-", "+")).toBe(2000);
    await doc.commit();
    doc.insert(0, Buffer.alloc(3 * 1024 * 1024, "x"));
    for (let i = 0; i < 50; i++) {
      doc.insert(doc.length, `line ${i}\n`);
      if (i % 10 === 0) await doc.commit();
    }
    const expected = doc.read();
    await doc.close();
    doc = await reopen();
    expect(doc.read().equals(expected)).toBe(true);
    expect(doc.lineCount()).toBe(1000 + 50 + 1);
    doc.undo();
    await doc.close();
  });

  it("random edits, commits and reopens always restore the last committed state", async () => {
    type Step =
      | { kind: "insert"; at: number; text: string }
      | { kind: "delete"; at: number; span: number }
      | { kind: "undo" }
      | { kind: "redo" }
      | { kind: "commit" }
      | { kind: "reopen" };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        text: fc.constantFrom("a", "\n", "xy", "é\r\n"),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), span: fc.nat({ max: 6 }) }),
      fc.constant({ kind: "undo" as const }),
      fc.constant({ kind: "redo" as const }),
      fc.constant({ kind: "commit" as const }),
      fc.constant({ kind: "reopen" as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const { reopen } = setup("0123456789\n");
        let doc = await reopen();
        let model: Buffer = Buffer.from("0123456789\n");
        try {
          for (const s of steps) {
            if (s.kind === "insert") {
              const at = s.at % (model.length + 1);
              doc.insert(at, s.text);
              model = applyInsert(model, at, Buffer.from(s.text));
            } else if (s.kind === "delete") {
              const at = s.at % (model.length + 1);
              const end = Math.min(model.length, at + s.span);
              doc.delete(at, end);
              model = applyDelete(model, at, end);
            } else if (s.kind === "undo" || s.kind === "redo") {
              doc[s.kind]();
              model = doc.read();
            } else if (s.kind === "commit") {
              await doc.commit();
            } else {
              await doc.close();
              doc = await reopen();
              expect(doc.read().equals(model)).toBe(true);
            }
          }
          await doc.close();
          doc = await reopen();
          expect(doc.read().equals(model)).toBe(true);
          while (doc.undo()) {}
          expect(doc.getText()).toBe("0123456789\n");
        } finally {
          await doc.discard();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("sessions: snapshots and compaction", () => {
  it("moves a large log into a new meta file at a snapshot and keeps history across reopen", async () => {
    const { path, stateDir } = setup("compact me\n");
    const tuning = { snapshotAfterOps: 10, compactAfterBytes: 2048 };
    let doc = await open(path, { stateDir, sessionTuning: tuning });
    const states = [doc.getText()];
    for (let i = 0; i < 60; i++) {
      doc.insert(doc.length, `${i}\n`);
      states.push(doc.getText());
      if (i % 3 === 2) await doc.commit();
    }
    await doc.close();
    const folder = sessionFolderFor(path, stateDir);
    const metaFiles = readdirSync(folder).filter((name) => name.startsWith("meta"));
    expect(metaFiles).toHaveLength(1);
    expect(metaFiles[0]).toMatch(/^meta\.\d+$/);
    doc = await open(path, { stateDir, sessionTuning: tuning });
    expect(doc.getText()).toBe(states[states.length - 1]);
    // Every earlier state is still one undo away from the next.
    for (let i = states.length - 2; i >= 0; i--) {
      expect(doc.undo()).toBe(true);
      expect(doc.getText()).toBe(states[i]);
    }
    await doc.close();
  });
});

describe("sessions: damaged session files never crash open()", () => {
  it("bit flips and truncation of add.buf, meta and root give a committed version or the file", async () => {
    const { path, stateDir, reopen } = setup("original\n");
    const doc = await reopen();
    const versions = [doc.getText()];
    for (let i = 0; i < 5; i++) {
      doc.insert(doc.length, `edit ${i}\n`);
      await doc.commit();
      versions.push(doc.getText());
    }
    await doc.close();
    const folder = sessionFolderFor(path, stateDir);
    const pristine = new Map(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name))]));
    let random = 17;
    const next = (bound: number) => {
      random = (random * 48271) % 2147483647;
      return random % bound;
    };
    let trials = 0;
    for (const name of ["add.buf", "meta", "root"]) {
      for (let trial = 0; trial < 40; trial++) {
        mkdirSync(folder, { recursive: true });
        for (const [file, bytes] of pristine) writeFileSync(join(folder, file), bytes);
        const damaged = Buffer.from(pristine.get(name)!);
        if (trial % 2 === 0) {
          for (let flips = 1 + next(3); flips > 0; flips--) {
            const at = next(Math.max(1, damaged.length));
            damaged[at] = damaged[at]! ^ (1 << next(8));
          }
          writeFileSync(join(folder, name), damaged);
        } else {
          writeFileSync(join(folder, name), damaged.subarray(0, next(damaged.length + 1)));
        }
        const opened = await reopen();
        expect(versions).toContain(opened.getText());
        // Unreadable sessions are set aside whole, never overwritten.
        if (opened.setAside) expect(existsSync(join(opened.setAside.folder, name))).toBe(true);
        await opened.close();
        trials++;
      }
    }
    expect(trials).toBe(120);
  });
});
