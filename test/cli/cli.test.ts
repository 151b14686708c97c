import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { gigapadAsNobody } from "./run-cli.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;

function gigapad(args: string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_STATE_DIR: join(tempDir(), "state"), ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, content: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

describe("gigapad info", () => {
  it("prints bytes, lines, line endings and encoding, for people and as JSON", () => {
    const path = file("mixed.log", "one\r\ntwo\nthree");
    const text = gigapad(["info", path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^file\s+.*mixed\.log$/m);
    expect(text.stdout).toMatch(/^lines\s+3$/m);
    const json = JSON.parse(gigapad(["info", path, "--json"]).stdout);
    expect(json).toEqual({
      path,
      bytes: 14,
      lines: 3,
      eol: "mixed",
      encoding: "ascii",
      encodingConfidence: 1,
    });
  });

  it("tells line endings and encodings apart", () => {
    const info = (content: string | Buffer) =>
      JSON.parse(gigapad(["info", file("f", content), "--json"]).stdout);
    expect(info("a\nb\n")).toMatchObject({ eol: "lf", lines: 3 });
    expect(info("a\r\nb\r\n")).toMatchObject({ eol: "crlf", lines: 3 });
    expect(info("no newline")).toMatchObject({ eol: "none", lines: 1 });
    expect(info("")).toMatchObject({ eol: "none", lines: 1, bytes: 0 });
    expect(info("héllo\n")).toMatchObject({ encoding: "utf-8" });
    expect(info(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toMatchObject({ encoding: "utf-8-bom" });
    expect(info(Buffer.from([0x61, 0x00, 0x62]))).toMatchObject({ encoding: "binary" });
    expect(info(Buffer.from("Le café était fermé à Noël.\n", "latin1"))).toMatchObject({
      encoding: "windows-1252",
    });
  });

  it("fails with one clear line and a non-zero exit for bad input", () => {
    const missing = gigapad(["info", join(tempDir(), "missing.log")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^gigapad: cannot open .*missing\.log: No such file or directory$/);
    const dir = tempDir();
    mkdirSync(join(dir, "sub"));
    expect(gigapad(["info", join(dir, "sub")]).stderr).toMatch(/Is a directory/);
    expect(gigapad(["info"]).code).toBe(2);
    expect(gigapad(["info", "a", "b"]).code).toBe(2);
    expect(gigapad(["frobnicate"]).code).toBe(2);
    expect(gigapad(["info", "--bogus", "x"]).code).toBe(2);
  });

  it("reports a file the user may not read", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const path = join(dir, "secret.log");
    writeFileSync(path, "secret\n");
    chmodSync(path, 0o600);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(path, 0o000);
    // As root, the child loads the CLI (the checkout may be in a folder nobody cannot enter), then drops.
    const result = asRoot ? gigapadAsNobody(["info", path]) : gigapad(["info", path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot open .*secret\.log: Permission denied/);
  });
});

describe("gigapad run", () => {
  it("runs the script's default export with the documents, then commits and closes them", () => {
    const a = file("a.log", "alpha\n");
    const b = file("b.log", "beta\n");
    const script = file(
      "script.mjs",
      `export default async (first, second) => {
        first.insert(0, "# header\\n");
        console.log(first.lineCount(), first.getLine(0), second.getLine(0), second.length);
      };`,
    );
    const result = gigapad(["run", script, a, b]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("3 # header beta 5");
    // The edit is not in the file: the CLI says where it is and how to save or recover it.
    expect(result.stderr).toBe(
      `gigapad: 1 edit to ${a} is kept in its session, not saved to the file; ` +
        `call doc.save() in the script to save, or see 'gigapad recover ${a}'\n`,
    );
  });

  it("counts the edits a script leaves unsaved, and says nothing when it saved them", () => {
    const dir = tempDir();
    const path = file("notes.txt", "x\n");
    const env = { GIGAPAD_STATE_DIR: join(dir, "state") };
    const edit = file("edit.mjs", "export default (doc) => { doc.insert(0, 'a'); doc.insert(0, 'b'); };");
    const unsaved = (count: string, verb: string) =>
      `gigapad: ${count} to ${path} ${verb} kept in its session, not saved to the file; ` +
      `call doc.save() in the script to save, or see 'gigapad recover ${path}'\n`;
    expect(gigapad(["run", edit, path], { env })).toEqual({
      code: 0,
      stdout: "",
      stderr: unsaved("2 edits", "are"),
    });
    // The session holds the edits of both runs.
    expect(gigapad(["run", edit, path], { env }).stderr).toBe(unsaved("4 edits", "are"));
    const save = file("save.mjs", "export default async (doc) => { doc.insert(0, 'c'); await doc.save(); };");
    expect(gigapad(["run", save, path], { env })).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(path, "utf8")).toBe("cbabax\n");
    const read = file("read.mjs", "export default (doc) => { doc.getText(); };");
    expect(gigapad(["run", read, path], { env })).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("says in CLI words (no API syntax) that another Gigapad is editing a FILE", async () => {
    const dir = tempDir();
    const path = file("held.txt", "x\n");
    const stateDir = join(dir, "state");
    const holder = await open(path, { stateDir });
    try {
      const script = file("noop.mjs", "export default () => {};");
      expect(gigapad(["run", script, path], { env: { GIGAPAD_STATE_DIR: stateDir } })).toEqual({
        code: 1,
        stdout: "",
        stderr: `gigapad: ${path} is open in another Gigapad (pid ${process.pid}); close it there and try again\n`,
      });
    } finally {
      await holder.close();
    }
  });

  it("explains a missing script, a script without a default export, and a script that throws", () => {
    const doc = file("doc.log", "x\n");
    const missing = gigapad(["run", join(tempDir(), "none.mjs"), doc]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot load script .*none\.mjs: no such file/);
    const noDefault = gigapad(["run", file("n.mjs", "export const x = 1;"), doc]);
    expect(noDefault.stderr).toMatch(/has no default export function/);
    const broken = gigapad(["run", file("s.mjs", "export default (;"), doc]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/cannot load script .*s\.mjs/);
    const throws = gigapad([
      "run",
      file("t.mjs", "export default (doc) => { doc.insert(0, 'half done '); throw new Error('boom'); };"),
      doc,
    ]);
    expect(throws.code).toBe(1);
    expect(throws.stderr.trim()).toMatch(/script .*t\.mjs failed: boom$/);
    // The failed script's edits are not kept for the next open.
    const check = gigapad([
      "run",
      file("c.mjs", "export default (doc) => console.log(JSON.stringify(doc.getText()));"),
      doc,
    ]);
    expect(check.stdout.trim()).toBe(JSON.stringify("x\n"));
    const badFile = gigapad(["run", file("ok.mjs", "export default () => {};"), join(tempDir(), "gone.log")]);
    expect(badFile.stderr).toMatch(/cannot open .*gone\.log/);
    expect(gigapad(["run", "only-a-script.mjs"]).code).toBe(2);
  });
});
