/** One key per file (host/file-key.ts): the real path however the file is named, or the absolute path of one not there. */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { fileKey } from "../../host/file-key.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("fileKey", () => {
  it("is the real path: through a symlink to the file, or to a folder on the way", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "real"));
    const file = join(dir, "real", "doc.txt");
    writeFileSync(file, "x");
    symlinkSync(file, join(dir, "link.txt"));
    symlinkSync(join(dir, "real"), join(dir, "folder-link"));
    const key = fileKey(file);
    expect(fileKey(join(dir, "link.txt"))).toBe(key);
    expect(fileKey(join(dir, "folder-link", "doc.txt"))).toBe(key);
    expect(fileKey(join(dir, "real", ".", "..", "real", "doc.txt"))).toBe(key);
  });

  it("a relative name is resolved against the working folder", () => {
    const dir = tempDir();
    const file = join(dir, "doc.txt");
    writeFileSync(file, "x");
    expect(fileKey(relative(process.cwd(), file))).toBe(fileKey(file));
  });

  it("a file that does not exist (yet) keys by its absolute path, symlinks on the way left as they are", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "real"));
    symlinkSync(join(dir, "real"), join(dir, "folder-link"));
    const missing = join(dir, "folder-link", "new.txt");
    expect(fileKey(missing)).toBe(missing);
    expect(fileKey(relative(process.cwd(), missing))).toBe(missing);
    // A dangling symlink: no real path to give.
    symlinkSync(join(dir, "gone.txt"), join(dir, "dangling.txt"));
    expect(fileKey(join(dir, "dangling.txt"))).toBe(join(dir, "dangling.txt"));
  });
});
