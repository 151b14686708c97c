/**
 * The folder tree `gigapad serve` lets a page browse and open files from (Ctrl+O): FILE's folder,
 * or the `--root` it was started with. The same confinement as a page's Save As
 * (host/save-target.ts): paths resolve against the tree's real path, a path whose real path lies
 * outside (`../`, an absolute path elsewhere, a symlink or a symlinked folder leading out) is
 * refused. Listed entries say whether they can be opened, so a page shows why not instead of
 * opening a broken tab.
 *
 * As for Save As, the checks look at the file system as it is now; they keep a browser from
 * choosing the path, they are no sandbox against the user's own programs.
 */
import { constants, type Dirent, type Stats } from "node:fs";
import { access, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { HostError } from "../host/host-error.js";
import { isInside } from "../host/save-target.js";

/** Entries listed from one folder at most (the rest are counted, not listed). */
export const MAX_LISTED_ENTRIES = 10_000;
/** Entries looked at (stat) at once while listing. */
const STAT_BATCH = 128;

export interface FolderEntry {
  name: string;
  /** Path relative to the tree's root, with "/" separators (what `?file=` and `?dir=` take). */
  path: string;
  kind: "file" | "folder";
  /** Bytes (files), or null. */
  size: number | null;
  /** Last modification, ms since the epoch, or null. */
  modified: number | null;
  /** Why it cannot be opened (a page shows it and refuses to open it), or null. */
  error: string | null;
}

export interface FolderListing {
  /** The tree's real path. */
  root: string;
  /** The folder listed, relative to the root ("" for the root itself). */
  dir: string;
  /** The parent folder, relative to the root, or null at the root. */
  parent: string | null;
  entries: FolderEntry[];
  /** Entries not listed beyond MAX_LISTED_ENTRIES. */
  omitted: number;
}

/** A path relative to the root as URLs carry it: "/" separators. */
export function relativeToRoot(realRoot: string, path: string): string {
  return relative(realRoot, path).split(sep).join("/");
}

function outside(realRoot: string, what: string): HostError {
  return new HostError(
    "EOUTSIDE",
    `${what} is outside ${realRoot}: Gigapad opens files only there (start gigapad serve with --root to allow another folder)`,
  );
}

/** The real path of `requested` (relative to the root, or absolute), checked to lie inside. */
async function confinedRealPath(requested: string, realRoot: string): Promise<string> {
  if (requested.includes("\0")) throw new HostError("EBADPATH", "a path cannot hold a NUL");
  const absolute = resolve(realRoot, requested);
  // Refused as written too: "../x" says where it means to go, even if a link would bring it back.
  if (!isInside(absolute, realRoot)) throw outside(realRoot, absolute);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new HostError("ENOENT", `${requested} does not exist (any more?)`);
    if (code === "EACCES") throw new HostError("EACCES", `${requested}: permission denied`);
    throw error;
  }
  if (!isInside(real, realRoot)) throw outside(realRoot, `${requested} leads to ${real}, which`);
  return real;
}

/**
 * The real path of the file a page asks to open (`requested`, relative to the root), or a
 * HostError saying why not: EOUTSIDE, ENOENT, EISDIR (a folder or a device, not a file), EACCES.
 */
export async function confinedFile(requested: string, realRoot: string): Promise<string> {
  if (requested.trim() === "") throw new HostError("EBADPATH", "name a file to open");
  const real = await confinedRealPath(requested, realRoot);
  const stats = await stat(real);
  if (stats.isDirectory()) throw new HostError("EISDIR", `${requested} is a folder, not a file`);
  if (!stats.isFile()) throw new HostError("EISDIR", `${requested} is not a regular file`);
  try {
    await access(real, constants.R_OK);
  } catch {
    throw new HostError("EACCES", `${requested}: permission denied (you may not read it)`);
  }
  return real;
}

/** The real path of a folder a page asks to list, or a HostError (EOUTSIDE, ENOENT, ENOTDIR). */
export async function confinedFolder(requested: string, realRoot: string): Promise<string> {
  const real = await confinedRealPath(requested, realRoot);
  if (!(await stat(real)).isDirectory()) throw new HostError("ENOTDIR", `${requested} is not a folder`);
  return real;
}

/** One entry of a listing: what it is (through a symlink), and why it cannot be opened. */
async function describe(dirent: Dirent, folder: string, realRoot: string): Promise<FolderEntry | null> {
  const path = join(folder, dirent.name);
  const entry: FolderEntry = {
    name: dirent.name,
    path: relativeToRoot(realRoot, path),
    kind: "file",
    size: null,
    modified: null,
    error: null,
  };
  let target = path;
  if (dirent.isSymbolicLink()) {
    try {
      target = await realpath(path);
    } catch {
      return { ...entry, error: "a symlink to nothing (its target does not exist)" };
    }
    if (!isInside(target, realRoot)) return { ...entry, error: `a symlink leading outside, to ${target}` };
  }
  let stats: Stats;
  try {
    stats = await stat(target);
  } catch (error) {
    return { ...entry, error: `cannot be read (${(error as { code?: string }).code ?? "error"})` };
  }
  entry.modified = stats.mtimeMs;
  if (stats.isDirectory()) {
    entry.kind = "folder";
    try {
      await access(target, constants.R_OK | constants.X_OK);
    } catch {
      entry.error = "permission denied (you may not open this folder)";
    }
    return entry;
  }
  if (!stats.isFile()) return { ...entry, error: "not a regular file (a device, a pipe or a socket)" };
  entry.size = stats.size;
  try {
    await access(target, constants.R_OK);
  } catch {
    entry.error = "permission denied (you may not read it)";
  }
  return entry;
}

/** The folder `requested` (relative to the root) with its entries: folders first, then by name. */
export async function listFolder(requested: string, realRoot: string): Promise<FolderListing> {
  const folder = await confinedFolder(requested, realRoot);
  let dirents: Dirent[];
  try {
    dirents = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "EIO";
    throw new HostError(code, `cannot list ${requested || "the folder"}: ${(error as Error).message}`);
  }
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  dirents.sort((a, b) => collator.compare(a.name, b.name));
  const omitted = Math.max(0, dirents.length - MAX_LISTED_ENTRIES);
  const kept = dirents.slice(0, MAX_LISTED_ENTRIES);
  const entries: FolderEntry[] = [];
  for (let at = 0; at < kept.length; at += STAT_BATCH) {
    const batch = await Promise.all(
      kept.slice(at, at + STAT_BATCH).map((dirent) => describe(dirent, folder, realRoot)),
    );
    for (const entry of batch) if (entry) entries.push(entry);
  }
  entries.sort((a, b) =>
    a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === "folder" ? -1 : 1,
  );
  const dir = relativeToRoot(realRoot, folder);
  const parent = dir === "" ? null : relativeToRoot(realRoot, resolve(folder, ".."));
  return { root: realRoot, dir, parent, entries, omitted };
}
