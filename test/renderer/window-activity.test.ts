import { describe, expect, it } from "vitest";
import { leavesWindow, WindowActivity } from "../../renderer/window-activity.js";

describe("what the window editor is doing", () => {
  it("starts still and settled at the document's version", () => {
    const activity = new WindowActivity(7);
    expect(activity.expectedVersion).toBe(7);
    expect(activity.settled).toBe(true);
    expect(activity.inMotion).toBe(false);
    expect(activity.maySlide).toBe(true);
    expect(activity.mayMoveInWindow).toBe(true);
  });

  it("lets a newer load supersede an older one: only the newest ends the loading", () => {
    const activity = new WindowActivity(1);
    const first = activity.startLoad();
    const second = activity.startLoad();
    expect(activity.isCurrent(first)).toBe(false);
    expect(activity.endLoad(first)).toBe(false);
    expect(activity.loading).toBe(true);
    expect(activity.endLoad(second)).toBe(true);
    expect(activity.loading).toBe(false);
    expect(activity.jumps).toBe(2);
  });

  it("counts a move inside the window as a jump that supersedes a load on its way", () => {
    const activity = new WindowActivity(1);
    const token = activity.startLoad();
    activity.supersedeLoads();
    expect(activity.endLoad(token)).toBe(false);
  });

  it("grows a load only while it is the newest and nothing else moves", () => {
    const activity = new WindowActivity(1);
    const token = activity.startLoad();
    activity.endLoad(token);
    activity.scheduleGrow(token);
    expect(activity.inMotion).toBe(true);
    expect(activity.mayMoveInWindow).toBe(false);
    expect(activity.growDue(token)).toBe(true);
    expect(activity.growPending).toBeNull();

    const older = activity.startLoad();
    activity.endLoad(older);
    activity.scheduleGrow(older);
    const newer = activity.startLoad();
    expect(activity.growDue(older)).toBe(false);
    expect(activity.growPending).toBeNull();
    activity.endLoad(newer);
    activity.sliding = true;
    activity.scheduleGrow(newer);
    expect(activity.growDue(newer)).toBe(false);
  });

  it("sends edits on the version each was typed on, and settles when all are answered", () => {
    const activity = new WindowActivity(3);
    expect(activity.editSent()).toBe(3);
    expect(activity.editSent()).toBe(4);
    expect(activity.expectedVersion).toBe(5);
    expect(activity.settled).toBe(false);
    expect(activity.maySlide).toBe(false);
    expect(activity.fits(5)).toBe(false); // edits in flight: a window read now may lack them
    expect(activity.editAnswered(null)).toEqual({ next: "wait" });
    expect(activity.editAnswered(null)).toEqual({ next: "settled" });
    expect(activity.fits(5)).toBe(true);
    expect(activity.fits(4)).toBe(false);
  });

  it("resyncs once every edit in flight is answered when one was refused, with its reason", () => {
    const activity = new WindowActivity(0);
    activity.editSent();
    activity.editSent();
    expect(activity.editAnswered("refused")).toEqual({ next: "wait" });
    expect(activity.editAnswered(null)).toEqual({ next: "resync", message: "refused" });
    activity.editSent();
    expect(activity.editAnswered(null)).toEqual({ next: "settled" });
  });

  it("is not settled while exclusive work runs", () => {
    const activity = new WindowActivity(0);
    activity.busy++;
    expect(activity.settled).toBe(false);
    expect(activity.mayMoveInWindow).toBe(false);
    activity.busy--;
    expect(activity.settled).toBe(true);
  });

  it("waits for the newest scroll asked for, not an older one", () => {
    const activity = new WindowActivity(0);
    const first = activity.scrollAsked();
    const second = activity.scrollAsked();
    expect(activity.scrollPending).toBe(true);
    expect(activity.scrollDone(first)).toBe(false);
    expect(activity.scrollPending).toBe(true);
    expect(activity.scrollDone(second)).toBe(true);
    expect(activity.scrollPending).toBe(false);
  });

  it("does not slide while a load or a slide is on its way", () => {
    const activity = new WindowActivity(0);
    activity.sliding = true;
    expect(activity.maySlide).toBe(false);
    activity.sliding = false;
    activity.startLoad();
    expect(activity.maySlide).toBe(false);
  });

  it("keeps a selection as bytes when either end leaves the window", () => {
    expect(leavesWindow({ anchor: 100, head: 107 }, 100, 107)).toBe(false);
    expect(leavesWindow({ anchor: 108, head: 101 }, 100, 107)).toBe(true);
    expect(leavesWindow({ anchor: 101, head: 99 }, 100, 107)).toBe(true);
  });
});
