import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";

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
): Promise<{ code: number | null; stdout: string; stderr: string; url: string }> {
  const child = spawn(process.execPath, [bin, "serve", ...args], {
    env: { ...process.env, GIGAPAD_STATE_DIR: join(tempDir(), "state") },
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

  it("explains bad input in one line and exits 1 or 2", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "folder"));
    const missing = gigapad(["serve", join(dir, "missing.log")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gigapad: cannot open .*missing\.log: .*(No such file|ENOENT)/);
    const folder = gigapad(["serve", join(dir, "folder")]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/^gigapad: cannot open .*folder: /);
    expect(gigapad(["serve"]).code).toBe(2);
    const port = gigapad(["serve", join(dir, "x"), "--port", "http"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port must be a number/);
  });
});
