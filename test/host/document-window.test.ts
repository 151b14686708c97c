import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cutWindow, SEGMENT_BYTES, windowLineStart } from "../../host/document-window.js";
import { open } from "../../piece-table/index.js";
import { encodeEscaped } from "../../protocol/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const S = SEGMENT_BYTES;

/**
 * The model: window line starts by walking the bytes from the start with the rule in words —
 * a line is cut at a multiple of S (moved past continuation bytes and a CR before LF) once it has
 * run at least S bytes since its LF.
 */
function modelStarts(bytes: Buffer): number[] {
  const starts = [0];
  let lineStart = 0;
  let at = 0;
  while (at < bytes.length) {
    const lf = bytes.indexOf(10, at);
    const lineEnd = lf < 0 ? bytes.length : lf;
    // Cuts inside [at, lineEnd): multiples k*S with k*S - lineStart >= S.
    for (let k = Math.ceil((lineStart + S) / S); k * S < lineEnd; k++) {
      let b = k * S;
      while (b < bytes.length && b - k * S < 3 && (bytes[b]! & 0xc0) === 0x80) b++;
      if (bytes[b] === 13 && bytes[b + 1] === 10) b++;
      if (b < lineEnd && b > starts[starts.length - 1]!) starts.push(b);
    }
    if (lf < 0) break;
    lineStart = lf + 1;
    at = lf + 1;
    starts.push(lineStart);
  }
  return starts;
}

/** Lines of assorted lengths around S, with CRLF, multibyte text and invalid bytes. */
const documentBytes = fc
  .array(
    fc.record({
      length: fc.oneof(
        fc.nat({ max: 40 }),
        fc.integer({ min: S - 10, max: S + 10 }),
        fc.integer({ min: 2 * S - 5, max: 5 * S }),
      ),
      fill: fc.constantFrom("a", "é", "😀", "\r", "\xff"),
      eol: fc.constantFrom("\n", "\r\n", ""),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((lines) =>
    Buffer.concat(
      lines.map(({ length, fill, eol }) => {
        const unit = fill === "\xff" ? Buffer.from([0xff]) : Buffer.from(fill);
        const body = Buffer.alloc(length, unit);
        return Buffer.concat([body, Buffer.from(eol)]);
      }),
    ),
  );

describe("document windows (segments of long lines)", () => {
  it("every window is exact bytes, agrees on boundaries with the model, and never cuts a short line", async () => {
    await fc.assert(
      fc.asyncProperty(
        documentBytes,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 40 }),
        async (bytes, anchors, linesBefore, linesAfter) => {
          const dir = tempDir();
          const path = join(dir, "doc.txt");
          writeFileSync(path, bytes);
          const doc = await open(path, { readOnly: true, stateDir: join(dir, "state") });
          try {
            const starts = modelStarts(bytes);
            const startSet = new Set(starts);
            for (const fraction of anchors) {
              const anchor = Math.floor(fraction * bytes.length);
              const expectedStart = starts.filter((start) => start <= anchor).pop()!;
              expect(windowLineStart(doc, anchor)).toBe(expectedStart);
              const window = cutWindow(
                doc,
                { anchor: { byte: anchor }, linesBefore, linesAfter },
                0,
                () => true,
              );
              // As many lines as asked for on each side, where the document has them.
              const anchorAt = starts.indexOf(expectedStart);
              expect(window.anchorIndex).toBe(Math.min(linesBefore, anchorAt));
              expect(window.lines.length).toBe(
                window.anchorIndex + Math.min(linesAfter + 1, starts.length - anchorAt),
              );
              // The window's text and breaks spell its bytes exactly.
              const parts: Uint8Array[] = [];
              window.lines.forEach((line, i) => {
                parts.push(encodeEscaped(line));
                if (i < window.breaks.length)
                  parts.push(
                    bytes.subarray(0, 0),
                    window.breaks[i] === 2
                      ? Buffer.from("\r\n")
                      : window.breaks[i] === 1
                        ? Buffer.from("\n")
                        : Buffer.alloc(0),
                  );
              });
              expect(Buffer.concat(parts).equals(bytes.subarray(window.start, window.end))).toBe(true);
              // Each window line starts where the model says, and is short.
              let at = window.start;
              window.lines.forEach((line, i) => {
                expect(startSet.has(at)).toBe(true);
                const length = encodeEscaped(line).length;
                expect(length).toBeLessThanOrEqual(2 * S + 4);
                at += length + (window.breaks[i] ?? 0);
              });
            }
          } finally {
            await doc.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("shows a 1 MiB single line as segments, from anywhere in it", async () => {
    const dir = tempDir();
    const path = join(dir, "one-line.json");
    const bytes = Buffer.alloc(1024 * 1024, "x");
    writeFileSync(path, bytes);
    const doc = await open(path, { readOnly: true, stateDir: join(dir, "state") });
    const window = cutWindow(
      doc,
      { anchor: { byte: 700_000 }, linesBefore: 10, linesAfter: 10 },
      0,
      () => true,
    );
    expect(window.lines.length).toBe(21);
    expect(window.breaks.every((size) => size === 0)).toBe(true);
    expect(window.lines.every((line) => line.length === S)).toBe(true);
    expect(window.firstLine).toBe(0);
    await doc.close();
  });
});
