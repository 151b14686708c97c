import { describe, expect, it } from "vitest";
import { clampToWindow, gutterLabel } from "../../renderer/window-state.js";
import { windowFixture } from "./window-fixture.js";

describe("the gutter's labels", () => {
  const { docWindow, doc } = windowFixture(["alpha", "beta", "gamma"], [0, 1], 100, 41);

  it("numbers lines from the window's first line, and marks a segment that continues a line", () => {
    expect(gutterLabel(docWindow, doc, 1, 1000)).toBe("42");
    expect(gutterLabel(docWindow, doc, 2, 1000)).toBe("⋯");
    expect(gutterLabel(docWindow, doc, 3, 1000)).toBe("43");
  });

  it("shows a dot while the line is not known", () => {
    const unknown = windowFixture(["a", "b"], [1], 100, null);
    expect(gutterLabel(unknown.docWindow, unknown.doc, 2, null)).toBe("·");
  });

  it("sizes past the window's end by the document's last line number", () => {
    expect(gutterLabel(docWindow, doc, 99, 123_456)).toBe("123456");
    expect(gutterLabel(docWindow, doc, 99, null)).toBe(String(41 + 3));
  });
});

describe("a byte clamped to the window", () => {
  const { docWindow, doc } = windowFixture(["abc", "def"], [1], 100, 0);

  it("maps to its editor position, or to the nearer edge outside the window", () => {
    expect(clampToWindow(docWindow, doc, 0)).toBe(0);
    expect(clampToWindow(docWindow, doc, 105)).toBe(5);
    expect(clampToWindow(docWindow, doc, 10_000)).toBe(doc.length);
  });
});
