/**
 * `gigapad open FILE...`: starts the desktop app on the files (or hands them to the running one).
 * When Electron cannot start — its binary is not downloaded, there is no display — it says why
 * in one line and points to `gigapad serve FILE`, which needs neither.
 */
import { spawn, spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./cli-error.js";
import { assertReadableFile } from "./readable-file.js";

/** How long the app gets to fail on start before we leave it running and return. */
const STARTUP_WAIT_MS = 4000;
/** Longest the first launch may take to download Electron's binary. */
const DOWNLOAD_WAIT_MS = 180_000;

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function fallback(file: string | undefined): string {
  return `use \`gigapad serve ${file ?? "FILE"}\` and open the URL it prints in a browser`;
}

/** The Electron binary: GIGAPAD_ELECTRON_PATH, or the electron package's (downloaded on first use). */
export function electronBinary(): { path: string } | { error: string } {
  const override = process.env.GIGAPAD_ELECTRON_PATH;
  if (override) return { path: override };
  // Asked in a child: the electron package prints its download attempts; we only want the answer.
  const probe = spawnSync(process.execPath, ["-e", "process.stdout.write(require('electron'))"], {
    cwd: packageRoot,
    encoding: "utf8",
    timeout: DOWNLOAD_WAIT_MS,
  });
  if (probe.status === 0 && probe.stdout) return { path: probe.stdout.trim() };
  const output = `${probe.stderr ?? ""}`;
  if (/Cannot find module 'electron'/.test(output)) {
    return { error: "Electron is not installed (npm install electron)" };
  }
  const reason = /Electron failed to install correctly/.test(output)
    ? "Electron's binary is not downloaded, and downloading it failed (no network?)"
    : (output.trim().split("\n").pop() ?? "unknown error");
  return { error: reason };
}

export async function openCommand(positionals: string[]): Promise<void> {
  const files = positionals.map((file) => resolve(file));
  for (const file of files) assertReadableFile(file);
  const first = positionals[0];
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    throw new CliError(
      `cannot start the desktop app: no display (DISPLAY and WAYLAND_DISPLAY are not set); ${fallback(first)}`,
    );
  }
  const binary = electronBinary();
  if ("error" in binary)
    throw new CliError(`cannot start the desktop app: ${binary.error}; ${fallback(first)}`);

  const child = spawn(binary.path, [packageRoot, ...files], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (data) => {
    stderr += data;
  });
  const outcome = await new Promise<
    { kind: "running" } | { kind: "exited"; code: number | null } | { kind: "error"; error: Error }
  >((done) => {
    const timer = setTimeout(() => done({ kind: "running" }), STARTUP_WAIT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      done({ kind: "error", error });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ kind: "exited", code });
    });
  });
  if (outcome.kind === "error") {
    const reason =
      (outcome.error as NodeJS.ErrnoException).code === "ENOENT"
        ? `no Electron binary at ${binary.path}`
        : outcome.error.message;
    throw new CliError(`cannot start the desktop app: ${reason}; ${fallback(first)}`);
  }
  if (outcome.kind === "exited" && outcome.code !== 0) {
    const line =
      stderr
        .trim()
        .split("\n")
        .find((text) => text.trim().length > 0) ?? `exit code ${outcome.code}`;
    throw new CliError(`the desktop app did not start (${line.trim()}); ${fallback(first)}`);
  }
  // Running (or it handed the files to the Gigapad already running, and exited 0).
  child.stderr!.destroy();
  child.unref();
}
