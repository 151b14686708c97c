/**
 * The files a command line names, for the desktop app: `gigapad open FILE`, `electron . FILE`, a
 * second launch forwarded by the single-instance lock, or a file manager's "Open with".
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Files in `argv` (absolute, against `cwd`): everything after the program (and the app path when
 * run unpackaged), except switches — Chromium's and Electron's start with "-".
 */
export function filesFromArgv(argv: readonly string[], cwd: string, packaged: boolean): string[] {
  const rest = argv.slice(packaged ? 1 : 2);
  const files: string[] = [];
  let afterDashDash = false;
  for (const arg of rest) {
    if (!afterDashDash && arg === "--") {
      afterDashDash = true;
      continue;
    }
    if (!afterDashDash && arg.startsWith("-")) continue;
    if (arg === "") continue;
    // Desktop launchers may pass file:// URLs (%U in a .desktop file).
    if (arg.startsWith("file://")) {
      try {
        files.push(fileURLToPath(arg));
      } catch {
        // Not a local file (file://host/...): nothing to open.
      }
      continue;
    }
    files.push(isAbsolute(arg) ? arg : resolve(cwd, arg));
  }
  return files;
}
