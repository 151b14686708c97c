import { describe, expect, it } from "vitest";
import { matchRangesIn } from "../../renderer/match-highlights.js";
import { windowFixture } from "./window-fixture.js";

describe("find matches in the window", () => {
  const { docWindow, doc } = windowFixture(["abc", "def"], [1], 100, 0);

  it("maps the matches the window holds to editor positions, the current one marked", () => {
    const matches = [
      { start: 101, end: 103 },
      { start: 104, end: 107 },
    ];
    expect(matchRangesIn(docWindow, doc, matches, { start: 104, end: 107 })).toEqual([
      { from: 1, to: 3, current: false },
      { from: 4, to: 7, current: true },
    ]);
  });

  it("leaves out matches outside the window and empty ones", () => {
    const matches = [
      { start: 50, end: 60 },
      { start: 102, end: 102 },
      { start: 105, end: 500 },
    ];
    expect(matchRangesIn(docWindow, doc, matches, null)).toEqual([]);
  });
});
