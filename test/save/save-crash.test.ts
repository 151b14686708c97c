/**
 * Kill -9 at every crash point of save, and before each of its I/O operations: the file holds
 * either the whole old or the whole new content (invariant 6), and reopening gives the edited
 * text exactly once — the old session over the old file, or a clean session over the new file.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CrashAt, CrashPoint } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const child = new URL("./save-child.mjs", import.meta.url).pathname;
const ORIGINAL = "first line of the file\nsecond line\r\nthird line\n".repeat(20);
/** What the child's edits make of ORIGINAL (kept in step with save-child.mjs). */
function edited(): string {
  let text = `saved header\n${ORIGINAL}`;
  text = text.slice(0, 20) + text.slice(40);
  return `${text}\ntrailer`;
}

function run(crashAt: CrashAt, mode?: "in-place") {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, ORIGINAL);
  const inode = statSync(path).ino;
  const stateDir = join(dir, "state");
  const result = spawnSync(process.execPath, [child, path, stateDir, ...(mode ? [mode] : [])], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_CRASH_AT: crashAt },
  });
  if (result.status !== 0 && result.signal !== "SIGKILL") throw new Error(`child failed: ${result.stderr}`);
  return {
    path,
    stateDir,
    inode,
    killed: result.signal === "SIGKILL",
    said: result.stdout.split("\n").filter(Boolean),
  };
}

async function check(outcome: ReturnType<typeof run>, inPlace = false): Promise<void> {
  const saved = edited();
  if (!inPlace) {
    // 6: the whole old file or the whole new one.
    const onDisk = readFileSync(outcome.path, "utf8");
    expect([ORIGINAL, saved]).toContain(onDisk);
    if (outcome.said.includes("saved")) expect(onDisk).toBe(saved);
  }
  const doc = await open(outcome.path, { stateDir: outcome.stateDir });
  const text = doc.getText();
  await doc.close();
  if (inPlace) {
    // Killed mid-copy, the file may be a mix until reopened: open() finished the copy.
    const onDisk = readFileSync(outcome.path, "utf8");
    expect([ORIGINAL, saved]).toContain(onDisk);
    if (outcome.said.includes("saved")) expect(onDisk).toBe(saved);
    expect(statSync(outcome.path).ino).toBe(outcome.inode);
    // The session matches what is on disk: a second open finds nothing to finish or set aside.
    const again = await open(outcome.path, { stateDir: outcome.stateDir });
    expect(again.setAside).toBeNull();
    expect(again.getText()).toBe(text);
    await again.close();
  }
  // Opening removed the temp file a killed save left beside the file.
  expect(readdirSync(dirname(outcome.path)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  if (outcome.said.includes("done")) expect(text).toBe(`after save ${saved}`);
  else if (outcome.said.includes("saved")) expect([saved, `after save ${saved}`]).toContain(text);
  else if (outcome.said.includes("committed")) expect(text).toBe(saved);
  else expect([ORIGINAL, saved]).toContain(text);
}

const IN_PLACE_POINTS: readonly CrashPoint[] = [
  "save:after-temp-write",
  "save:after-temp-sync",
  "save:after-inplace-temp",
  "save:after-inplace-announce",
  "save:after-inplace-copy",
  "save:after-inplace-truncate",
  "save:after-inplace-sync",
  "save:after-epoch-commit",
  "save:after-inplace-remove",
];

describe("kill -9 during an in-place save", () => {
  it("at each named crash point: reopened, the file is the whole old or new text, the session matches", async () => {
    for (const point of IN_PLACE_POINTS) {
      const outcome = run(point, "in-place");
      expect(outcome.killed).toBe(true);
      await check(outcome, true);
    }
  }, 120_000);

  it("before each I/O operation in turn, until a run completes", async () => {
    let n = 1;
    for (; n < 200; n++) {
      const outcome = run(`io:${n}`, "in-place");
      await check(outcome, true);
      if (!outcome.killed) break;
    }
    expect(n).toBeLessThan(200);
    console.log(`in-place save: crashed before each of ${n - 1} I/O operations`);
  }, 300_000);
});

describe("kill -9 during save", () => {
  it("at each named crash point of the save path", async () => {
    const points: readonly CrashPoint[] = [
      "save:after-temp-write",
      "save:after-temp-sync",
      "save:after-epoch-commit",
      "save:after-rename",
      "save:after-directory-sync",
    ];
    for (const point of points) {
      const outcome = run(point);
      expect(outcome.killed).toBe(true);
      await check(outcome);
    }
  }, 120_000);

  it("before each I/O operation in turn, until a run completes", async () => {
    let n = 1;
    for (; n < 200; n++) {
      const outcome = run(`io:${n}`);
      await check(outcome);
      if (!outcome.killed) break;
    }
    expect(n).toBeLessThan(200);
    console.log(`save: crashed before each of ${n - 1} I/O operations`);
  }, 300_000);
});

describe("a save killed after its epoch, then another program appends to the file", () => {
  it("keeps the committed edits (set aside), never clears them as an empty epoch", async () => {
    const outcome = run("save:after-epoch-commit");
    expect(outcome.killed).toBe(true);
    // The rename never happened: the file is the original, and a logger appends to it.
    writeFileSync(outcome.path, `${ORIGINAL}a line from the logger\n`);
    const doc = await open(outcome.path, { stateDir: outcome.stateDir });
    expect(doc.setAside).toMatchObject({ reason: "file changed on disk" });
    await doc.close();
    const aside = readdirSync(dirname(doc.setAside!.folder));
    expect(aside.some((name) => name.includes(".set-aside-"))).toBe(true);
  });
});
