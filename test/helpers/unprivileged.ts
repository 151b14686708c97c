/**
 * Running a check as an unprivileged user when the tests run as root (root reads and writes
 * anything). The child starts as root, so it can load the checkout wherever it lives — also a
 * clone inside a folder only its owner may enter (/root, a 0700 home, mktemp -d) — and then drops
 * to nobody before doing what is checked.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";

export const NOBODY = 65534;

export const runningAsRoot = process.getuid?.() === 0;

/**
 * JavaScript that becomes nobody:nogroup (no supplementary groups) if the process is root. Put it
 * after the child's imports and before the work.
 */
export const DROP_TO_NOBODY = `if (process.getuid() === 0) { process.setgroups([]); process.setgid(${NOBODY}); process.setuid(${NOBODY}); process.env.HOME = "/tmp"; }`;

/** Runs an ES module script with node; its stdout and stderr as text. */
export function runModuleScript(script: string, options: { cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}
