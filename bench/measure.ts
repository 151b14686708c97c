/** Timing helpers for the benchmarks: medians of repeated runs, percentiles, peer commands. */
import { spawnSync } from "node:child_process";

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs fn `runs` times and returns the median wall time in ms. */
export async function medianTime(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = nowMs();
    await fn();
    times.push(nowMs() - start);
  }
  return median(times);
}

/** Whether a command exists on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Runs a peer command and returns its stdout; throws if it fails. */
export function runPeer(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0 && !(command === "rg" && result.status === 1)) {
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.status}`);
  }
  return result.stdout;
}

/**
 * Runs fn once unmeasured (warm cache, warm binaries), then `runs` times; returns the fastest
 * wall time in ms and the last run's result.
 */
export async function bestOf<T>(runs: number, fn: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  let result = await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = nowMs();
    result = await fn();
    best = Math.min(best, nowMs() - start);
  }
  return { ms: best, result };
}

/**
 * bestOf for several commands at once, interleaved: one unmeasured round, then `runs` rounds
 * running each once in turn, so a burst of other work on the machine slows all of them alike.
 * Returns each one's fastest wall time in ms and last result, by name.
 */
export async function bestOfInterleaved<T>(
  runs: number,
  fns: Record<string, () => T | Promise<T>>,
): Promise<Record<string, { ms: number; result: T }>> {
  const best: Record<string, { ms: number; result: T }> = {};
  for (const [name, fn] of Object.entries(fns))
    best[name] = { ms: Number.POSITIVE_INFINITY, result: await fn() };
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(fns)) {
      const start = nowMs();
      const result = await fn();
      const entry = best[name]!;
      entry.ms = Math.min(entry.ms, nowMs() - start);
      entry.result = result;
    }
  }
  return best;
}

/** Runs a command as a fresh process and returns its stdout; throws with its stderr if it fails. */
export function runFresh(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    ...(env ? { env } : {}),
  });
  // grep and rg exit 1 when nothing matched.
  const nothingFound = (command === "rg" || command === "grep") && result.status === 1;
  if (result.status !== 0 && !nothingFound) {
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error || result.status}`);
  }
  return result.stdout;
}
