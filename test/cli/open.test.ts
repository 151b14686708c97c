import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;

/** Runs `gigapad open`; GIGAPAD_ELECTRON_PATH stands in for Electron (which cannot run here). */
function open(args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
  const result = spawnSync(process.execPath, [bin, "open", ...args], {
    encoding: "utf8",
    cwd,
    env: { ...process.env, DISPLAY: ":99", ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("gigapad open", () => {
  it("says in one line why the desktop app cannot start, and suggests gigapad serve", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "big.log"), "x\n");
    const missing = open(["big.log"], { GIGAPAD_ELECTRON_PATH: join(dir, "no-electron") }, dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `gigapad: cannot start the desktop app: no Electron binary at ${join(dir, "no-electron")}; use \`gigapad serve big.log\` and open the URL it prints in a browser\n`,
    );
    const noDisplay = open(
      ["big.log"],
      { DISPLAY: "", WAYLAND_DISPLAY: "", GIGAPAD_ELECTRON_PATH: join(dir, "no-electron") },
      dir,
    );
    expect(noDisplay.code).toBe(1);
    expect(noDisplay.stderr).toMatch(
      /^gigapad: cannot start the desktop app: no display \(DISPLAY and WAYLAND_DISPLAY are not set\); use `gigapad serve big\.log`/,
    );
    // An Electron that fails as one does without a usable display.
    const failing = join(dir, "failing-electron");
    writeFileSync(
      failing,
      "#!/bin/sh\necho '[1:0101/000000:ERROR:ozone_platform_x11.cc] Missing X server or $DISPLAY' >&2\nexit 1\n",
    );
    chmodSync(failing, 0o755);
    const failed = open(["big.log"], { GIGAPAD_ELECTRON_PATH: failing }, dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^gigapad: the desktop app did not start \(.*Missing X server or \$DISPLAY\); use `gigapad serve big\.log`/,
    );
    expect(failed.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("passes the app folder and the absolute files to Electron, and returns once it runs", () => {
    const dir = tempDir();
    const file = join(dir, "a.log");
    writeFileSync(file, "x\n");
    const record = join(dir, "argv.txt");
    const standIn = join(dir, "electron");
    writeFileSync(standIn, `#!/bin/sh\necho "$@" > ${record}\nexit 0\n`);
    chmodSync(standIn, 0o755);
    const started = open(["a.log"], { GIGAPAD_ELECTRON_PATH: standIn }, dir);
    expect(started.code).toBe(0);
    const argv = spawnSync("cat", [record], { encoding: "utf8" }).stdout.trim().split(" ");
    expect(argv[1]).toBe(file);
    // The package folder: Electron reads its package.json "main" (dist/electron/main.js).
    expect(argv[0]).toBe(join(import.meta.dirname, "..", ".."));
  });

  it("refuses a missing file or a folder before starting anything", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "folder"));
    const missing = open([join(dir, "nope.log")], { GIGAPAD_ELECTRON_PATH: "/bin/false" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gigapad: cannot open .*nope\.log: No such file or directory/);
    const folder = open([join(dir, "folder")], { GIGAPAD_ELECTRON_PATH: "/bin/false" });
    expect(folder).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: cannot open ${join(dir, "folder")}: Is a directory\n`,
    });
  });
});

describe("npm start", () => {
  // The script's build step is `npm run build`; what it runs after that is checked here without
  // rebuilding (and with a stand-in for Electron, which cannot run here).
  const root = join(import.meta.dirname, "..", "..");
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [build, run] = manifest.scripts.start!.split(" && ");

  it("builds, then runs `gigapad open` with the files (npm appends them), so it fails as open does", () => {
    expect(build).toBe("npm run build --silent");
    const dir = tempDir();
    const file = join(dir, "big.log");
    writeFileSync(file, "x\n");
    const start = (env: NodeJS.ProcessEnv) => {
      // As npm runs it: in the package folder, through sh, with the arguments after `--` appended.
      const result = spawnSync("sh", ["-c", `${run} "$@"`, "npm-start", file], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, DISPLAY: ":99", ...env },
        timeout: 30_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const serveHint = `use \`gigapad serve ${file}\` and open the URL it prints in a browser`;
    expect(start({ GIGAPAD_ELECTRON_PATH: join(dir, "no-electron") })).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: cannot start the desktop app: no Electron binary at ${join(dir, "no-electron")}; ${serveHint}\n`,
    });
    expect(
      start({ DISPLAY: "", WAYLAND_DISPLAY: "", GIGAPAD_ELECTRON_PATH: join(dir, "no-electron") }),
    ).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: cannot start the desktop app: no display (DISPLAY and WAYLAND_DISPLAY are not set); ${serveHint}\n`,
    });
    // With an Electron that starts, it gets the app folder and the file.
    const record = join(dir, "argv.txt");
    const standIn = join(dir, "electron");
    writeFileSync(standIn, `#!/bin/sh\necho "$@" > ${record}\nexit 0\n`);
    chmodSync(standIn, 0o755);
    expect(start({ GIGAPAD_ELECTRON_PATH: standIn }).code).toBe(0);
    expect(readFileSync(record, "utf8")).toBe(`${root} ${file}\n`);
  });
});
