import { describe, expect, it } from "vitest";
import {
  dragTarget,
  type Extent,
  scrolledFraction,
  thumbGeometry,
} from "../../renderer/scrollbar-geometry.js";

const lines = (top: number, visible: number, total: number): Extent => ({
  unit: "line",
  top,
  visible,
  total,
});

describe("the whole-document scrollbar", () => {
  it("sizes the thumb by the share on screen, at least 24 px and at most the track", () => {
    expect(thumbGeometry(500, lines(0, 50, 100))).toEqual({ thumbHeight: 250, room: 250 });
    expect(thumbGeometry(500, lines(0, 50, 10_000_000))).toEqual({ thumbHeight: 24, room: 476 });
    expect(thumbGeometry(500, lines(0, 50, 20))).toEqual({ thumbHeight: 500, room: 0 });
    expect(thumbGeometry(10, lines(0, 1, 1000))).toEqual({ thumbHeight: 10, room: 0 });
  });

  it("places the thumb by how far down the screen is", () => {
    expect(scrolledFraction(lines(0, 50, 1050))).toBe(0);
    expect(scrolledFraction(lines(500, 50, 1050))).toBe(0.5);
    expect(scrolledFraction(lines(1000, 50, 1050))).toBe(1);
    expect(scrolledFraction(lines(2000, 50, 1050))).toBe(1);
    expect(scrolledFraction(lines(0, 50, 30))).toBe(0);
  });

  it("jumps to the line or byte a drag points at, and to the end at the bottom", () => {
    expect(dragTarget(lines(0, 100, 1100), 0.5)).toEqual({ line: 500 });
    expect(dragTarget({ unit: "byte", top: 0, visible: 1000, total: 1_001_000 }, 0.25)).toEqual({
      byte: 250_000,
    });
    expect(dragTarget(lines(0, 100, 1100), 0)).toEqual({ line: 0 });
    expect(dragTarget(lines(0, 100, 1100), 1)).toEqual({ end: true });
  });
});
