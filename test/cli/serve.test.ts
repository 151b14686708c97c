import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { runningAsRoot } from "../helpers/unprivileged.js";
import { gigapadAsNobody } from "./run-cli.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;

function gigapad(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_STATE_DIR: join(tempDir(), "state") },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts serve, waits for its URL, stops it with SIGTERM; returns what it printed and its exit code. */
async function serveOnce(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string; url: string }> {
  const child = spawn(process.execPath, [bin, "serve", ...args], {
    env: { ...process.env, GIGAPAD_STATE_DIR: join(tempDir(), "state"), ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (data) => {
    stderr += data;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (data) => {
      stdout += data;
      const match = /(http:\/\/\S+\?token=[0-9a-f]{64})/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on("exit", () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  return { code: await exited, stdout, stderr, url };
}

describe("gigapad serve", () => {
  it("prints a tokened loopback URL, and stops cleanly on SIGTERM", async () => {
    const path = join(tempDir(), "app.log");
    writeFileSync(path, "hello\n");
    const served = await serveOnce([path]);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(served.stdout).toContain(`Gigapad is serving ${path}`);
    expect(served.stderr).toBe("");
    expect(served.code).toBe(0);
  });

  it("warns loudly when told to listen beyond this machine", async () => {
    const path = join(tempDir(), "app.log");
    writeFileSync(path, "hello\n");
    const served = await serveOnce([path, "--host", "0.0.0.0", "--port", "0"]);
    expect(served.stderr).toMatch(/WARNING: serving on 0\.0\.0\.0.*Anyone on the network/s);
    expect(served.code).toBe(0);
  });

  it("says once, in one line, why FILE cannot be opened: missing, a folder, a device, not readable", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, "folder"));
    const secret = join(dir, "secret.log");
    writeFileSync(secret, "secret\n");
    chmodSync(secret, 0o600);
    const cases: [string, string][] = [
      [join(dir, "missing.log"), "No such file or directory"],
      [join(dir, "folder"), "Is a directory"],
      ["/dev/null", "not a regular file"],
    ];
    for (const [path, reason] of cases) {
      expect(gigapad(["serve", path])).toEqual({
        code: 1,
        stdout: "",
        stderr: `gigapad: cannot open ${path}: ${reason}\n`,
      });
    }
    if (!runningAsRoot) chmodSync(secret, 0o000);
    const denied = runningAsRoot ? gigapadAsNobody(["serve", secret]) : gigapad(["serve", secret]);
    expect(denied).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: cannot open ${secret}: Permission denied\n`,
    });
    expect(gigapad(["serve"]).code).toBe(2);
  });

  it("says read-only in the banner with --read-only", async () => {
    const path = join(tempDir(), "app.log");
    writeFileSync(path, "hello\n");
    const served = await serveOnce([path, "--read-only"]);
    expect(served.stdout).toBe(
      `Gigapad is serving ${path} read-only (--read-only)\n\n    ${served.url}\n\nOpen the URL in a browser. Ctrl+C stops.\n`,
    );
    expect(served.stderr).toBe("");
  });

  it("serves a file another Gigapad is editing read-only, and says why and what to do, in CLI words", async () => {
    const dir = tempDir();
    const path = join(dir, "held.log");
    writeFileSync(path, "hello\n");
    const stateDir = join(dir, "state");
    const holder = await open(path, { stateDir });
    try {
      const served = await serveOnce([path], { GIGAPAD_STATE_DIR: stateDir });
      expect(served.stderr).toBe(
        `gigapad: ${path} is open in another Gigapad (pid ${process.pid}), so it is served read-only; ` +
          `to edit it here, close it there and run 'gigapad serve ${path}' again\n`,
      );
      expect(served.stdout).toBe(
        `Gigapad is serving ${path} read-only (another Gigapad is editing it)\n\n    ${served.url}\n\n` +
          "Open the URL in a browser. Ctrl+C stops.\n",
      );
      expect(served.code).toBe(0);
    } finally {
      await holder.close();
    }
  });
});
