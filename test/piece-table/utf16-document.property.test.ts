/**
 * A UTF-16 document (LE and BE) against a naive model: random whole-unit edits of text full of
 * characters with 0x0A bytes inside (上 is 0A 4E in UTF-16LE, 䠀… 00 0A-ish in BE), CRLF, lone
 * surrogates and a lone last byte, with undo and redo; lines, offsets, text, literal and regex
 * find, replaceAll and save held to the model, which counts line feeds as units at even offsets.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Document, open } from "../../piece-table/index.js";
import { checkTree } from "../../piece-table/piece-tree.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

type Order = "utf-16le" | "utf-16be";

function encode(text: string, order: Order): Buffer {
  const bytes = Buffer.from(text, "utf16le");
  return order === "utf-16be" ? bytes.swap16() : bytes;
}

/** Units of the model, as numbers (a lone last byte is left out). */
function unitsOf(bytes: Buffer, order: Order): number[] {
  const units: number[] = [];
  for (let p = 0; p + 2 <= bytes.length; p += 2) {
    units.push(order === "utf-16le" ? bytes[p]! | (bytes[p + 1]! << 8) : (bytes[p]! << 8) | bytes[p + 1]!);
  }
  return units;
}

/** Where each line starts: 0, and 2 bytes after every LF unit. */
function modelLineStarts(bytes: Buffer, order: Order): number[] {
  const starts = [0];
  unitsOf(bytes, order).forEach((unit, i) => {
    if (unit === 10) starts.push(2 * i + 2);
  });
  return starts;
}

/** The model's text: its units as a string (a BOM at the start dropped, a lone last byte as U+FFFD). */
function modelText(bytes: Buffer, order: Order, from = 0): string {
  let text = String.fromCharCode(...unitsOf(bytes, order));
  if (from === 0 && text.startsWith("\ufeff")) text = text.slice(1);
  return bytes.length % 2 === 1 ? `${text}\ufffd` : text;
}

/** Text whose UTF-16 bytes hold 0x0A and 0x0D where they are no line feed or CR. */
const fragment = fc.constantFrom(
  "a",
  "上",
  "\n",
  "\r\n",
  "\r",
  "਀",
  "ഀ",
  "😀",
  "\ud800",
  "東京\n",
  "line\n",
  "\u0a0a",
  "\u0d0a",
);
const text = fc.array(fragment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(""));

type Operation =
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; span: number }
  | { kind: "replace"; at: number; span: number; text: string }
  | { kind: "edits"; at: number; text: string }
  | { kind: "undo" }
  | { kind: "redo" };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), span: fc.nat({ max: 20 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("replace" as const),
      at: fc.nat(),
      span: fc.nat({ max: 10 }),
      text,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("edits" as const), at: fc.nat(), text }) },
  { weight: 1, arbitrary: fc.constant({ kind: "undo" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "redo" as const }) },
);

/** An even offset in [0, length] (the end too when it is even), edges often. */
function unitOffset(at: number, length: number): number {
  const units = Math.floor(length / 2);
  if (at % 7 === 0) return 0;
  if (at % 7 === 1) return 2 * units;
  return 2 * (at % (units + 1));
}

function splice(bytes: Buffer, start: number, end: number, inserted: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, start), inserted, bytes.subarray(end)]);
}

function checkLines(doc: Document, model: Buffer, order: Order, probe: number): void {
  const starts = modelLineStarts(model, order);
  expect(doc.lineCount()).toBe(starts.length);
  for (const line of [0, starts.length - 1, probe % starts.length]) {
    expect(doc.lineStart(line)).toBe(starts[line]);
    const end = line + 1 < starts.length ? starts[line + 1]! - 2 : model.length;
    let lineBytes = model.subarray(starts[line]!, end);
    const cr = order === "utf-16le" ? [13, 0] : [0, 13];
    const lineEnded = line + 1 < starts.length;
    if (lineEnded && lineBytes.length >= 2 && lineBytes.at(-2) === cr[0] && lineBytes.at(-1) === cr[1]) {
      lineBytes = lineBytes.subarray(0, -2);
    }
    expect(doc.getLine(line)).toBe(modelText(lineBytes, order, starts[line]!));
  }
  for (const offset of [0, model.length, probe % (model.length + 1), (probe * 7 + 1) % (model.length + 1)]) {
    // Lines are the line feeds wholly before the offset: one ending at offset + 1 is not yet.
    const expected = starts.filter((start) => start <= offset).length - 1;
    expect(doc.lineAt(offset)).toBe(expected);
  }
}

