import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("the shipped types", () => {
  it("type-check a script that uses every method of the API, and reject misuse", () => {
    const tsc = new URL("../../node_modules/typescript/bin/tsc", import.meta.url).pathname;
    const project = new URL("./tsconfig.json", import.meta.url).pathname;
    const result = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);
});
