/**
 * Whether the file on disk is the document's original grown by an append (a log being written):
 * the same file (device and inode), longer, and the bytes sampled when it became the original
 * still there — an append leaves them, a rewrite does not. (The old mapping cannot tell: it shows
 * the file as it is now.) Used by Document.adoptAppended (follow).
 */
import { type BigIntStats, statSync } from "node:fs";
import { type MappedFile, openMappedFile } from "../native/index.js";
import { identityFrom } from "./original-identity.js";
import { resolveTarget } from "./save.js";
import type { OriginalBuffer } from "./versions.js";

/** The file at `path` mapped anew if it is `previous` grown by an append, else null. */
export function openGrownOriginal(
  path: string,
  previous: Pick<OriginalBuffer, "file" | "identity">,
): MappedFile | null {
  const target = resolveTarget(path);
  const oldSize = previous.file.size;
  const { dev, ino } = previous.file.identity;
  let stat: BigIntStats;
  try {
    stat = statSync(target, { bigint: true });
  } catch {
    return null; // gone, or no longer ours to read: nothing was appended that we can take
  }
  if (stat.dev !== dev || stat.ino !== ino || Number(stat.size) <= oldSize) return null;
  const file = openMappedFile(target);
  try {
    const then = previous.identity;
    const now = identityFrom({ ...then }, (start, end) => file.read(start, end));
    const sameFile = file.identity.dev === dev && file.identity.ino === ino;
    if (sameFile && file.size > oldSize && now.sample === then.sample) return file;
  } catch (error) {
    file.close();
    throw error;
  }
  file.close();
  return null;
}