describe.each(["utf-16le", "utf-16be"] as const)("a %s document against a unit model", (order) => {
  it("random whole-unit edits, undo and redo keep bytes, lines, text, finds and the saved file exact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { maxLength: 30 }).map((parts) => parts.join("")),
        fc.boolean(),
        fc.boolean(),
        fc.array(operation, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        async (initialText, withBom, loneByte, operations, probe) => {
          const dir = tempDir();
          const path = join(dir, "doc.txt");
          const initial = Buffer.concat([
            withBom ? encode("\ufeff", order) : Buffer.alloc(0),
            encode(initialText, order),
            loneByte ? Buffer.from([0x0a]) : Buffer.alloc(0),
          ]);
          writeFileSync(path, initial);
          // A BOM'd file is UTF-16 by itself; one without names its encoding.
          const doc = await open(path, {
            stateDir: join(dir, "state"),
            ...(withBom ? {} : { encoding: order }),
          });
          try {
            expect(doc.encoding).toBe(order);
            let model: Buffer = Buffer.from(initial);
            const history: Buffer[] = [model];
            const undone: Buffer[] = [];
            for (const op of operations) {
              if (op.kind === "undo" || op.kind === "redo") {
                if (op.kind === "undo" ? doc.undo() : doc.redo()) {
                  if (op.kind === "undo") undone.push(model);
                  model = doc.read();
                  expect((op.kind === "undo" ? history : undone).some((state) => state.equals(model))).toBe(
                    true,
                  );
                }
                continue;
              }
              const start = unitOffset(op.at, model.length);
              if (op.kind === "insert") {
                doc.insert(start, op.text);
                model = splice(model, start, start, encode(op.text, order));
              } else if (op.kind === "edits") {
                // Two edits at once: an insert here and the last unit (or lone byte) replaced.
                const lastStart = model.length - (model.length % 2 === 1 ? 1 : 2);
                if (lastStart < start + 2) continue;
                doc.applyEdits([
                  { start, end: start, text: op.text },
                  { start: lastStart, end: model.length, text: "\r\n" },
                ]);
                model = splice(
                  splice(model, lastStart, model.length, encode("\r\n", order)),
                  start,
                  start,
                  encode(op.text, order),
                );
              } else {
                // A span reaching the end takes a lone last byte with it.
                let end = Math.min(2 * Math.floor(model.length / 2), start + 2 * op.span);
                if (end === 2 * Math.floor(model.length / 2)) end = model.length;
                if (op.kind === "delete") {
                  if (start === end) continue;
                  doc.delete(start, end);
                  model = splice(model, start, end, Buffer.alloc(0));
                } else {
                  doc.replace(start, end, op.text);
                  model = splice(model, start, end, encode(op.text, order));
                }
              }
              history.push(model);
              undone.length = 0;
              expect(doc.length).toBe(model.length);
            }
            expect(doc.read().equals(model)).toBe(true);
            expect(doc.getText()).toBe(modelText(model, order));
            checkLines(doc, model, order, probe);
            checkTree(doc.snapshot().root);
            // Find: a literal as UTF-16 units at even offsets only (上 also shows at odd ones).
            const units = modelText(model, order, 1);
            for (const needle of ["上", "\n", "a\r"]) {
              const expected: number[] = [];
              for (let i = units.indexOf(needle); i >= 0; i = units.indexOf(needle, i + needle.length)) {
                expected.push(2 * i);
              }
              const found: number[] = [];
              for await (const match of doc.find(needle)) found.push(match.start);
              expect(found).toEqual(expected);
            }
            // Regex: decoded as units, offsets twice the unit indexes.
            const regex = /[上東]+\r?$/gmu;
            const regexExpected = [...units.matchAll(regex)].map((m) => [
              2 * m.index,
              2 * (m.index + m[0].length),
            ]);
            const regexFound: number[][] = [];
            for await (const match of doc.find(regex)) regexFound.push([match.start, match.end]);
            // A lone last byte is U+FFFD in the model's string: not a match either way.
            expect(regexFound).toEqual(regexExpected);
            // replaceAll (literal and regex with $&), then save: the file is the model exactly.
            const replacedCount = await doc.replaceAll("上", "下\n");
            expect(replacedCount).toBe(
              (() => {
                let count = 0;
                for (let i = units.indexOf("上"); i >= 0; i = units.indexOf("上", i + 1)) count++;
                return count;
              })(),
            );
            await doc.replaceAll(/京/gu, "[$&]");
            const replaced = modelFromReplacements(model, order);
            expect(doc.read().toString("hex")).toBe(replaced.toString("hex"));
            checkLines(doc, replaced, order, probe + 1);
            await doc.save();
            expect(readFileSync(path).equals(replaced)).toBe(true);
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** The model after replaceAll("上", "下\n") then replaceAll(/京/g, "[$&]"), on its units. */
function modelFromReplacements(model: Buffer, order: Order): Buffer {
  const lone = model.length % 2 === 1 ? model.subarray(model.length - 1) : Buffer.alloc(0);
  const text = String.fromCharCode(...unitsOf(model, order))
    .replaceAll("上", "下\n")
    .replaceAll("京", "[京]");
  return Buffer.concat([encode(text, order), lone]);
}
