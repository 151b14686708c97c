/**
 * Tier 2 for save: a save runs over the recording I/O seam; every disk a power cut could leave
 * (temp writes lost, applied or torn; the rename's directory entry lost until the folder is
 * synced) must hold the whole old or the whole new file at the target (invariant 6), and the new
 * one once save() has returned.
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { type BrokenOrder, withBrokenOrder } from "../../piece-table/broken-orders.js";
import { open } from "../../piece-table/index.js";
import { crashStates, Random, RecordingFiles } from "../helpers/recording-files.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const BUDGET = Number(process.env.GIGAPAD_POWER_LOSS_STATES ?? 1500);

async function explore(brokenOrder?: BrokenOrder): Promise<{ explored: number; violations: string[] }> {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  const before = Buffer.from("a line that will be edited\n".repeat(400));
  writeFileSync(path, before);
  const io = new RecordingFiles();
  const files = brokenOrder ? withBrokenOrder(io, brokenOrder) : io;
  const doc = await open(path, { stateDir: join(dir, "state"), durableFiles: files });
  doc.insert(0, "HEADER\n");
  doc.delete(100, 5000);
  doc.insert(doc.length, "\nTAIL");
  await doc.save();
  io.note("saved");
  const after = readFileSync(path);
  await doc.discard();

  const violations: string[] = [];
  let explored = 0;
  const perCut = Math.max(1, Math.floor(BUDGET / (io.log.length + 1)));
  for (const state of crashStates(io.log, new Random(11), perCut, new Map([[path, before]]))) {
    const saved = io.log.slice(0, state.cut).some((op) => op.type === "marker" && op.label === "saved");
    const target = state.files.get(path);
    const ok =
      target !== undefined && (saved ? target.equals(after) : target.equals(before) || target.equals(after));
    if (!ok)
      violations.push(
        `cut ${state.cut} (${state.description}): target is ${target?.length ?? "missing"} bytes`,
      );
    explored++;
  }
  return { explored, violations };
}

/** Writes content into the file's own inode (its identity — device, inode — stays). */
function rewriteInPlace(path: string, content: Buffer, mtimeNs: bigint): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, content, 0, content.length, 0);
    ftruncateSync(fd, content.length);
  } finally {
    closeSync(fd);
  }
  const seconds = mtimeNs / 1_000_000_000n;
  const nanos = (mtimeNs % 1_000_000_000n).toString().padStart(9, "0");
  const touched = spawnSync("touch", ["-m", "-d", `@${seconds}.${nanos}`, path]);
  if (touched.status !== 0) throw new Error(`touch failed: ${touched.stderr}`);
}

/**
 * The in-place save over the recording seam; then, for every crash state from the start of the
 * save on — the file's own writes lost, applied or torn, its truncate lost, the temp file's writes
 * and directory entry, the session's slots — the disk is materialised (the file rewritten in its
 * own inode, with the mtime it had durably) and the real open() runs on it, for editing: the
 * reopened file must be exactly the old or the new content, the document the edited text, and the
 * session must match (a second open sets nothing aside and finds the same text).
 */
