/**
 * What CodeMirror holds: a window of the document, not the document. This module keeps, in the
 * editor state, where the window sits in the file (its first byte and first line) and what each
 * line break in it stands for in bytes, and maps editor positions to file bytes and back.
 *
 * A line break in the editor is one character ("\n"), but in the file it is an LF (1 byte), a
 * CRLF (2 bytes) or nothing at all: the boundary between two segments of a line too long to show
 * whole. Breaks worth the document's own newline are implied; every other one carries a
 * BreakMark at the position of its "\n". Marks map through edits and disappear with their "\n".
 *
 * Invariant: byteAt(pos) = start + UTF-8 bytes of the text before pos, where each "\n" counts
 * its break's bytes and each escaped byte (U+DC80..U+DCFF alone) counts one.
 */
import {
  type EditorState,
  MapMode,
  RangeSet,
  RangeValue,
  StateEffect,
  StateField,
  type Text,
} from "@codemirror/state";
import type { DocumentWindow } from "../protocol/messages.js";
import { byteLength, indexAtByte } from "./text-bytes.js";

/** Where the window sits in the document. */
export interface WindowPlacement {
  /** Byte offset of editor position 0. */
  start: number;
  /** Absolute 0-based line of the editor's first line, or null while unknown (indexing). */
  firstLine: number | null;
  atStart: boolean;
  atEnd: boolean;
  /** Bytes of a line break typed in the editor: 1 (LF) or 2 (CRLF). */
  newlineBytes: 1 | 2;
}

/** The placement of window `span` as the engine sent it, in a document of the given newline. */
export function placementOf(
  span: Pick<DocumentWindow, "start" | "firstLine" | "atStart" | "atEnd">,
  newlineBytes: 1 | 2,
): WindowPlacement {
  return {
    start: span.start,
    firstLine: span.firstLine,
    atStart: span.atStart,
    atEnd: span.atEnd,
    newlineBytes,
  };
}

/** A line break that is not the document's own newline: 0 (segment boundary), 1 (LF) or 2 (CRLF). */
export class BreakMark extends RangeValue {
  constructor(readonly bytes: number) {
    super();
  }
  override eq(other: RangeValue): boolean {
    return other instanceof BreakMark && other.bytes === this.bytes;
  }
}
// Sits before its "\n": text typed at the end of the line pushes it along (startSide > 0), and it
// goes away when the "\n" after it is deleted (TrackAfter).
BreakMark.prototype.point = true;
BreakMark.prototype.startSide = 1;
BreakMark.prototype.endSide = 1;
BreakMark.prototype.mapMode = MapMode.TrackAfter;

const marksOf: Record<number, BreakMark> = { 0: new BreakMark(0), 1: new BreakMark(1), 2: new BreakMark(2) };

/** Lines between cached byte offsets. */
const CHECKPOINT_LINES = 64;

interface Checkpoint {
  /** Editor position of the start of line (index * CHECKPOINT_LINES + 1). */
  pos: number;
  /** Byte offset in the document of that position. */
  byte: number;
}

/** The window's placement and marks, with caches for the byte mapping (valid for one doc). */
export class WindowState {
  /** checkpoints[i]: start of editor line i * CHECKPOINT_LINES + 1; a prefix is computed. */
  private checkpoints: Checkpoint[];
  private segmentStarts: number[] | null = null;

  constructor(
    readonly placement: WindowPlacement,
    readonly marks: RangeSet<BreakMark>,
    checkpoints: Checkpoint[] = [],
  ) {
    this.checkpoints = checkpoints;
  }

  /** Bytes the line break at the end of the line ending at `lineEnd` stands for. */
  breakBytesAt(lineEnd: number): number {
    let bytes = this.placement.newlineBytes as number;
    this.marks.between(lineEnd, lineEnd, (from, _to, mark) => {
      if (from === lineEnd) bytes = mark.bytes;
    });
    return bytes;
  }

  /** Ensures checkpoints up to index `k` (or the end of the doc) exist. */
  private fill(doc: Text, k: number): void {
    const points = this.checkpoints;
    if (points.length === 0) points.push({ pos: 0, byte: this.placement.start });
    const lastIndex = Math.floor((doc.lines - 1) / CHECKPOINT_LINES);
    const target = Math.min(k, lastIndex);
    if (points.length > target) return;
    let { pos, byte } = points[points.length - 1]!;
    let lineNumber = (points.length - 1) * CHECKPOINT_LINES + 1;
    const cursor = this.marks.iter(pos);
    while (points.length <= target) {
      const line = doc.line(lineNumber);
      byte += byteLength(line.text);
      if (lineNumber < doc.lines) {
        while (cursor.value && cursor.from < line.to) cursor.next();
        byte += cursor.value && cursor.from === line.to ? cursor.value.bytes : this.placement.newlineBytes;
      }
      pos = line.to + 1;
      lineNumber++;
      if ((lineNumber - 1) % CHECKPOINT_LINES === 0) points.push({ pos, byte });
    }
  }

