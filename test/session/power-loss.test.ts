/**
 * Tier 2 of CRASH-SAFETY.md: a workload runs over the recording I/O seam; then, for every point
 * in its operation log, the disks a power loss could leave behind are materialised (unsynced
 * writes lost, applied or torn, directory entries missing, add-buffer tails of zeros or garbage)
 * and the real open() runs on each. Every state must recover exactly one committed version
 * between the last acknowledged and the last started commit.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { type BrokenOrder, withBrokenOrder } from "../../piece-table/broken-orders.js";
import { open } from "../../piece-table/index.js";
import { crashStates, Random, RecordingFiles } from "../helpers/recording-files.js";
import { useTempDirs } from "../helpers/temp-dir.js";
// @ts-expect-error: plain JS fixture shared with the kill tests
import { applyStep, ORIGINAL_TEXT } from "./fixtures/workload.mjs";

const tempDir = useTempDirs();
/** Crash states explored by `npm test`; `npm run test:crash` explores many more. */
const STATE_BUDGET = Number(process.env.GIGAPAD_POWER_LOSS_STATES ?? 1500);
const COMMITS = 12;

async function explore(
  budget: number,
  keepFixtures: boolean,
  /** A deliberately broken order, to prove the exploration catches it. */
  brokenOrder?: BrokenOrder,
): Promise<{
  explored: number;
  operations: number;
  violations: string[];
  compactions: number;
  foldersLost: number;
  foldersCreated: number;
}> {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, ORIGINAL_TEXT);
  // The state folder and its parent do not exist yet: their creation is part of the recording.
  const stateDir = join(dir, "recorded", "state");
  const io = new RecordingFiles();
  const files = brokenOrder ? withBrokenOrder(io, brokenOrder) : io;
  const versions: string[] = [ORIGINAL_TEXT];
  // Small thresholds: the workload takes snapshots and compacts its log into new meta files.
  const sessionTuning = { snapshotAfterOps: 4, compactAfterBytes: 1024 };
  let doc = await open(path, { stateDir, durableFiles: files, sessionTuning });
  for (let k = 1; k <= COMMITS; k++) {
    await applyStep(doc, k);
    io.note(`started ${k}`);
    await doc.commit();
    io.note(`acked ${k}`);
    versions.push(doc.getText());
    if (k === COMMITS / 2) {
      // Halfway, close and reopen: recovery, then commits appended to the recovered session.
      await doc.close();
      doc = await open(path, { stateDir, durableFiles: files, sessionTuning });
    }
  }
  await doc.close();

  const perCut = Math.max(1, Math.floor(budget / (io.log.length + 1)));
  const violations: string[] = [];
  let explored = 0;
  let foldersLost = 0;
  const foldersCreated = io.log.filter((op) => op.type === "mkdir").length;
  const random = new Random(7);
  for (const state of crashStates(io.log, random, perCut)) {
    let acked = 0;
    let started = 0;
    for (const op of io.log.slice(0, state.cut)) {
      if (op.type !== "marker") continue;
      const [word, k] = op.label.split(" ");
      if (word === "acked") acked = Number(k);
      if (word === "started") started = Number(k);
    }
    if (state.description.includes("folder")) foldersLost++;
    const replayDir = join(dir, `state-${explored}`);
    for (const [file, content] of state.files) {
      const target = join(replayDir, relative(stateDir, file));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    const reader = await open(path, { stateDir: replayDir, readOnly: true });
    const text = reader.getText();
    await reader.close();
    const allowed = versions.slice(acked, Math.max(acked, started) + 1);
    if (!allowed.includes(text) && !keepFixtures) {
      violations.push(`cut ${state.cut} (${state.description}): acked ${acked}, started ${started}`);
    } else if (!allowed.includes(text)) {
      // Keep the failing state as a replayable fixture.
      const fixture = join(tmpdir(), `gigapad-crash-fixture-${process.pid}-${explored}`);
      mkdirSync(fixture, { recursive: true });
      for (const [file, content] of state.files) {
        const target = join(fixture, relative(stateDir, file));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      violations.push(
        `cut ${state.cut} (${state.description}): acked ${acked}, started ${started}; kept in ${fixture}`,
      );
    }
    rmSync(replayDir, { recursive: true, force: true });
    explored++;
  }
  const compactions = io.log.filter((op) => op.type === "remove").length;
  return { explored, operations: io.log.length, violations, compactions, foldersLost, foldersCreated };
}

describe("power loss at any point of a recorded workload", () => {
  it("every materialised crash state recovers a committed version (invariants 1-4)", async () => {
    const { explored, operations, violations, compactions, foldersLost, foldersCreated } = await explore(
      STATE_BUDGET,
      true,
    );
    console.log(
      `tier 2: ${explored} crash states explored over ${operations} operations ` +
        `(${compactions} log compactions; ${foldersCreated} folders created, lost in ${foldersLost} states), ` +
        `${violations.length} violations`,
    );
    expect(compactions).toBeGreaterThan(0);
    // The state folder, its parent, sessions/ and the session folder are created in the recording.
    expect(foldersCreated).toBe(4);
    expect(foldersLost).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(explored).toBeGreaterThan(Math.min(STATE_BUDGET, operations) / 2);
  }, 600_000);

  it("catches folders created without syncing their parents (the state folder lost with its sessions)", async () => {
    const { explored, violations } = await explore(300, false, "mkdir-without-sync");
    console.log(`tier 2 (folders not synced): ${violations.length} violations in ${explored} states`);
    expect(violations.length).toBeGreaterThan(0);
  }, 600_000);

  it("catches a deliberately broken commit (slot written before its record and add bytes are synced)", async () => {
    const { explored, violations } = await explore(300, false, "slot-before-record");
    console.log(`tier 2 (broken build): ${violations.length} violations in ${explored} states`);
    expect(violations.length).toBeGreaterThan(0);
  }, 600_000);
});