async function exploreInPlace(
  budget: number,
  brokenOrder?: BrokenOrder,
): Promise<{ explored: number; violations: string[]; truncatesLost: number; tornInFile: number }> {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  const before = Buffer.from("a line that will be edited in place\n".repeat(400));
  writeFileSync(path, before);
  const beforeMtime = statSync(path, { bigint: true }).mtimeNs;
  const stateDir = join(dir, "state");
  const io = new RecordingFiles();
  const files = brokenOrder ? withBrokenOrder(io, brokenOrder) : io;
  const doc = await open(path, { stateDir, durableFiles: files });
  doc.insert(0, "HEADER\n");
  doc.delete(100, 9000);
  doc.insert(doc.length, "\nTAIL");
  const edited = doc.read();
  await doc.commit();
  io.note("saving");
  await doc.save({ mode: "in-place" });
  io.note("saved");
  const after = readFileSync(path);
  const afterMtime = statSync(path, { bigint: true }).mtimeNs;
  await doc.close();
  const saveStart = io.log.findIndex((op) => op.type === "marker" && op.label === "saving");

  const violations: string[] = [];
  let explored = 0;
  // Half the budget where the file's own writes and truncate are issued but not yet synced.
  const firstWrite = io.log.findIndex((op) => op.type === "write" && op.path === path);
  const fileSync = io.log.findIndex((op) => op.type === "sync" && op.path === path);
  const copyWindow = fileSync - firstWrite;
  const elsewhere = Math.max(1, Math.floor(budget / 2 / (io.log.length - saveStart + 1)));
  const inWindow = Math.max(elsewhere, Math.floor(budget / 2 / Math.max(1, copyWindow)));
  const perCut = (cut: number) => (cut > firstWrite && cut <= fileSync ? inWindow : elsewhere);
  const replayDir = join(dir, "replay");
  let truncatesLost = 0;
  let tornInFile = 0;
  for (const state of crashStates(io.log, new Random(13), perCut, new Map([[path, before]]))) {
    if (state.cut <= saveStart) continue;
    const issued = io.log.slice(0, state.cut);
    const saved = issued.some((op) => op.type === "marker" && op.label === "saved");
    // The file's mtime is durable once the file is fully synced (the copy's fsync).
    const synced = issued.some((op) => op.type === "sync" && op.path === path);
    rewriteInPlace(path, state.files.get(path)!, synced ? afterMtime : beforeMtime);
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (file !== path && file !== stateDir && !state.files.has(file))
        rmSync(file, { force: true, recursive: true });
    }
    rmSync(replayDir, { recursive: true, force: true });
    for (const [file, content] of state.files) {
      if (file === path) continue;
      const target = file.startsWith(stateDir) ? join(replayDir, relative(stateDir, file)) : file;
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    const where = `cut ${state.cut} (${state.description})`;
    if (/doc\.log truncate \d+ lost/.test(state.description)) truncatesLost++;
    if (/doc\.log write \d+ torn/.test(state.description)) tornInFile++;
    try {
      const reopened = await open(path, { stateDir: replayDir });
      const text = reopened.read();
      const setAside = reopened.setAside;
      await reopened.close();
      const onDisk = readFileSync(path);
      const again = await open(path, { stateDir: replayDir });
      const second = again.read();
      const secondAside = again.setAside;
      await again.close();
      if (!(onDisk.equals(before) || onDisk.equals(after)))
        violations.push(`${where}: the file is neither version`);
      else if (saved && !onDisk.equals(after))
        violations.push(`${where}: saved, but the file is the old version`);
      else if (!text.equals(edited)) violations.push(`${where}: the document is not the edited text`);
      else if (setAside || secondAside) violations.push(`${where}: a session was set aside`);
      else if (!second.equals(edited)) violations.push(`${where}: the second open differs`);
    } catch (error) {
      violations.push(`${where}: open failed: ${(error as Error).message}`);
    }
    explored++;
  }
  return { explored, violations, truncatesLost, tornInFile };
}

describe("power loss during an in-place save", () => {
  it("reopens every crash state as exactly the old or the new file, with a matching session", async () => {
    const { explored, violations, truncatesLost, tornInFile } = await exploreInPlace(BUDGET / 3);
    console.log(
      `in-place save tier 2: ${explored} crash states (${tornInFile} with a torn write into the file, ` +
        `${truncatesLost} with its truncate lost), ${violations.length} violations`,
    );
    expect(violations.slice(0, 5)).toEqual([]);
    expect(explored).toBeGreaterThan(50);
    expect(tornInFile).toBeGreaterThan(0);
    expect(truncatesLost).toBeGreaterThan(0);
  }, 300_000);

  it("catches an in-place save that copies before its temp file is synced", async () => {
    const { explored, violations } = await exploreInPlace(150, "inplace-copy-before-sync");
    console.log(`in-place save tier 2 (broken build): ${violations.length} violations in ${explored} states`);
    expect(violations.length).toBeGreaterThan(0);
  }, 300_000);
});

describe("power loss during save", () => {
  it("leaves the whole old or the whole new file at every crash state", async () => {
    const { explored, violations } = await explore();
    console.log(`save tier 2: ${explored} crash states, ${violations.length} violations`);
    expect(violations).toEqual([]);
    expect(explored).toBeGreaterThan(50);
  });

  it("catches a save that renames before syncing the temp file", async () => {
    const { explored, violations } = await explore("rename-before-sync");
    console.log(`save tier 2 (broken build): ${violations.length} violations in ${explored} states`);
    expect(violations.length).toBeGreaterThan(0);
  });
});
