import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** A fresh temp folder per call, removed after the current test. */
export function useTempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "gigapad-test-"));
    made.push(dir);
    return dir;
  };
}

/** Number of LF bytes, the slow obvious way. */
export function countLf(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let count = 0;
  for (let i = start; i < end; i++) if (bytes[i] === 10) count++;
  return count;
}
