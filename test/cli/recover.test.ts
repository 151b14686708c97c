import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  lstatSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;

async function withSession(content: string, edit: string) {
  const dir = tempDir();
  const path = join(dir, "notes.txt");
  writeFileSync(path, content);
  const stateDir = join(dir, "state");
  const doc = await open(path, { stateDir });
  doc.insert(0, edit);
  await doc.close();
  const gigapad = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, "recover", ...args], {
      encoding: "utf8",
      env: { ...process.env, GIGAPAD_STATE_DIR: stateDir },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { dir, path, stateDir, gigapad };
}

describe("gigapad recover", () => {
  it("lists a file's sessions with time, edits and size change", async () => {
    const { path, gigapad } = await withSession("hello\n", "typed ");
    const table = gigapad(path);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/current\s+matches the file\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+1\s+\+6 B/);
    const [session] = JSON.parse(gigapad(path, "--json").stdout);
    expect(session).toMatchObject({
      kind: "current",
      status: "matches the file",
      edits: 1,
      sizeDelta: 6,
      locked: false,
    });
  });

  it("exports the recovered document without touching the file", async () => {
    const { dir, path, gigapad } = await withSession("hello\n", "typed ");
    const out = join(dir, "recovered.txt");
    const result = gigapad(path, "--export", out);
    expect(result.stdout).toMatch(/exported the document \(12 B\)/);
    expect(readFileSync(out, "utf8")).toBe("typed hello\n");
    expect(readFileSync(path, "utf8")).toBe("hello\n");
  });

  it("restores into the file through its symlink, keeping the mode, and drops the session", async () => {
    const { dir, path, gigapad } = await withSession("hello\n", "typed ");
    chmodSync(path, 0o640);
    const link = join(dir, "link.txt");
    symlinkSync(path, link);
    expect(gigapad(link, "--restore").code).toBe(0);
    expect(readFileSync(path, "utf8")).toBe("typed hello\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(gigapad(path).stdout).toMatch(/no sessions/);
  });

  it("exports the typed text of a session whose file changed, and discards sessions", async () => {
    const { dir, path, stateDir, gigapad } = await withSession("v1\n", "my typing ");
    appendFileSync(path, "changed elsewhere\n");
    // Opening sets the old session aside.
    const doc = await open(path, { stateDir });
    expect(doc.setAside?.reason).toBe("file changed on disk");
    await doc.close();
    const listed = JSON.parse(gigapad(path, "--json").stdout);
    expect(listed).toEqual([
      expect.objectContaining({ kind: "set-aside", status: "file changed on disk", edits: 1 }),
    ]);
    const out = join(dir, "typed.txt");
    expect(gigapad(path, "--export", out, "--session", listed[0].folder).stdout).toMatch(/inserted text/);
    expect(readFileSync(out, "utf8")).toBe("my typing ");
    expect(gigapad(path, "--restore").stderr).toMatch(/no session .* matches the file/);
    expect(gigapad(path, "--discard").stdout).toMatch(/discarded 1 session/);
    expect(gigapad(path).stdout).toMatch(/no sessions/);
  });

  it("refuses to discard a session a running Gigapad holds, and explains bad usage", async () => {
    const { path, stateDir, gigapad } = await withSession("x\n", "y");
    const doc = await open(path, { stateDir });
    const result = gigapad(path, "--discard");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/a running Gigapad holds/);
    await doc.close();
    expect(gigapad().code).toBe(2);
    expect(gigapad(path, "--restore", "--discard").code).toBe(2);
    expect(gigapad(join(path, "..", "missing.txt")).stderr).toMatch(/No such file/);
  });

  it("says there is nothing to restore or export when no session is kept", async () => {
    const { path, gigapad } = await withSession("x\n", "y");
    expect(gigapad(path, "--discard").code).toBe(0);
    expect(gigapad(path, "--restore")).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: nothing to restore: no sessions for ${path}\n`,
    });
    expect(gigapad(path, "--export", `${path}.out`)).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: nothing to export: no sessions for ${path}\n`,
    });
    expect(gigapad(path)).toEqual({
      code: 0,
      stdout: `no sessions for ${path}: nothing to recover\n`,
      stderr: "",
    });
    expect(readFileSync(path, "utf8")).toBe("x\n");
  });
});