  /** Byte offset of the start of editor line `number` (1-based). */
  lineStartByte(doc: Text, number: number): number {
    const k = Math.floor((number - 1) / CHECKPOINT_LINES);
    this.fill(doc, k);
    const point = this.checkpoints[k]!;
    let byte = point.byte;
    let lineNumber = k * CHECKPOINT_LINES + 1;
    const cursor = this.marks.iter(point.pos);
    while (lineNumber < number) {
      const line = doc.line(lineNumber);
      while (cursor.value && cursor.from < line.to) cursor.next();
      byte +=
        byteLength(line.text) +
        (cursor.value && cursor.from === line.to ? cursor.value.bytes : this.placement.newlineBytes);
      lineNumber++;
    }
    return byte;
  }

  /** Byte offset in the document of editor position `pos`. */
  byteAt(doc: Text, pos: number): number {
    const line = doc.lineAt(pos);
    return this.lineStartByte(doc, line.number) + byteLength(line.text, 0, pos - line.from);
  }

  /** Byte offset where the window's text ends. */
  endByte(doc: Text): number {
    return this.byteAt(doc, doc.length);
  }

  /**
   * Editor position of document byte `byte`, or null outside the window. A byte inside a CRLF
   * (between its CR and LF) maps to the line's end; one inside a UTF-8 sequence to the next char.
   */
  posAtByte(doc: Text, byte: number): number | null {
    if (byte < this.placement.start) return null;
    // Find the last line starting at or before `byte`: checkpoints first, then lines.
    let low = 0;
    this.fill(doc, 0);
    while (this.checkpoints[this.checkpoints.length - 1]!.byte <= byte) {
      const before = this.checkpoints.length;
      this.fill(doc, before);
      if (this.checkpoints.length === before) break;
    }
    let high = this.checkpoints.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.checkpoints[middle]!.byte <= byte) low = middle;
      else high = middle - 1;
    }
    let lineNumber = low * CHECKPOINT_LINES + 1;
    let lineByte = this.checkpoints[low]!.byte;
    const cursor = this.marks.iter(this.checkpoints[low]!.pos);
    for (;;) {
      const line = doc.line(lineNumber);
      const contentBytes = byteLength(line.text);
      if (byte <= lineByte + contentBytes) {
        return line.from + indexAtByte(line.text, byte - lineByte);
      }
      if (lineNumber === doc.lines) return null;
      while (cursor.value && cursor.from < line.to) cursor.next();
      const breakBytes =
        cursor.value && cursor.from === line.to ? cursor.value.bytes : this.placement.newlineBytes;
      if (byte < lineByte + contentBytes + breakBytes) return line.to;
      lineByte += contentBytes + breakBytes;
      lineNumber++;
    }
  }

  /** Positions of segment boundaries ("\n" that stand for no byte), sorted. */
  private segments(): number[] {
    if (!this.segmentStarts) {
      const found: number[] = [];
      for (const cursor = this.marks.iter(); cursor.value; cursor.next()) {
        if (cursor.value.bytes === 0) found.push(cursor.from);
      }
      this.segmentStarts = found;
    }
    return this.segmentStarts;
  }

  /** Whether editor line `number` continues the line before it (a segment of a long line). */
  isContinuation(doc: Text, number: number): boolean {
    if (number <= 1) return false;
    return this.breakBytesAt(doc.line(number - 1).to) === 0;
  }

  /** Absolute 0-based line of editor line `number`, or null while unknown. */
  absoluteLine(doc: Text, number: number): number | null {
    const first = this.placement.firstLine;
    if (first === null) return null;
    const lineStart = doc.line(number).from;
    const segments = this.segments();
    // Segment breaks before this line do not start new document lines.
    let low = 0;
    let high = segments.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (segments[middle]! < lineStart) low = middle + 1;
      else high = middle;
    }
    return first + (number - 1) - low;
  }

  /** The same window after a change of the editor's text (caches before the change are kept). */
  mapped(marks: RangeSet<BreakMark>, firstChange: number): WindowState {
    const kept = this.checkpoints.filter((point) => point.pos <= firstChange);
    return new WindowState(this.placement, marks, kept);
  }
}

