/**
 * Tier 2 for save: a save runs over the recording I/O seam; every disk a power cut could leave
 * (temp writes lost, applied or torn; the rename's directory entry lost until the folder is
 * synced) must hold the whole old or the whole new file at the target (invariant 6), and the new
 * one once save() has returned.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { crashStates, Random, RecordingFiles } from "../helpers/recording-files.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const BUDGET = Number(process.env.GIGAPAD_POWER_LOSS_STATES ?? 1500);

async function explore(): Promise<{ explored: number; violations: string[] }> {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  const before = Buffer.from("a line that will be edited\n".repeat(400));
  writeFileSync(path, before);
  const io = new RecordingFiles();
  const doc = await open(path, { stateDir: join(dir, "state"), durableFiles: io });
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

describe("power loss during save", () => {
  it("leaves the whole old or the whole new file at every crash state", async () => {
    const { explored, violations } = await explore();
    console.log(`save tier 2: ${explored} crash states, ${violations.length} violations`);
    expect(violations).toEqual([]);
    expect(explored).toBeGreaterThan(50);
  });

  it("catches a save that renames before syncing the temp file", async () => {
    process.env.GIGAPAD_TEST_BREAK = "rename-before-sync";
    try {
      const { explored, violations } = await explore();
      console.log(`save tier 2 (broken build): ${violations.length} violations in ${explored} states`);
      expect(violations.length).toBeGreaterThan(0);
    } finally {
      delete process.env.GIGAPAD_TEST_BREAK;
    }
  });
});
