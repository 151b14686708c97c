/**
 * The command line's conventions (ripgrep, git and npm are the models): --version, help, and a
 * misused command line answered in one line of our own that says where the help is, exit 2.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";
import { gigapad, gigapadIntoClosedPipe } from "./run-cli.js";

const tempDir = useTempDirs();
const COMMANDS = ["info", "run", "recover", "open", "serve", "crashtest"];
const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("gigapad --version, --help, help CMD", () => {
  it("--version and -V print package.json's version", () => {
    for (const flag of ["--version", "-V"]) {
      expect(gigapad([flag])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
    }
  });

  it("--help and `help` print the overview of every command on stdout; bare gigapad prints it on stderr, exit 2", () => {
    const help = gigapad(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe("");
    expect(help.stdout).toMatch(/^Usage: gigapad <command> \[options\]\n/);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(help.stdout).toMatch(/^ {2}-V, --version +print the version$/m);
    expect(help.stdout).toContain(
      "'gigapad help COMMAND' (or 'gigapad COMMAND --help') shows a command's options.",
    );
    expect(gigapad(["help"])).toEqual(help);
    expect(gigapad(["-h"])).toEqual(help);
    expect(gigapad([])).toEqual({ code: 2, stdout: "", stderr: help.stdout });
  });

  it("`help CMD` and `CMD --help` print that command's usage and options, exit 0", () => {
    for (const command of COMMANDS) {
      const help = gigapad(["help", command]);
      expect(help.code).toBe(0);
      expect(help.stderr).toBe("");
      expect(help.stdout).toMatch(new RegExp(`^Usage: gigapad ${command} `));
      expect(help.stdout).toMatch(/^ {2}-h, --help +show this help$/m);
      expect(gigapad([command, "--help"])).toEqual(help);
    }
    const serve = gigapad(["serve", "-h"]).stdout;
    expect(serve).toMatch(/^Usage: gigapad serve FILE \[options\]$/m);
    expect(serve).toMatch(/^ {2}-p, --port <N> +port to listen on/m);
    expect(serve).toMatch(/^ {2}--read-only +serve FILE without allowing edits$/m);
  });
});

describe("a misused command line: one line, in our words, exit 2", () => {
  const cases: [string[], string][] = [
    [["info", "--frob", "x"], "unknown option '--frob' for 'info'; see 'gigapad info --help'"],
    [
      ["info", "x", "--jsn"],
      "unknown option '--jsn' for 'info' (did you mean '--json'?); see 'gigapad info --help'",
    ],
    [
      ["info", "--json=1", "x"],
      "unknown option '--json=1' for 'info' (did you mean '--json'?); see 'gigapad info --help'",
    ],
    [["--frob"], "unknown option '--frob'; see 'gigapad --help'"],
    [["frobnicate"], "unknown command 'frobnicate'; see 'gigapad --help'"],
    [["serv", "x"], "unknown command 'serv' (did you mean 'serve'?); see 'gigapad --help'"],
    [["help", "frobnicate"], "unknown command 'frobnicate'; see 'gigapad --help'"],
    [["help", "--frob"], "unknown option '--frob' for 'help'; see 'gigapad help --help'"],
    [["help", "info", "serve"], "unexpected argument 'serve' for 'help'; see 'gigapad help --help'"],
    [["info"], "missing FILE for 'info'; see 'gigapad info --help'"],
    [["run", "script.mjs"], "missing FILE for 'run'; see 'gigapad run --help'"],
    [["info", "a", "b"], "unexpected argument 'b' for 'info'; see 'gigapad info --help'"],
    [["crashtest", "a", "b"], "unexpected argument 'b' for 'crashtest'; see 'gigapad crashtest --help'"],
    [["serve", "x", "--port"], "option '--port' for 'serve' needs a value (N); see 'gigapad serve --help'"],
    [
      ["serve", "x", "--port", "http"],
      "--port must be a number from 0 to 65535, got 'http'; see 'gigapad serve --help'",
    ],
    [
      ["crashtest", "--kills", "many"],
      "--kills takes a whole number, got 'many'; see 'gigapad crashtest --help'",
    ],
    [
      ["recover", "x", "--restore", "--discard"],
      "choose one of --export, --restore, --discard; see 'gigapad recover --help'",
    ],
    [
      ["recover", "x", "--session", "s"],
      "--session picks the session for --export; see 'gigapad recover --help'",
    ],
  ];
  for (const [args, message] of cases) {
    it(`gigapad ${args.join(" ")}`, () => {
      expect(gigapad(args)).toEqual({ code: 2, stdout: "", stderr: `gigapad: ${message}\n` });
    });
  }

  it("answers `info FILE [--json]` (which skips commander, for start-up time) as the parsed forms do", () => {
    const dir = tempDir();
    const file = join(dir, "a.log");
    writeFileSync(file, "one\r\ntwo\n");
    const plain = gigapad(["info", file]);
    expect(plain.code).toBe(0);
    expect(gigapad(["info", "--", file])).toEqual(plain);
    const json = gigapad(["info", file, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ lines: 3, eol: "mixed" });
    expect(gigapad(["info", "--json", file])).toEqual(json);
    expect(gigapad(["info", "--json", "--", file])).toEqual(json);
    const missing = join(dir, "missing.log");
    expect(gigapad(["info", missing])).toEqual({
      code: 1,
      stdout: "",
      stderr: `gigapad: cannot open ${missing}: No such file or directory\n`,
    });
    expect(gigapad(["info", "--", missing])).toEqual(gigapad(["info", missing]));
    expect(gigapad(["info", "--json", "--json", file]).code).toBe(0);
  });

  it("takes options after the arguments, and -- before a file named like an option", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "--json"), "a\nb\n");
    const asFile = gigapad(["info", "--", "--json"], { cwd: dir });
    expect(asFile.stdout).toMatch(/^lines {4}3$/m);
    const after = gigapad(["info", join(dir, "--json"), "--json"]);
    expect(JSON.parse(after.stdout)).toMatchObject({ lines: 3 });
  });
});

describe("stdout closed early (gigapad ... | head)", () => {
  it("every command stops quietly with exit 0 instead of an EPIPE stack trace", async () => {
    const dir = tempDir();
    const file = join(dir, "a.log");
    writeFileSync(file, "one\ntwo\n");
    const env = { GIGAPAD_STATE_DIR: join(dir, "state") };
    for (const args of [["--help"], ["--version"], ["info", file], ["recover", file], ["help", "serve"]]) {
      expect({ args, ...(await gigapadIntoClosedPipe(args, env)) }).toEqual({
        args,
        code: 0,
        stdout: "",
        stderr: "",
      });
    }
  });

  it("run's script goes on without its output: its edits are kept", async () => {
    const dir = tempDir();
    const file = join(dir, "a.log");
    writeFileSync(file, "one\ntwo\n");
    const script = join(dir, "print.mjs");
    writeFileSync(
      script,
      "export default (doc) => { for (let i = 0; i < 1000; i++) console.log(doc.getLine(0)); doc.insert(0, '#'); };",
    );
    expect(
      await gigapadIntoClosedPipe(["run", script, file], { GIGAPAD_STATE_DIR: join(dir, "state") }),
    ).toEqual({
      code: 0,
      stdout: "",
      stderr:
        `gigapad: 1 edit to ${file} is kept in its session, not saved to the file; ` +
        `call doc.save() in the script to save, or see 'gigapad recover ${file}'\n`,
    });
  });
});