/** Replaces the window (placement and marks given for the new text). */
export const loadWindowEffect = StateEffect.define<WindowState>();
/** After a slide: new placement; marks of the added text (in the new document's positions). */
export const slideWindowEffect = StateEffect.define<{
  placement: WindowPlacement;
  added: RangeSet<BreakMark>;
}>();
/** The first line's absolute number became known (the index finished). */
export const setFirstLineEffect = StateEffect.define<number | null>();

const initialPlacement: WindowPlacement = {
  start: 0,
  firstLine: 0,
  atStart: true,
  atEnd: true,
  newlineBytes: 1,
};

export const windowField = StateField.define<WindowState>({
  create: () => new WindowState(initialPlacement, RangeSet.empty),
  update(value, tr) {
    let state = value;
    if (tr.docChanged) {
      let firstChange = Number.POSITIVE_INFINITY;
      tr.changes.iterChangedRanges((fromA) => {
        firstChange = Math.min(firstChange, fromA);
      });
      state = value.mapped(value.marks.map(tr.changes), firstChange);
    }
    for (const effect of tr.effects) {
      if (effect.is(loadWindowEffect)) state = effect.value;
      else if (effect.is(slideWindowEffect)) {
        const added = effect.value.added;
        const marks = state.marks.update({ add: rangesOf(added) });
        state = new WindowState(effect.value.placement, marks);
      } else if (effect.is(setFirstLineEffect)) {
        state = new WindowState({ ...state.placement, firstLine: effect.value }, state.marks);
      }
    }
    return state;
  },
});

function rangesOf(set: RangeSet<BreakMark>) {
  const ranges = [];
  for (const cursor = set.iter(); cursor.value; cursor.next()) ranges.push(cursor.value.range(cursor.from));
  return ranges;
}

/** The window state of an editor state. */
export function windowOf(state: EditorState): WindowState {
  return state.field(windowField);
}

/** Text and break marks for window lines: "\n"-joined, marks at non-default breaks. */
export function windowText(
  lines: readonly string[],
  breaks: readonly number[],
  newlineBytes: number,
  offset = 0,
): { text: string; marks: RangeSet<BreakMark> } {
  const builder: ReturnType<typeof BreakMark.prototype.range>[] = [];
  let pos = offset;
  for (let i = 0; i < lines.length; i++) {
    pos += lines[i]!.length;
    if (i < breaks.length) {
      if (breaks[i] !== newlineBytes) builder.push(marksOf[breaks[i]!]!.range(pos));
      pos += 1;
    }
  }
  return { text: lines.join("\n"), marks: RangeSet.of(builder) };
}

/** Byte offset of the start of each window line, and of the end of the window. */
export function windowLineBytes(span: Pick<DocumentWindow, "start" | "lines" | "breaks">): number[] {
  const starts = [span.start];
  let byte = span.start;
  for (let i = 0; i < span.lines.length; i++) {
    byte += byteLength(span.lines[i]!);
    if (i < span.breaks.length) byte += span.breaks[i]!;
    starts.push(byte);
  }
  return starts;
}

/** A mark for a break of `bytes` at `pos` (for tests and slides). */
export function breakMark(bytes: number, pos: number) {
  return marksOf[bytes]!.range(pos);
}

/**
 * The gutter's label of editor line `number`: its document line number (1-based), "⋯" for a
 * segment that continues a long line, "·" while the line is unknown (indexing). Past the window's
 * last line (CodeMirror sizes the gutter with such a number, 99…9) it is the document's last line
 * number, so the gutter keeps its width wherever the window is.
 */
export function gutterLabel(
  docWindow: WindowState,
  doc: Text,
  number: number,
  lastLine: number | null,
): string {
  if (number > doc.lines) {
    return String(Math.max(lastLine ?? 0, (docWindow.placement.firstLine ?? 0) + doc.lines));
  }
  if (docWindow.isContinuation(doc, number)) return "⋯";
  const line = docWindow.absoluteLine(doc, number);
  return line === null ? "·" : String(line + 1);
}

/** Editor position of `byte`, or the window's nearer edge when the window does not hold it. */
export function clampToWindow(docWindow: WindowState, doc: Text, byte: number): number {
  return docWindow.posAtByte(doc, byte) ?? (byte < docWindow.placement.start ? 0 : doc.length);
}
