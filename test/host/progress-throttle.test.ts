/** How often progress reaches the UIs (host/progress-throttle.ts): once per PROGRESS_EVENT_MS per stream. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROGRESS_EVENT_MS, progressThrottle } from "../../host/progress-throttle.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("progressThrottle", () => {
  it("lets the first event through, holds the next ones for PROGRESS_EVENT_MS, then lets one through", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const tooSoon = progressThrottle();
    expect(tooSoon()).toBe(false);
    expect(tooSoon()).toBe(true);
    vi.advanceTimersByTime(PROGRESS_EVENT_MS - 1);
    expect(tooSoon()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(tooSoon()).toBe(false);
    expect(tooSoon()).toBe(true);
  });

  it("keeps each stream on its own clock", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const index = progressThrottle();
    const save = progressThrottle();
    expect(index()).toBe(false);
    expect(save()).toBe(false);
    expect(index()).toBe(true);
    expect(save()).toBe(true);
  });
});
