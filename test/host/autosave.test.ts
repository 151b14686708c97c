import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Autosave, type SafetyState } from "../../host/autosave.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

async function editedDocument() {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, "text\n");
  return { doc: await open(path, { stateDir: join(dir, "state") }), path, stateDir: join(dir, "state") };
}

afterEach(() => vi.useRealTimers());

describe("Autosave", () => {
  it("commits once typing pauses, and says when all edits are safe", async () => {
    vi.useFakeTimers();
    const { doc, path, stateDir } = await editedDocument();
    const autosave = new Autosave(doc, { quietMs: 300, maxDelayMs: 2000 });
    const states: SafetyState[] = [];
    autosave.on("state", (state) => states.push(state));
    doc.insert(0, "a");
    vi.advanceTimersByTime(200);
    doc.insert(1, "b");
    expect(doc.allEditsSafe).toBe(false);
    await vi.advanceTimersByTimeAsync(299);
    expect(doc.allEditsSafe).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(doc.allEditsSafe).toBe(true);
    expect(states).toEqual(["unsaved edits", "committing", "all edits safe"]);
    // Committed for real: a reader sees it.
    const reader = await open(path, { stateDir, readOnly: true });
    expect(reader.getText()).toBe("abtext\n");
    await reader.close();
    await autosave.stop();
    await doc.close();
  });

  it("commits during steady typing at the latest after maxDelayMs", async () => {
    vi.useFakeTimers();
    const { doc } = await editedDocument();
    const autosave = new Autosave(doc, { quietMs: 300, maxDelayMs: 1000 });
    const safeAt: number[] = [];
    autosave.on("state", (state) => {
      if (state === "all edits safe") safeAt.push(Date.now());
    });
    const start = Date.now();
    // A keystroke every 100 ms for 1.5 s: never quiet for 300 ms.
    for (let i = 0; i < 15; i++) {
      doc.insert(0, "x");
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(safeAt.length).toBeGreaterThan(0);
    expect(safeAt[0]! - start).toBeLessThanOrEqual(1000);
    await autosave.stop();
    await doc.close();
  });
});
