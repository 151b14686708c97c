import { closeSync, openSync, statSync } from "node:fs";
import { CliError, systemMessage } from "./cli-error.js";

/**
 * Throws `cannot open FILE: <reason>` unless FILE is a regular file this user may read — before
 * any work starts, in the words `cat` or `ls` would use.
 */
export function assertReadableFile(file: string): void {
  const fail = (reason: string) => new CliError(`cannot open ${file}: ${reason}`);
  try {
    // stat first: opening a FIFO to find out what it is would wait for a writer.
    const stat = statSync(file);
    if (stat.isDirectory()) throw fail("Is a directory");
    if (!stat.isFile()) throw fail("not a regular file");
    closeSync(openSync(file, "r"));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fail(systemMessage(error as NodeJS.ErrnoException));
  }
}
