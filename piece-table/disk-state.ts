/**
 * How the file on disk relates to the version a document was opened (or last saved) from, told
 * by its identity: device, inode, size and mtime. The one place identities are compared for
 * "changed by another program" — save refuses on it, the editor's host watches it.
 */
import { type BigIntStats, statSync } from "node:fs";
import type { FileIdentity } from "../native/index.js";

export type DiskState = "unchanged" | "modified" | "replaced" | "deleted" | "truncated";

/** Compares the file at `path` with `identity`; never throws. */
export function diskStateOf(path: string, identity: FileIdentity): DiskState {
  let stat: BigIntStats;
  try {
    stat = statSync(path, { bigint: true });
  } catch {
    return "deleted";
  }
  if (!stat.isFile()) return "deleted";
  if (stat.dev !== identity.dev || stat.ino !== identity.ino) return "replaced";
  if (Number(stat.size) < identity.size) return "truncated";
  if (Number(stat.size) !== identity.size || stat.mtimeNs !== identity.mtimeNs) return "modified";
  return "unchanged";
}
