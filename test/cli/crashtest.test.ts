import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;

function crashtest(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, "crashtest", ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function sampleFile(): string {
  const dir = tempDir();
  const path = join(dir, "sample.log");
  writeFileSync(path, "2026-11-22 INFO a line of the sample log\r\n".repeat(30_000));
  return path;
}

describe("gigapad crashtest", () => {
  it("kills at random and at every crash point, finds no violation, and never touches FILE", () => {
    const path = sampleFile();
    const before = createHash("sha256").update(readFileSync(path)).digest("hex");
    const result = crashtest([path, "--kills", "6", "--crash-points", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ file: path, trials: 6 + 22, recoveredExactly: 28, violations: [] });
    expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(before);
    // Its work folder is gone.
    expect(readdirSync(join(path, "..")).filter((name) => name.startsWith(".gigapad-crashtest"))).toEqual([]);
  }, 300_000);

  it("reports violations and exits 1 for a deliberately broken build (commits acknowledged early)", () => {
    const path = sampleFile();
    const result = crashtest([path, "--kills", "2", "--crash-points"], { GIGAPAD_TEST_BREAK: "ack-early" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^violations\s+[1-9]\d*$/m);
    expect(result.stdout).toMatch(/violation: .*acknowledged/);
  }, 300_000);

  it("prints a table for people, and explains bad input", () => {
    const dir = tempDir();
    const table = crashtest(["--kills", "1", "--dir", dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^file\s+\(generated log\)$/m);
    expect(table.stdout).toMatch(/^violations\s+0$/m);
    expect(crashtest(["--kills", "many"]).code).toBe(2);
  }, 300_000);

  it("says in one line why FILE cannot be tested, before starting", () => {
    const dir = tempDir();
    const cases: [string, string][] = [
      ["/nonexistent", "No such file or directory"],
      [join(dir, "missing.log"), "No such file or directory"],
      [dir, "Is a directory"],
      ["/dev/null", "not a regular file"],
    ];
    for (const [path, reason] of cases) {
      expect(crashtest([path, "--dir", dir])).toEqual({
        code: 1,
        stdout: "",
        stderr: `gigapad: cannot open ${path}: ${reason}\n`,
      });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  // `script` gives the command a terminal (its stdout goes to a file inside the command).
  const haveScript = process.platform === "linux" && spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!haveScript)(
    "shows a progress bar on a terminal, none with --json",
    () => {
      const dir = tempDir();
      const onTerminal = (args: string) => {
        const out = join(dir, "out.txt");
        const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} crashtest --kills 2 --dir ${JSON.stringify(dir)} ${args} > ${JSON.stringify(out)}`;
        const result = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8" });
        return { terminal: result.stdout, stdout: readFileSync(out, "utf8"), code: result.status };
      };
      const table = onTerminal("");
      expect(table.code).toBe(0);
      expect(table.terminal).toMatch(/crashtest \[[█░]+\] 1\/2 trials \| eta \d+s/);
      expect(table.terminal).toMatch(/crashtest \[█+\] 2\/2 trials/);
      expect(table.stdout).toMatch(/^trials\s+2$/m);
      const json = onTerminal("--json");
      expect(json.code).toBe(0);
      expect(json.terminal).toBe("");
      expect(JSON.parse(json.stdout)).toMatchObject({ trials: 2, violations: [] });
    },
    300_000,
  );
});
