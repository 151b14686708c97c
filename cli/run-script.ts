/** `gigapad run SCRIPT FILE...`: a user's script over opened documents. */
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Document, listSessions, open } from "../piece-table/index.js";
import { CliError } from "./cli-error.js";

type ScriptMain = (...documents: Document[]) => unknown;

/**
 * Imports SCRIPT, opens FILES, awaits the script's default export with the documents, then
 * commits and closes them. If the script throws, its uncommitted edits are dropped.
 */
export async function runScript(script: string, files: string[]): Promise<void> {
  const scriptPath = resolve(script);
  if (!existsSync(scriptPath)) throw new CliError(`cannot load script ${script}: no such file`);
  if (statSync(scriptPath).isDirectory())
    throw new CliError(`cannot load script ${script}: it is a directory`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(scriptPath).href)) as { default?: unknown };
  } catch (error) {
    throw new CliError(`cannot load script ${script}: ${(error as Error).message}`);
  }
  if (typeof module.default !== "function") {
    throw new CliError(
      `script ${script} has no default export function (export default async (doc) => { ... })`,
    );
  }
  const run = module.default as ScriptMain;
  // A script may only search or edit: the line index is built when it asks for it (line queries
  // count what they need meanwhile), so a count has both cores to itself.
  Document.indexInBackground = false;
  // Long saves show a bar on a terminal.
  const bars: { stop(): void }[] = [];
  const watch = async (doc: Document) => {
    if (!process.stderr.isTTY) return;
    const { IndexProgressBar } = await import("./progress.js");
    const bar = new IndexProgressBar(process.stderr, `saving ${basename(doc.path)}`);
    bars.push(bar);
    doc.on("saveProgress", (progress) => bar.update(progress));
    doc.on("saved", () => bar.stop());
  };
  const documents: Document[] = [];
  try {
    for (const file of files) {
      const doc = await open(file);
      documents.push(doc);
      await watch(doc);
    }
  } catch (error) {
    await Promise.all(documents.map((doc) => doc.close()));
    throw error;
  }
  try {
    await run(...documents);
  } catch (error) {
    // The script's uncommitted edits are dropped; anything committed before stays.
    await Promise.all(documents.map((doc) => doc.close({ commit: false })));
    throw new CliError(`script ${script} failed: ${(error as Error)?.message ?? String(error)}`);
  }
  for (const bar of bars) bar.stop();
  for (const [index, doc] of documents.entries()) {
    const unsaved = doc.modified;
    await doc.commit();
    await doc.close();
    if (unsaved) tellUnsaved(files[index]!);
  }
}

/** Edits the script made but did not save are not lost, but not in the file either: say where they are. */
function tellUnsaved(file: string): void {
  let edits = 0;
  try {
    edits = listSessions(file).find((session) => session.kind === "current")?.edits ?? 0;
  } catch {
    // The count is a courtesy: without it the line still says where the edits are.
  }
  const count = edits === 0 ? "the edits" : edits === 1 ? "1 edit" : `${edits} edits`;
  process.stderr.write(
    `gigapad: ${count} to ${file} ${edits === 1 ? "is" : "are"} kept in its session, not saved to the file; ` +
      `call doc.save() in the script to save, or see 'gigapad recover ${file}'\n`,
  );
}
