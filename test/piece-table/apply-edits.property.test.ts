import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** Model: apply non-overlapping edits (in the old version's offsets) to a Buffer. */
function applyModel(model: Buffer, edits: { start: number; end: number; text: Buffer }[]): Buffer {
  const sorted = edits
    .map((edit, order) => ({ ...edit, order }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.order - b.order);
  const parts: Buffer[] = [];
  let at = 0;
  for (const edit of sorted) {
    parts.push(model.subarray(at, edit.start), edit.text);
    at = edit.end;
  }
  parts.push(model.subarray(at));
  return Buffer.concat(parts);
}

/** Cut points in [0, length] turned into non-overlapping edits. */
const editSet = (length: number) =>
  fc
    .array(
      fc.record({
        a: fc.nat({ max: length }),
        b: fc.nat({ max: 6 }),
        text: fc.constantFrom("", "x", "yz\n", "\r\n", "é"),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .map((raw) => {
      const edits: { start: number; end: number; text: Buffer }[] = [];
      let floor = 0;
      for (const { a, b, text } of [...raw].sort((x, y) => x.a - y.a)) {
        const start = Math.max(floor, a);
        if (start > length) break;
        const end = Math.min(length, start + b);
        edits.push({ start, end, text: Buffer.from(text) });
        floor = end;
      }
      return edits.reverse(); // any order: the document sorts them
    });

describe("Document.applyEdits against a Buffer model (multi-cursor edits)", () => {
  it("applies edits given in old-version offsets exactly, as one undo step, and lastChangeAt finds it", async () => {
    const initial = Buffer.from("alpha\nbeta\r\ngamma délta\n\nepsilon zeta eta theta\n");
    await fc.assert(
      fc.asyncProperty(fc.array(editSet(initial.length), { minLength: 1, maxLength: 1 }), async ([edits]) => {
        const dir = tempDir();
        const path = join(dir, "doc.txt");
        writeFileSync(path, initial);
        const doc = await open(path, { stateDir: join(dir, "state") });
        try {
          // An edit of its own (replace), so that a single insert right after it does not join
          // it as continued typing would (one edit alone groups with typing, by design).
          doc.replace(0, 0, "HEAD ");
          const before = doc.read();
          const shifted = edits!.map((edit) => ({
            start: edit.start + 5,
            end: edit.end + 5,
            text: edit.text,
          }));
          doc.applyEdits(shifted);
          const expected = applyModel(before, shifted);
          expect(doc.read().equals(expected)).toBe(true);
          if (!expected.equals(before)) {
            const firstChange = [...shifted].filter((e) => e.end > e.start || e.text.length > 0);
            const lowest = Math.min(...firstChange.map((edit) => edit.start));
            expect(doc.lastChangeAt).toBe(lowest);
            // One undo step back to `before` (not into the middle of the edits).
            expect(doc.undo()).toBe(true);
            expect(doc.read().equals(before)).toBe(true);
            const diff = doc.lastChangeAt;
            expect(diff).not.toBeNull();
            expect(before.subarray(0, diff!).equals(expected.subarray(0, diff!))).toBe(true);
            expect(doc.redo()).toBe(true);
            expect(doc.read().equals(expected)).toBe(true);
          }
          // The session replays the same bytes.
          await doc.close();
          const again = await open(path, { stateDir: join(dir, "state") });
          expect(again.read().toString("latin1")).toBe(expected.toString("latin1"));
          await again.discard();
        } finally {
          await doc.close();
        }
      }),
      { numRuns: 60, examples: [[[[{ start: 0, end: 0, text: Buffer.from("x") }]]]] },
    );
  });

  it("refuses overlapping edits and names them", async () => {
    const path = join(tempDir(), "doc.txt");
    writeFileSync(path, "0123456789");
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    expect(() =>
      doc.applyEdits([
        { start: 1, end: 5, text: "" },
        { start: 4, end: 6, text: "x" },
      ]),
    ).toThrow("Edits 1..5 and 4..6 overlap");
    expect(doc.read().toString()).toBe("0123456789");
    await doc.discard();
  });

  it("lastChangeAt points at where undo and redo happened, far into a heavily edited document", async () => {
    const path = join(tempDir(), "doc.txt");
    writeFileSync(path, "x".repeat(100_000));
    const doc = await open(path, { stateDir: join(tempDir(), "state") });
    for (let i = 0; i < 2000; i++) doc.replace(i * 40, i * 40 + 1, "y");
    doc.insert(77_777, "\n");
    expect(doc.lastChangeAt).toBe(77_777);
    doc.undo();
    expect(doc.lastChangeAt).toBe(77_777);
    doc.undo();
    expect(doc.lastChangeAt).toBe(1999 * 40);
    doc.redo();
    expect(doc.lastChangeAt).toBe(1999 * 40);
    await doc.discard();
  });
});
