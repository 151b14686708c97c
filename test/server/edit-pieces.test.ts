/** The page's split of big edits (protocol/edit-pieces.ts): same bytes, every message bounded. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ByteEdit,
  byteCounterFor,
  EDIT_PIECE_CHARS,
  editMessages,
  encodeEscaped,
  MAX_MESSAGE_BYTES,
} from "../../protocol/index.js";

/**
 * Applies one message's edits (sorted byte ranges of the same version) to bytes: from the last,
 * so each range still means what it meant (an earlier insert at the same place lands first).
 */
function apply(bytes: Buffer, edits: readonly ByteEdit[]): Buffer {
  let out = bytes;
  for (const edit of [...edits].reverse()) {
    out = Buffer.concat([out.subarray(0, edit.start), encodeEscaped(edit.text), out.subarray(edit.end)]);
  }
  return out;
}

describe("big edits in pieces", () => {
  it("make the same bytes as the edits they came from, each message small enough", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme-ascii", minLength: 0, maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), text), { maxLength: 5 }),
        fc.integer({ min: 2, max: 9 }),
        (start, raw, pieceChars) => {
          const original = Buffer.from(start);
          // Sorted, non-overlapping ranges of the original, as a transaction's changes are.
          const cuts = raw.map(([a]) => a % (original.length + 1)).sort((x, y) => x - y);
          const edits: ByteEdit[] = raw.map(([, span, inserted], i) => {
            const from = cuts[i]!;
            const limit = i + 1 < cuts.length ? cuts[i + 1]! : original.length;
            return { start: from, end: Math.min(limit, from + (span % 4)), text: inserted };
          });
          const messages = editMessages(edits, { pieceChars });
          let bytes: Buffer = original;
          for (const message of messages) {
            for (const edit of message) {
              if (messages.length > 1) expect(edit.text.length).toBeLessThanOrEqual(pieceChars + 1);
            }
            bytes = apply(bytes, message);
          }
          expect(bytes.equals(apply(original, edits))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never split a surrogate pair", () => {
    const emoji = "😀".repeat(10);
    for (const message of editMessages([{ start: 0, end: 0, text: emoji }], { pieceChars: 3 })) {
      const [edit] = message;
      expect(edit!.text.length % 2).toBe(0);
    }
  });

  it("count each piece's bytes in the document's encoding", () => {
    const counter = byteCounterFor({ kind: "utf-16", encoding: "utf-16le" });
    const messages = editMessages([{ start: 10, end: 20, text: "東京abc" }], {
      pieceChars: 2,
      byteLength: (text) => counter.byteLength(text),
    });
    expect(messages.map(([edit]) => [edit!.start, edit!.end, edit!.text])).toEqual([
      [10, 20, "東京"],
      [14, 14, "ab"],
      [18, 18, "c"],
    ]);
  });

  it("keep a 60 MiB paste of NUL bytes under the frame limit, message by message", () => {
    const messages = editMessages([{ start: 0, end: 5, text: "\0".repeat(60 * 1024 * 1024) }]);
    expect(messages).toHaveLength((60 * 1024 * 1024) / EDIT_PIECE_CHARS);
    const json = JSON.stringify({ id: 1, type: "edit", baseVersion: 0, edits: messages[0] });
    expect(Buffer.byteLength(json)).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(messages[1]![0]).toMatchObject({ start: EDIT_PIECE_CHARS, end: EDIT_PIECE_CHARS });
  });
});
