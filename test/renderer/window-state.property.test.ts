import { EditorState, Text } from "@codemirror/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8ByteLength } from "../../protocol/index.js";
import { loadWindowEffect, WindowState, windowField, windowText } from "../../renderer/window-state.js";

/** Window lines: text with multi-byte and escaped (invalid) bytes, and the break after each. */
const windowLines = fc.array(
  fc.record({
    text: fc
      .array(fc.constantFrom("a", "é", "😀", "\udcff", "\r", " "), { maxLength: 6 })
      .map((parts) => parts.join("")),
    breakBytes: fc.constantFrom(0, 1, 2),
  }),
  { minLength: 1, maxLength: 150 },
);

/** The model: byte offset of each editor position, counted the slow way. */
function modelBytes(lines: { text: string; breakBytes: number }[], start: number): number[] {
  const offsets: number[] = [];
  let byte = start;
  lines.forEach((line, i) => {
    for (let c = 0; c < line.text.length; c++) {
      offsets.push(byte);
      const code = line.text.charCodeAt(c);
      if (code >= 0xd800 && code <= 0xdbff) {
        byte += 4;
        offsets.push(Number.NaN); // inside a surrogate pair: no position of its own
        c++;
      } else {
        byte += utf8ByteLength(line.text, c, c + 1);
      }
    }
    offsets.push(byte);
    if (i < lines.length - 1) byte += line.breakBytes;
  });
  return offsets;
}

function stateFor(lines: { text: string; breakBytes: number }[], start: number, newlineBytes: 1 | 2) {
  const { text, marks } = windowText(
    lines.map((line) => line.text),
    lines.slice(0, -1).map((line) => line.breakBytes),
    newlineBytes,
  );
  const window = new WindowState({ start, firstLine: 10, atStart: false, atEnd: false, newlineBytes }, marks);
  const state = EditorState.create({
    doc: Text.of(text.split("\n")),
    extensions: [EditorState.lineSeparator.of("\n"), windowField],
  });
  return state.update({ effects: loadWindowEffect.of(window) }).state;
}

describe("window positions ↔ file bytes (LF, CRLF and segment breaks, invalid bytes)", () => {
  it("byteAt and posAtByte agree with the model at every position", () => {
    fc.assert(
      fc.property(
        windowLines,
        fc.nat({ max: 1e9 }),
        fc.constantFrom<1 | 2>(1, 2),
        (lines, start, newline) => {
          const state = stateFor(lines, start, newline);
          const window = state.field(windowField);
          const model = modelBytes(lines, start);
          for (let pos = 0; pos <= state.doc.length; pos++) {
            if (Number.isNaN(model[pos]!)) continue;
            expect(window.byteAt(state.doc, pos)).toBe(model[pos]);
            // A byte maps back to a position holding it (the first, where a zero-byte break leaves two).
            const back = window.posAtByte(state.doc, model[pos]!)!;
            expect(back).toBeLessThanOrEqual(pos);
            expect(window.byteAt(state.doc, back)).toBe(model[pos]);
          }
          expect(window.endByte(state.doc)).toBe(model[model.length - 1]);
          expect(window.posAtByte(state.doc, start - 1)).toBeNull();
          // Absolute line numbers skip segment breaks.
          let line = 10;
          for (let n = 1; n <= state.doc.lines; n++) {
            expect(window.absoluteLine(state.doc, n)).toBe(line);
            if (n < lines.length && lines[n - 1]!.breakBytes !== 0) line++;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays exact as the user edits the window (marks move with their line breaks)", () => {
    fc.assert(
      fc.property(
        windowLines,
        fc.array(
          fc.record({
            at: fc.nat(),
            span: fc.nat({ max: 4 }),
            insert: fc.constantFrom("", "x", "\n", "é\n"),
          }),
          {
            maxLength: 12,
          },
        ),
        (lines, edits) => {
          let state = stateFor(lines, 1000, 2);
          // The model: the text, and for each "\n" the bytes it stands for.
          let text = state.doc.toString();
          let breaks: number[] = lines.slice(0, -1).map((line) => line.breakBytes);
          for (const edit of edits) {
            // The editor never splits a surrogate pair: edits start and end between characters.
            const insidePair = (i: number) =>
              i > 0 && /[\ud800-\udbff]/.test(text[i - 1]!) && /[\udc00-\udfff]/.test(text[i] ?? "");
            let from = edit.at % (text.length + 1);
            if (insidePair(from)) from--;
            let to = Math.min(text.length, from + edit.span);
            if (insidePair(to)) to++;
            // Breaks deleted with their "\n" go; inserted ones are the document's newline (2).
            const before = text.slice(0, from).split("\n").length - 1;
            const removed = text.slice(from, to).split("\n").length - 1;
            const added = edit.insert.split("\n").length - 1;
            breaks = [
              ...breaks.slice(0, before),
              ...Array<number>(added).fill(2),
              ...breaks.slice(before + removed),
            ];
            state = state.update({ changes: { from, to, insert: edit.insert } }).state;
            text = text.slice(0, from) + edit.insert + text.slice(to);
          }
          const window = state.field(windowField);
          const modelLines = text.split("\n").map((line, i) => ({ text: line, breakBytes: breaks[i] ?? 0 }));
          const model = modelBytes(modelLines, 1000);
          for (let pos = 0; pos <= state.doc.length; pos++) {
            if (!Number.isNaN(model[pos]!)) expect(window.byteAt(state.doc, pos)).toBe(model[pos]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
