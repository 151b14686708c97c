/** Read-only refusals carry EREADONLY, as the protocol says (not EINTERNAL). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toProtocolError } from "../../host/host-error.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("a read-only document", () => {
  it("refuses edits, undo, replaceAll and save with EREADONLY, which a UI is told as such", async () => {
    const dir = tempDir();
    const path = join(dir, "doc.txt");
    writeFileSync(path, "abc abc\n");
    const doc = await open(path, { readOnly: true, stateDir: join(dir, "state") });
    expect(doc.canSave).toBe(false);
    const refusals: unknown[] = [];
    for (const attempt of [
      () => doc.insert(0, "x"),
      () => doc.delete(0, 1),
      () => doc.replace(0, 1, "y"),
      () => doc.undo(),
      () => doc.applyEdits([{ start: 0, end: 0, text: "z" }]),
    ]) {
      try {
        attempt();
      } catch (error) {
        refusals.push(error);
      }
    }
    for (const attempt of [
      () => doc.replaceAll("abc", "x"),
      () => doc.save(),
      () => doc.saveAs(join(dir, "o")),
    ]) {
      await attempt().catch((error: unknown) => refusals.push(error));
    }
    expect(refusals).toHaveLength(8);
    for (const error of refusals) {
      expect(error).toMatchObject({ code: "EREADONLY", message: expect.stringContaining("read-only") });
      expect(toProtocolError(error).code).toBe("EREADONLY");
    }
    expect(doc.getText()).toBe("abc abc\n");
    await doc.close();
  });
});
