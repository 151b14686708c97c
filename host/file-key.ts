/**
 * One key per file, however it is named (relative, through a symlink): its real path, or the
 * absolute path of a file that does not exist (yet). Light on purpose: the desktop app's main
 * process uses it too, and must not load the engine.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";

export function fileKey(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
