/** The scripts in examples/, run the way a user runs them, their results checked byte for byte. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;
const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

function run(script: string, file: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, "run", example(script), file], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_STATE_DIR: join(tempDir(), "state"), ...env },
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return result.stdout;
}

/** A generated log: levels, secrets, CRLF here and there, an invalid byte, no final newline. */
function generatedLog(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const level = i % 97 === 0 ? "ERROR" : i % 13 === 0 ? "WARN" : "INFO";
    const secret = i % 50 === 0 ? ` password=hunter${i}&x=1` : i % 77 === 0 ? ` token=abc${i}` : "";
    lines.push(
      `2026-11-22T08:${String(i % 60).padStart(2, "0")} ${level} request ${i}${secret}${i % 11 === 0 ? "\r" : ""}`,
    );
  }
  return Buffer.concat([
    Buffer.from(lines.join("\n")),
    Buffer.from([0x20, 0xff, 0x0a]),
    Buffer.from("last ERROR line"),
  ]);
}

describe("examples", () => {
  it("redact.mjs replaces every secret in place and saves", () => {
    const path = join(tempDir(), "app.log");
    const log = generatedLog();
    writeFileSync(path, log);
    const out = run("redact.mjs", path);
    const expected = Buffer.from(
      log.toString("latin1").replace(/\b(password|token)=[^\s&]+/g, "$1=***"),
      "latin1",
    );
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(out).toMatch(/redacted \d+ secrets/);
  });

  it("extract-lines.mjs copies the matching lines to a new file, leaving the log alone", () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    const log = generatedLog();
    writeFileSync(path, log);
    const outPath = join(dir, "errors.log");
    run("extract-lines.mjs", path, { PATTERN: "ERROR", OUT: outPath });
    const text = log.toString("latin1");
    const expected = text
      .split("\n")
      .filter((line) => /ERROR/.test(line))
      .map((line) => `${line}\n`)
      .join("");
    expect(readFileSync(outPath).equals(Buffer.from(expected, "latin1"))).toBe(true);
    expect(readFileSync(path).equals(log)).toBe(true);
  });

  it("add-header.mjs puts a header line first, in the file's own line ending", () => {
    const dir = tempDir();
    const csv = join(dir, "export.csv");
    const rows = Buffer.from("1,alice,10\r\n2,bob,20\r\n3,é,30");
    writeFileSync(csv, rows);
    run("add-header.mjs", csv, { HEADER: "id,name,amount" });
    expect(readFileSync(csv).equals(Buffer.concat([Buffer.from("id,name,amount\r\n"), rows]))).toBe(true);
  });
});
