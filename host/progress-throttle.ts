/**
 * How often progress reaches the UIs: each stream of progress events (an index build, a save, a
 * count, a replace, a filter) at most once every PROGRESS_EVENT_MS, each on its own clock.
 */

/** Progress events are sent at most this often. */
export const PROGRESS_EVENT_MS = 100;

/** A progress stream's throttle: true when the last event went out under PROGRESS_EVENT_MS ago. */
export function progressThrottle(): () => boolean {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < PROGRESS_EVENT_MS) return true;
    last = now;
    return false;
  };
}
