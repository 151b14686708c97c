import { EditorState, RangeSet, Text } from "@codemirror/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DocumentWindow } from "../../protocol/messages.js";
import { planSlide } from "../../renderer/slide-plan.js";
import {
  loadWindowEffect,
  placementOf,
  slideWindowEffect,
  WindowState,
  windowField,
  windowLineBytes,
  windowOf,
  windowText,
} from "../../renderer/window-state.js";

interface Line {
  text: string;
  /** Bytes of the break after it: 1 (LF) or 2 (CRLF). */
  breakBytes: number;
}

/** Lines [from, to) of a document as the engine sends a window of them. */
function spanOf(lines: readonly Line[], from: number, to: number): DocumentWindow {
  const all = windowLineBytes({
    start: 0,
    lines: lines.map((line) => line.text),
    breaks: lines.slice(0, -1).map((line) => line.breakBytes),
  });
  const shown = lines.slice(from, to);
  const breaks = shown.slice(0, -1).map((line) => line.breakBytes);
  const texts = shown.map((line) => line.text);
  const start = all[from]!;
  const end = windowLineBytes({ start, lines: texts, breaks }).at(-1)!;
  return {
    version: 1,
    start,
    end,
    firstLine: from,
    lines: texts,
    breaks,
    anchorIndex: 0,
    atStart: from === 0,
    atEnd: to === lines.length,
  };
}

/** An editor state showing window `span` (as a load leaves it). */
function loaded(span: DocumentWindow): EditorState {
  const placement = placementOf(span, 1);
  const { text, marks } = windowText(span.lines, span.breaks, 1);
  const state = EditorState.create({ extensions: [EditorState.lineSeparator.of("\n"), windowField] });
  return state.update({
    changes: { from: 0, insert: Text.of(text.split("\n")) },
    effects: loadWindowEffect.of(new WindowState(placement, marks)),
  }).state;
}

/** The state after sliding `state` to `next` as planned. */
function slid(state: EditorState, next: DocumentWindow) {
  const plan = planSlide(windowOf(state), state.doc, next, 1);
  if (!plan) return null;
  return state.update({
    changes: plan.changes,
    effects: slideWindowEffect.of({ placement: plan.placement, added: plan.added }),
  }).state;
}

const numbered = (count: number, breakBytes = 1): Line[] =>
  Array.from({ length: count }, (_, i) => ({ text: `line ${i}`, breakBytes }));

describe("planning a slide", () => {
  it("adds lines before and drops lines after, keeping the text a window of the document", () => {
    const lines = numbered(20);
    const state = slid(loaded(spanOf(lines, 8, 16)), spanOf(lines, 4, 12))!;
    expect(state.doc.toString()).toBe(
      lines
        .slice(4, 12)
        .map((line) => line.text)
        .join("\n"),
    );
    const docWindow = windowOf(state);
    expect(docWindow.placement.start).toBe(spanOf(lines, 4, 12).start);
    expect(docWindow.absoluteLine(state.doc, 1)).toBe(4);
  });

  it("drops lines before and adds lines after", () => {
    const lines = numbered(20, 2);
    const next = spanOf(lines, 10, 20);
    const state = slid(loaded(spanOf(lines, 5, 15)), next)!;
    expect(state.doc.toString()).toBe(next.lines.join("\n"));
    expect(windowOf(state).endByte(state.doc)).toBe(next.end);
    expect(windowOf(state).placement.atEnd).toBe(true);
  });

  it("gives up (a reload) when the windows do not meet", () => {
    const lines = numbered(30);
    const state = loaded(spanOf(lines, 0, 5));
    expect(planSlide(windowOf(state), state.doc, spanOf(lines, 20, 25), 1)).toBeNull();
  });

  it("gives up when the new window starts inside one of the window's lines", () => {
    const lines = numbered(20);
    const state = loaded(spanOf(lines, 5, 10));
    const next = { ...spanOf(lines, 6, 12), start: spanOf(lines, 6, 12).start + 2 };
    expect(planSlide(windowOf(state), state.doc, next, 1)).toBeNull();
  });

  it("keeps the first line's number when the new window does not know it but starts where the old one did", () => {
    const lines = numbered(20);
    const next = { ...spanOf(lines, 5, 15), firstLine: null };
    const state = slid(loaded(spanOf(lines, 5, 10)), next)!;
    expect(windowOf(state).placement.firstLine).toBe(5);
  });

  it("marks the added breaks that are not the document's newline (segments, CRLF in an LF file)", () => {
    const lines: Line[] = [
      { text: "a", breakBytes: 1 },
      { text: "bb", breakBytes: 0 },
      { text: "cc", breakBytes: 2 },
      { text: "d", breakBytes: 1 },
      { text: "e", breakBytes: 1 },
      { text: "f", breakBytes: 1 },
    ];
    const state = slid(loaded(spanOf(lines, 3, 6)), spanOf(lines, 0, 6))!;
    const docWindow = windowOf(state);
    expect(docWindow.isContinuation(state.doc, 3)).toBe(true);
    expect(docWindow.breakBytesAt(state.doc.line(3).to)).toBe(2);
    expect(docWindow.lineStartByte(state.doc, 4)).toBe(spanOf(lines, 3, 6).start);
  });

  it("maps every line of the slid window to the bytes the engine has (lone CRs are text)", () => {
    const line = fc.record({
      text: fc
        .array(fc.constantFrom("a", "é", "😀", "\udcff", "\r", " "), { maxLength: 5 })
        .map((parts) => parts.join("")),
      breakBytes: fc.constantFrom(1, 2),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 4, maxLength: 60 }),
        fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
        (lines, cuts) => {
          const [a, b, c, d] = cuts.map((cut) => cut % (lines.length + 1)).sort((x, y) => x - y) as [
            number,
            number,
            number,
            number,
          ];
          fc.pre(a < b && c < d);
          // Two windows that overlap: [a, c+1) and [b, d) with b <= c, or the other way round.
          const old = spanOf(lines, a, Math.max(b, c));
          const next = spanOf(lines, b, d);
          fc.pre(b < Math.max(b, c));
          const state = slid(loaded(old), next);
          if (!state) return;
          expect(state.doc.toString()).toBe(next.lines.join("\n"));
          const starts = windowLineBytes(next);
          const docWindow = windowOf(state);
          for (let i = 0; i < next.lines.length; i++) {
            expect(docWindow.lineStartByte(state.doc, i + 1)).toBe(starts[i]);
          }
          expect(docWindow.endByte(state.doc)).toBe(next.end);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("adds no marks when every added break is the document's newline", () => {
    const lines = numbered(12);
    const state = loaded(spanOf(lines, 6, 12));
    const plan = planSlide(windowOf(state), state.doc, spanOf(lines, 0, 12), 1)!;
    expect(plan.added).toEqual(RangeSet.empty);
  });
});
