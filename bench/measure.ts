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
