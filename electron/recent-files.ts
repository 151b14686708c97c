/** The "Open Recent" list: newest first, no duplicates, at most ten, kept in a JSON file. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const MAX_RECENT = 10;

export class RecentFiles {
  private paths: string[];

  constructor(private readonly file: string) {
    this.paths = RecentFiles.read(file);
  }

  private static read(file: string): string[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
      if (!Array.isArray(parsed)) return [];
      return parsed.filter((entry): entry is string => typeof entry === "string").slice(0, MAX_RECENT);
    } catch {
      // Missing or damaged: start a new list (it is only a convenience).
      return [];
    }
  }

  get list(): readonly string[] {
    return this.paths;
  }

  add(path: string): void {
    this.paths = [path, ...this.paths.filter((entry) => entry !== path)].slice(0, MAX_RECENT);
    this.write();
  }

  remove(path: string): void {
    this.paths = this.paths.filter((entry) => entry !== path);
    this.write();
  }

  clear(): void {
    this.paths = [];
    this.write();
  }

  private write(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(`${this.file}.tmp`, JSON.stringify(this.paths));
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      // Not being able to remember recent files must not stop anything.
    }
  }
}
