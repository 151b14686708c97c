/** Documents on fresh temp files for the host's part tests, each closed after the current test. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type Document, open } from "../../piece-table/index.js";
import { useTempDirs } from "./temp-dir.js";

export interface OpenedDocument {
  doc: Document;
  /** The file's path, `doc.log` (or the name asked for) in `dir`. */
  path: string;
  dir: string;
}

/** A function that writes `content` to a new file and opens it (its session in the same folder). */
export function useOpenDocuments(): (content: string, name?: string) => Promise<OpenedDocument> {
  const tempDir = useTempDirs();
  const opened: Document[] = [];
  afterEach(async () => {
    for (const doc of opened.splice(0)) await doc.close().catch(() => {});
  });
  return async (content, name = "doc.log") => {
    const dir = tempDir();
    const path = join(dir, name);
    writeFileSync(path, content);
    const doc = await open(path, { stateDir: join(dir, "state") });
    opened.push(doc);
    return { doc, path, dir };
  };
}
