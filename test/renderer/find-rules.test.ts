import { describe, expect, it } from "vitest";
import {
  countLabel,
  isReplaceAllKey,
  replaceProgressLabel,
  searchStart,
  selects,
} from "../../renderer/find-rules.js";

describe("the find panel's rules", () => {
  it("searches forward from the selection's end and backward from its start, whichever way it was made", () => {
    expect(searchStart({ anchor: 10, head: 20 }, "forward")).toBe(20);
    expect(searchStart({ anchor: 20, head: 10 }, "forward")).toBe(20);
    expect(searchStart({ anchor: 20, head: 10 }, "backward")).toBe(10);
    expect(searchStart({ anchor: 5, head: 5 }, "backward")).toBe(5);
  });

  it("replaces only a match that is exactly the selection", () => {
    const match = { start: 4, end: 9 };
    expect(selects({ anchor: 4, head: 9 }, match)).toBe(true);
    expect(selects({ anchor: 9, head: 4 }, match)).toBe(true);
    expect(selects({ anchor: 4, head: 8 }, match)).toBe(false);
    expect(selects({ anchor: 9, head: 9 }, match)).toBe(false);
  });

  it("counts as the panel shows it: partial while counting, which match this is once known", () => {
    expect(countLabel({ total: null, partial: 1200 }, null)).toBe("1,200+ matches…");
    expect(countLabel({ total: null, partial: 1200 }, 3)).toBe("3 of 1,200+ matches…");
    expect(countLabel({ total: 0, partial: 0 }, null)).toBe("No matches");
    expect(countLabel({ total: 1, partial: 1 }, 1)).toBe("1 of 1 match");
    expect(countLabel({ total: 40_000, partial: 0 }, null)).toBe("40,000 matches");
  });

  it("shows a replace-all's progress in percent of the scan and matches so far", () => {
    expect(replaceProgressLabel({ scanned: 50, total: 200, count: 1234 })).toBe("replacing 25% (1,234)");
    expect(replaceProgressLabel({ scanned: 0, total: 0, count: 0 })).toBe("replacing 0% (0)");
  });

  it("takes Ctrl+Alt+Enter or Cmd+Alt+Enter for Replace All, not Enter alone or without Alt", () => {
    const key = { key: "Enter", altKey: true, ctrlKey: false, metaKey: false };
    expect(isReplaceAllKey({ ...key, ctrlKey: true })).toBe(true);
    expect(isReplaceAllKey({ ...key, metaKey: true })).toBe(true);
    expect(isReplaceAllKey(key)).toBe(false);
    expect(isReplaceAllKey({ ...key, altKey: false, ctrlKey: true })).toBe(false);
    expect(isReplaceAllKey({ ...key, key: "a", ctrlKey: true })).toBe(false);
  });
});
