/**
 * The whole-document scrollbar's arithmetic: how tall the thumb is for the share of the document
 * on screen, where it sits, and where dragging it to a point jumps — in lines once the index has
 * counted them, in bytes before.
 */
import type { Anchor } from "../protocol/messages.js";

const MIN_THUMB_PX = 24;

/** What the thumb stands for: the part of the document on screen, in lines or bytes. */
export interface Extent {
  unit: "line" | "byte";
  /** The first visible unit, how many are visible, and how many there are. */
  top: number;
  visible: number;
  total: number;
}

/** The thumb's height on a track of `trackHeight` pixels, and the room it moves in. */
export function thumbGeometry(trackHeight: number, extent: Extent): { thumbHeight: number; room: number } {
  const share = Math.min(1, extent.visible / Math.max(1, extent.total));
  const thumbHeight = Math.min(trackHeight, Math.max(MIN_THUMB_PX, trackHeight * share));
  return { thumbHeight, room: Math.max(0, trackHeight - thumbHeight) };
}

/** How far down the document the screen is, 0 (top) to 1 (the end on screen). */
export function scrolledFraction(extent: Extent): number {
  const scrollable = Math.max(0, extent.total - extent.visible);
  return scrollable === 0 ? 0 : Math.min(1, extent.top / scrollable);
}

/** Where dragging the thumb to `fraction` of its room jumps: a line, a byte, or the end. */
export function dragTarget(extent: Extent, fraction: number): Anchor {
  if (fraction >= 1) return { end: true };
  const target = Math.round(fraction * Math.max(0, extent.total - extent.visible));
  return extent.unit === "line" ? { line: target } : { byte: target };
}
