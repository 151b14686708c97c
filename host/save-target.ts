/**
 * Where a UI that is not trusted with the whole machine (a browser over `gigapad serve`) may
 * Save As: a path resolves against the document's folder, and only a file inside the allowed
 * folder tree (that folder, or the `--root` the user named) may be written. A symlink whose target
 * lies outside is refused, so is a path through a symlinked folder that leads out; an existing
 * file other than the document itself is replaced only when the UI says so (`force`), after the
 * user has been asked.
 *
 * The checks look at the file system as it is now: a program of the same user that swaps a folder
 * for a symlink between the check and the write could still redirect it. They keep a browser
 * from choosing the path; they are not a sandbox against the user's own programs.
 */
import { lstatSync, realpathSync, type Stats, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileKey } from "./file-key.js";
import { HostError } from "./host-error.js";

/** Whether `path` (real, absolute) is `root` or lies under it. */
export function isInside(path: string, root: string): boolean {
  const rest = relative(root, path);
  return rest === "" || (!rest.startsWith("..") && !isAbsolute(rest));
}

/** `stat` (the link's target) or `lstat` (the link itself) of `path`, or null if nothing is there. */
function statOrNull(path: string, { followLinks }: { followLinks: boolean }): Stats | null {
  try {
    return followLinks ? statSync(path) : lstatSync(path);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    throw error;
  }
}

/** Whether a UI may replace an existing file (the user was asked). */
export interface ReplaceChoice {
  force: boolean;
}

/**
 * The path to save to for a UI's `requested` path, or a HostError saying why not:
 * EOUTSIDE (outside `root`), ENOENT (no such folder), EISDIR (not a file), EEXIST (an existing
 * file other than the document, without `force`).
 */
export function confinedSaveTarget(
  requested: string,
  documentPath: string,
  root: string,
  { force }: ReplaceChoice,
): string {
  if (requested.trim() === "" || requested.includes("\0")) {
    throw new HostError("EBADPATH", "give the new file a name");
  }
  const realRoot = realpathSync(root);
  const outside = (what: string) =>
    new HostError(
      "EOUTSIDE",
      `${what} is outside ${realRoot}: Gigapad saves only there (start gigapad serve with --root to allow another folder)`,
    );
  const absolute = resolve(dirname(documentPath), requested);
  const folder = dirname(absolute);
  let realFolder: string;
  try {
    realFolder = realpathSync(folder);
  } catch {
    throw new HostError("ENOENT", `cannot save ${absolute}: the folder ${folder} does not exist`);
  }
  if (!isInside(realFolder, realRoot)) throw outside(absolute);
  const target = join(realFolder, basename(absolute));
  const link = statOrNull(target, { followLinks: false });
  if (link === null) return target;
  let realTarget = target;
  if (link.isSymbolicLink()) {
    try {
      realTarget = realpathSync(target);
    } catch {
      throw new HostError("EBADPATH", `${absolute} is a symlink to a file that does not exist`);
    }
    if (!isInside(realTarget, realRoot)) throw outside(`${absolute} is a symlink to ${realTarget}, which`);
  }
  const file = statOrNull(realTarget, { followLinks: true });
  if (file === null) return target;
  if (!file.isFile()) throw new HostError("EISDIR", `${absolute} is not a file`);
  const own = statOrNull(documentPath, { followLinks: true });
  const isDocument = own !== null && own.dev === file.dev && own.ino === file.ino;
  if (!isDocument && !force) {
    throw new HostError("EEXIST", `${basename(absolute)} already exists; replace it?`);
  }
  return target;
}

/**
 * Where a UI's "Save lines as…" (the filter view) may write: a new file, a relative path taken
 * from the document's folder; under `root` only inside it, as Save As; an existing file only with
 * `force` (the page asks first); never the document itself by any of its names (its path, a
 * symlink, a hard link), whatever `force` says.
 */
export function newFileTarget(
  requested: string,
  documentPath: string,
  root: string | null,
  { force }: ReplaceChoice,
): string {
  const path =
    root === null
      ? resolve(dirname(documentPath), requested)
      : confinedSaveTarget(requested, documentPath, root, { force });
  const existing = statOrNull(path, { followLinks: true });
  const own = statOrNull(documentPath, { followLinks: true });
  const sameFile = existing !== null && own !== null && existing.dev === own.dev && existing.ino === own.ino;
  if (sameFile || fileKey(path) === fileKey(documentPath)) {
    throw new HostError("EINVAL", "the filtered lines go to a new file, not over the document itself");
  }
  if (existing !== null && !force) throw new HostError("EEXIST", `${basename(path)} exists; replace it?`);
  return path;
}
