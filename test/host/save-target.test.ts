/**
 * What a page may write besides its document: "Save lines as…" (newFileTarget) — a new file,
 * relative to the document's folder, never the document itself by another name.
 */
import { linkSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newFileTarget } from "../../host/save-target.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function folder() {
  const dir = realpathSync(tempDir());
  const doc = join(dir, "app.log");
  writeFileSync(doc, "x\n");
  writeFileSync(join(dir, "other.log"), "y\n");
  return { dir, doc };
}

describe("newFileTarget (Save lines as…)", () => {
  it("takes a relative name from the document's folder, with or without a Save As root", () => {
    const { dir, doc } = folder();
    mkdirSync(join(dir, "out"));
    expect(newFileTarget("errors.log", doc, null, { force: false })).toBe(join(dir, "errors.log"));
    expect(newFileTarget("out/errors.log", doc, dir, { force: false })).toBe(join(dir, "out", "errors.log"));
  });

  it("asks before replacing another file (EEXIST), and replaces it when told", () => {
    const { dir, doc } = folder();
    for (const root of [null, dir]) {
      expect(() => newFileTarget("other.log", doc, root, { force: false })).toThrow(
        expect.objectContaining({ code: "EEXIST" }),
      );
      expect(newFileTarget("other.log", doc, root, { force: true })).toBe(join(dir, "other.log"));
    }
  });

  it("never writes over the document: its path, a symlink or a hard link to it, even forced", () => {
    const { dir, doc } = folder();
    symlinkSync(doc, join(dir, "soft.log"));
    linkSync(doc, join(dir, "hard.log"));
    for (const root of [null, dir]) {
      for (const name of ["app.log", "soft.log", "hard.log"]) {
        expect(() => newFileTarget(name, doc, root, { force: true }), `${name} ${root}`).toThrow(
          expect.objectContaining({ code: "EINVAL" }),
        );
      }
    }
  });

  it("stays inside the root when there is one", () => {
    const { doc } = folder();
    expect(() => newFileTarget("../outside.log", doc, join(doc, ".."), { force: false })).toThrow(
      expect.objectContaining({ code: "EOUTSIDE" }),
    );
  });
});
