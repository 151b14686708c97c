import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { checkTree, countPieces } from "../../piece-table/piece-tree.js";
import { applyDelete, applyInsert, lineStarts, linesOf } from "../helpers/buffer-model.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

/** Text that stresses lines and encodings: CRLF seams, lone CR, multi-byte UTF-8, NUL, invalid bytes. */
const fragment = fc.oneof(
  fc.constantFrom("a", "bc", "\n", "\r\n", "\r", "é", "😀", "\u0000", "line\n", "x\r", "\nq"),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => Buffer.from(bytes)),
);
const insertText = fc
  .array(fragment, { minLength: 1, maxLength: 4 })
  .map((parts) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part))));

type Operation =
  | { kind: "insert"; at: number; bytes: Buffer }
  | { kind: "delete"; at: number; span: number }
  | { kind: "replace"; at: number; span: number; bytes: Buffer }
  | { kind: "undo" }
  | { kind: "redo" };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: insertText }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), span: fc.nat({ max: 40 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("replace" as const),
      at: fc.nat(),
      span: fc.nat({ max: 20 }),
      bytes: insertText,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "undo" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "redo" as const }) },
);

/** Edges the operations should hit often: 0, the end, and what a generated offset maps to. */
function position(at: number, length: number): number {
  if (at % 7 === 0) return 0;
  if (at % 7 === 1) return length;
  return at % (length + 1);
}

function originalText(seed: Uint8Array): Buffer {
  return Buffer.from(seed);
}

describe("Document against a Buffer model", () => {
  it("random edits, undo and redo keep bytes, lines and offsets exact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(Buffer.alloc(0)),
          insertText,
          fc.array(insertText, { maxLength: 60 }).map((parts) => Buffer.concat(parts)),
        ),
        fc.array(operation, { minLength: 1, maxLength: 120 }),
        async (initial, operations) => {
          const path = join(tempDir(), "doc.txt");
          writeFileSync(path, originalText(initial));
          const doc = await open(path, { stateDir: join(tempDir(), "state") });
          try {
            let model: Buffer = Buffer.from(initial);
            // Model of undo/redo: the states an undo may return to.
            const history: Buffer[] = [model];
            const undone: Buffer[] = [];
            // The newest state: what redoing everything returns to.
            let newest: Buffer = model;
            for (const op of operations) {
              if (op.kind === "insert") {
                const at = position(op.at, model.length);
                doc.insert(at, op.bytes);
                model = applyInsert(model, at, op.bytes);
              } else if (op.kind === "delete" || op.kind === "replace") {
                const start = position(op.at, model.length);
                const end = Math.min(model.length, start + op.span);
                if (op.kind === "delete") {
                  // Deleting nothing is no edit: it leaves undo and redo alone.
                  if (start === end) continue;
                  doc.delete(start, end);
                  model = applyDelete(model, start, end);
                } else {
                  doc.replace(start, end, op.bytes);
                  model = applyInsert(applyDelete(model, start, end), start, op.bytes);
                }
              } else if (op.kind === "undo") {
                if (doc.undo()) {
                  undone.push(model);
                  model = doc.read();
                  // Grouped typing may skip states, but never lands anywhere new.
                  expect(history.some((state) => state.equals(model))).toBe(true);
                }
                continue;
              } else {
                if (doc.redo()) {
                  model = doc.read();
                  expect(undone.some((state) => state.equals(model))).toBe(true);
                }
                continue;
              }
              history.push(model);
              undone.length = 0;
              newest = model;
              expect(doc.length).toBe(model.length);
            }
            expect(doc.read().equals(model)).toBe(true);
            checkDocumentLines(doc, model);
            checkTree(doc.snapshot().root);
            // Undo all the way back reaches the original.
            while (doc.undo()) {}
            expect(doc.read().equals(initial)).toBe(true);
            while (doc.redo()) {}
            expect(doc.read().equals(newest)).toBe(true);
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("stays exact over a multi-chunk original before and after its line index is built", async () => {
    // 3 MiB of lines: larger than what is counted on the spot, so pieces start with unknown counts.
    const lines: string[] = [];
    let seed = 11;
    let size = 0;
    while (size < 3 * 1024 * 1024) {
      seed = (seed * 16807) % 2147483647;
      const line = `${seed.toString(36).repeat(1 + (seed % 7))}${seed % 5 === 0 ? "\r" : ""}`;
      lines.push(line);
      size += line.length + 1;
    }
    const initial = Buffer.from(lines.join("\n"));
    for (const waitForIndex of [false, true]) {
      const path = join(tempDir(), "big.txt");
      writeFileSync(path, initial);
      const doc = await open(path, { stateDir: join(tempDir(), "state") });
      if (waitForIndex) await doc.whenIndexed();
      let model: Buffer = Buffer.from(initial);
      let random = 5;
      const next = (bound: number) => {
        random = (random * 48271) % 2147483647;
        return random % bound;
      };
      // Line queries first, before any count is known, from the start and from the far end.
      const starts = lineStarts(model);
      expect(doc.lineStart(3)).toBe(starts[3]);
      expect(doc.lineAt(model.length - 1)).toBe(starts.length - 1);
      for (let step = 0; step < 300; step++) {
        const at = next(model.length + 1);
        if (next(3) === 0) {
          const end = Math.min(model.length, at + next(5000));
          doc.delete(at, end);
          model = applyDelete(model, at, end);
        } else {
          const text = Buffer.from(["x", "\n", "\r\n", "é\n"][next(4)]!.repeat(1 + next(3)));
          doc.insert(at, text);
          model = applyInsert(model, at, text);
        }
        if (step % 50 === 0) {
          const modelStarts = lineStarts(model);
          const line = next(modelStarts.length);
          expect(doc.lineStart(line)).toBe(modelStarts[line]);
          const offset = next(model.length + 1);
          expect(doc.lineAt(offset)).toBe(countBefore(modelStarts, offset));
        }
      }
      expect(doc.read().equals(model)).toBe(true);
      checkDocumentLines(doc, model);
      expect(countPieces(doc.snapshot().root)).toBeGreaterThan(100);
      checkTree(doc.snapshot().root);
      await doc.close();
    }
  });
});

/** Lines before offset: the number of line starts at or before it, minus one. */
function countBefore(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

function checkDocumentLines(doc: Awaited<ReturnType<typeof open>>, model: Buffer): void {
  const starts = lineStarts(model);
  const lines = linesOf(model);
  expect(doc.lineCount()).toBe(starts.length);
  for (let line = 0; line < starts.length; line++) {
    expect(doc.lineStart(line)).toBe(starts[line]);
    if (starts.length < 2000 || line % 97 === 0) expect(doc.getLine(line)).toBe(lines[line]);
  }
  expect(() => doc.lineStart(starts.length)).toThrow(RangeError);
  // lineAt is the inverse of lineStart at every line start and at every line's last byte.
  for (let line = 0; line < starts.length; line += Math.max(1, Math.floor(starts.length / 500))) {
    expect(doc.lineAt(starts[line]!)).toBe(line);
    if (line + 1 < starts.length) expect(doc.lineAt(starts[line + 1]! - 1)).toBe(line);
  }
  expect(doc.lineAt(model.length)).toBe(starts.length - 1);
}
