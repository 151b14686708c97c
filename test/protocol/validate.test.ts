import { describe, expect, it } from "vitest";
import { MAX_EDITS_PER_REQUEST, parseRequest } from "../../protocol/index.js";

describe("protocol: every message is checked before it reaches the engine", () => {
  it("accepts well-formed requests as they are", () => {
    const edit = { id: 3, type: "edit", baseVersion: 2, edits: [{ start: 1, end: 4, text: "x" }] };
    expect(parseRequest(edit)).toEqual({ ok: true, request: edit });
    expect(
      parseRequest({ id: 1, type: "window", anchor: { end: true }, linesBefore: 0, linesAfter: 10 }),
    ).toMatchObject({
      ok: true,
    });
  });

  it("names what is wrong, and keeps the id so the reply can be matched", () => {
    const cases: [unknown, number | null, RegExp][] = [
      ["text", null, /JSON object/],
      [{ type: "hello" }, null, /integer id/],
      [{ id: 1, type: "destroy" }, 1, /unknown request type "destroy"/],
      [{ id: 2, type: "lineStart", line: -3 }, 2, /line must be a non-negative integer, got -3/],
      [{ id: 3, type: "lineStart", line: 1.5 }, 3, /non-negative integer/],
      [
        { id: 4, type: "edit", baseVersion: 0, edits: [{ start: 5, end: 2, text: "" }] },
        4,
        /end 2 is before start 5/,
      ],
      [{ id: 5, type: "edit", baseVersion: 0, edits: [] }, 5, /non-empty/],
      [{ id: 6, type: "window", anchor: { line: 1 }, linesBefore: 1e9, linesAfter: 1 }, 6, /at most/],
      [
        { id: 7, type: "findNext", query: { pattern: "" }, from: 0, direction: "forward" },
        7,
        /must not be empty/,
      ],
      [{ id: 8, type: "findNext", query: { pattern: "a" }, from: 0, direction: "sideways" }, 8, /direction/],
      [{ id: 9, type: "saveAs", path: "" }, 9, /path must not be empty/],
      [
        { id: 10, type: "count", searchId: 1, query: { pattern: "a", regex: "yes" } },
        10,
        /query.regex must be a boolean/,
      ],
    ];
    for (const [message, id, reason] of cases) {
      const parsed = parseRequest(message);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.id).toBe(id);
      expect(parsed.error.code).toBe("EBADREQUEST");
      expect(parsed.error.message).toMatch(reason);
    }
    const tooMany = {
      id: 11,
      type: "edit",
      baseVersion: 0,
      edits: Array.from({ length: MAX_EDITS_PER_REQUEST + 1 }, () => ({ start: 0, end: 0, text: "" })),
    };
    expect(parseRequest(tooMany)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/at most/) },
    });
  });
});
